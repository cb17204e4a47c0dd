FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NHACVIEC_DATA_DIR=/var/lib/nhacviec
COPY pyproject.toml README.md ./
COPY scheduler scheduler
COPY bot bot
COPY data data
RUN pip install --no-cache-dir ".[postgres]" && useradd --system --home /var/lib/nhacviec nhacviec \
    && mkdir -p /var/lib/nhacviec && chown nhacviec /var/lib/nhacviec
USER nhacviec
VOLUME /var/lib/nhacviec
# unhealthy: database down or behind, no tick for 3 minutes, a row stuck in sending, a channel's getMe failing
HEALTHCHECK --interval=60s --timeout=20s --start-period=90s --retries=3 CMD ["nhacviec", "status"]
ENTRYPOINT ["nhacviec"]
CMD ["run"]
