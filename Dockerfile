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
ENTRYPOINT ["nhacviec"]
CMD ["run"]
