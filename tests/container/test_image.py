"""The Dockerfile cannot be built here; check that it stays consistent with the code the tests run."""

import os
import re

from tests.container.support import CONTAINER

DOCKERFILE = (CONTAINER / "Dockerfile").read_text()


def test_entry_points_are_executable_python_scripts():
    for name in ("train", "serve"):
        script = CONTAINER / name
        assert os.access(script, os.X_OK), f"{name} is not executable"
        assert script.read_text().startswith("#!/usr/bin/env python3\n")
        assert f"from byoal_model.{name} import main" in script.read_text()


def test_dockerfile_installs_the_pinned_requirements_and_copies_the_code():
    assert re.search(r"^FROM python:3\.11\.\d+-slim", DOCKERFILE, re.MULTILINE)
    assert "pip install --no-cache-dir -r /tmp/requirements.txt" in DOCKERFILE
    assert "COPY byoal_model/ byoal_model/" in DOCKERFILE
    assert "COPY train serve ./" in DOCKERFILE
    assert 'PATH="/opt/program:${PATH}"' in DOCKERFILE
    assert "EXPOSE 8080" in DOCKERFILE
    # The build loads the encoder once, so an image whose weight files differ from the pinned SHA-256 is never built.
    assert 'RUN python -c "from byoal_model.encoder import load_bundled_encoder;' in DOCKERFILE


def test_requirements_are_pinned():
    lines = [line for line in (CONTAINER / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][^\s]*", line) for line in lines), lines
