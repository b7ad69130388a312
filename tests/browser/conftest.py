"""Browser fixtures: Debian's Chromium through Playwright, and the review app on a loopback port.

Without Playwright or /usr/bin/chromium the browser tests skip with the reason shown, unless
``SAFETYNET_REQUIRE_BROWSER=1`` (CI), where they fail instead (as PostgreSQL tests do).
"""

from __future__ import annotations

import pytest

from review.testing import browser_unavailable, launch_chromium
from tests.conftest import require_or_skip


@pytest.fixture(scope="module")
def chromium():
    require_or_skip(browser_unavailable(), "SAFETYNET_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
