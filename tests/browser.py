"""Headless Chromium for the tests that look at a page: Debian's chromium and chromium-driver, through Selenium.

Skipped only where Chromium is not installed and this is not CI (``CI=true``): ``.ci/run``
installs it (``make browser``), so there it always runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_driver(user_data_dir: Path, *, width: int = 1400, height: int = 900):
    """A fresh headless Chromium with its own profile folder; the caller quits it."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None or not CHROMEDRIVER.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and chromium-driver must be installed in CI (.ci/run runs make browser)")
        pytest.skip("chromium and chromium-driver are not installed (make browser)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={user_data_dir}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
