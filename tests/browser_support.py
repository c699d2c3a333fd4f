"""Helpers for browser tests: Debian's Chromium driven by Playwright's sync API.

Browser tests never download a browser (no ``playwright install``): they use the system's
``/usr/bin/chromium`` and are skipped, with the reason, when it is missing.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM_PATH = Path(os.environ.get("WATERDESK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 20_000


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser for the duration of the block.

    Keep the block inside one test (a function-scoped fixture): Playwright's sync API runs
    an event loop in this thread, and while it runs Django hands out different database
    connection objects, so pytest-django's own setup and teardown (serialized rollback,
    flush) must happen outside the block. Inside it, Django's "async unsafe" guard is
    lifted (the test and the browser never touch the database at the same time) and the
    connections opened meanwhile are closed at the end.
    """
    if not CHROMIUM_PATH.exists():
        pytest.skip(
            f"{CHROMIUM_PATH} not found: install Debian's chromium package to run browser tests"
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone's CSS viewport


@contextmanager
def new_page(browser, *, base_url: str, **options) -> Iterator:
    """A fresh page in its own context (cookies), resolving relative URLs against the server;
    ``options`` go to the context: a desktop window unless ``viewport`` says otherwise
    (``PHONE``)."""
    context = browser.new_context(
        **{"locale": "zh-CN", "viewport": DESKTOP, **options},
        base_url=base_url,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page, *, username: str, password: str) -> None:
    """Log in through the real login page and wait for the landing page."""
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    # Each role lands on its own page (workbench:home decides): wait until we left /login/.
    page.wait_for_url(lambda url: "/login/" not in url)
