"""The Docker image as the Dockerfile builds it, replayed without a Docker engine (none runs here).

The Dockerfile's COPY lines decide what the image holds and its RUN line installs it the non-editable way, so a
file the package forgets to ship (a migration, the Alembic template) shows up only there. This test copies exactly
what the COPY lines name into an empty folder, installs it the way the RUN line does into a fresh venv, and runs
the README's Docker commands (`import data/register.yaml`, then the ENTRYPOINT's `nhacviec` with a query) from
the image's WORKDIR with the image's environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines() if line.strip()]


def _image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for kind, rest in _instructions():
        if kind == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return env


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to know the tracked files")
def test_the_image_built_from_the_dockerfile_imports_the_register_and_answers(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    for kind, rest in _instructions():
        if kind == "COPY":
            *sources, target = rest.split()
            for source in sources:
                origin = ROOT / source
                destination = app / (target if target not in ("./", ".") else source)
                if origin.is_dir():
                    shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3*"))
                else:
                    shutil.copy2(origin, app / source)
    install = next(rest for kind, rest in _instructions() if kind == "RUN" and "pip install" in rest)
    target = re.search(r'pip install [^"&]*"([^"]+)"', install)
    assert target, install
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    pip = [str(tmp_path / "venv/bin/pip"), "install", "-qq", "--disable-pip-version-check", target[1]]
    done = subprocess.run(pip, cwd=app, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    env = {**os.environ, **_image_env(), "PATH": f"{tmp_path / 'venv/bin'}{os.pathsep}{os.environ['PATH']}"}
    env["NHACVIEC_DATA_DIR"] = str(tmp_path / "var-lib-nhacviec")  # the image's VOLUME
    env.pop("NHACVIEC_DATABASE_URL", None)
    env.pop("PYTHONPATH", None)
    # README: docker compose run --rm bot import data/register.yaml  (ENTRYPOINT ["nhacviec"], WORKDIR /app)
    imported = subprocess.run(["nhacviec", "import", "data/register.yaml"], cwd=app, env=env, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "Nhiệm vụ: thêm 20" in imported.stdout
    # the installed package is the one answering, not the source folder
    where = subprocess.run(["python", "-c", "import scheduler; print(scheduler.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert "site-packages" in where.stdout
    overdue = subprocess.run(["nhacviec", "overdue", "--today", "2022-05-02", "--json"], cwd=app, env=env,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert overdue.returncode == 0, overdue.stderr
    assert '"Q2-05"' in overdue.stdout or "Q2-05" in overdue.stdout
