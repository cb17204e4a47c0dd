"""The first `make demo` as a newcomer sees it: a fresh copy of the project, the Makefile's install step."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _fresh_copy(target: Path) -> Path:
    """The files git tracks, as a clean clone of main has them (plus uncommitted edits while developing)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("git") is None, reason="needs make and git")
def test_the_first_install_prints_a_few_lines_of_progress_and_no_warning(tmp_path: Path) -> None:
    project = _fresh_copy(tmp_path / "nhacviec")
    # run from `make test` (as CI does), a nested make would add its "Entering directory" lines: a newcomer's
    # make is not nested
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    done = subprocess.run(
        ["make", ".venv/.installed"], cwd=project, capture_output=True, text=True, timeout=900, env=env
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 2 and all(line.startswith("nhacviec: ") for line in lines), lines
    assert "đang tạo" in lines[0] and ".venv/bin/nhacviec" in lines[1]
    # the installed command works from the fresh copy
    version = subprocess.run([str(project / ".venv/bin/nhacviec"), "--help"], capture_output=True, text=True)
    assert version.returncode == 0 and "Nhắc việc" in version.stdout
