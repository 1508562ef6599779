"""Headless Chromium for tests that look at a page as a user would (TensorBoard, the demo report).

Use the ``browser`` fixture (``from browser import browser`` in a test module, as tests import
``opcheck``), or call :func:`chromium` for a driver of your own and ``quit()`` it. Without Selenium,
Chromium or chromedriver the test is skipped, naming what is missing (``make test`` installs them).
"""
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking")


def chromium(width=1280, height=900):
    """A Selenium WebDriver on headless Chromium; the caller quits it.

    Args:
        width, height: the window's size in pixels (what a screenshot shows).

    Returns:
        A ``selenium.webdriver.Chrome``; skips the calling test when Selenium, Chromium or chromedriver
        is missing.
    """
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install selenium)")
    if missing:
        pytest.skip(f"browser tests need headless Chromium; missing: {', '.join(missing)}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--window-size={width},{height}",):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture
def browser():
    """A headless Chromium WebDriver for one test, quit after it."""
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()
