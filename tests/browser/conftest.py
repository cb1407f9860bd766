"""The whole journey in Debian's Chromium: provider and portal on real HTTP servers, real SMTP.

Every test here carries the ``browser`` marker. They skip, with the reason, only when no Chromium
is installed at /usr/bin/chromium (``bash scripts/setup.sh`` installs it as root).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ..sms_gateway import sms_gateway  # noqa: F401 - fixture
from .harness import (
    ACCESSIBILITY_REPORT,
    ARTIFACTS,
    AXE_SCRIPT,
    CHROMIUM,
    AccessibilityLog,
    BrowserPage,
    LiveServer,
    start_portal,
    start_provider,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


_ACCESSIBILITY = AccessibilityLog()


@pytest.fixture(scope="session")
def accessibility_log():
    yield _ACCESSIBILITY
    if _ACCESSIBILITY.pages:
        ACCESSIBILITY_REPORT.parent.mkdir(parents=True, exist_ok=True)
        ACCESSIBILITY_REPORT.write_text(
            json.dumps(_ACCESSIBILITY.report(), ensure_ascii=False, indent=2)
        )


def pytest_terminal_summary(terminalreporter):
    """List the minor and moderate axe-core findings at the end of the run (issue note)."""
    if _ACCESSIBILITY.pages:
        terminalreporter.write_sep("-", "accessibility (axe-core)")
        terminalreporter.write_line(_ACCESSIBILITY.summary())
        terminalreporter.write_line(f"details: {ACCESSIBILITY_REPORT}")


@pytest.fixture(scope="session")
def chromium(playwright_driver):
    if not Path(CHROMIUM).is_file():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: run `bash scripts/setup.sh` as root "
            "(it installs Debian's chromium package)"
        )
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"axe-core is missing at {AXE_SCRIPT}: run `bash scripts/setup.sh` "
            "(npm ci in tests/browser)"
        )
    # A French member's browser (Linux Chromium takes its language from LANGUAGE).
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "LANGUAGE": "fr"}
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder():
    # Overwritten by name on each run; never wiped, as another run may be writing there too.
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)


@pytest.fixture
def browser_clock():
    """The provider's clock: starts at the real time (the portal checks ID tokens against it)."""
    from idp_extension.clock import FrozenClock

    return FrozenClock()


@pytest.fixture
def provider(tmp_path, smtp, browser_clock):
    """The identity provider on a real HTTP server, SQLite file, mail to the SMTP fixture."""
    server = start_provider(tmp_path, smtp_port=smtp.port, clock=browser_clock)
    yield server
    server.stop()


@pytest.fixture
def portal(provider, tmp_path):
    """The demo member portal on its own HTTP server, registered with the provider."""
    server: LiveServer = start_portal(provider)
    yield server
    server.stop()


@pytest.fixture
def page(chromium, request, accessibility_log):
    """A fresh browser context (no cookies) at 1280 px wide, with its journey helpers; a French
    browser unless the test asks for another language with
    ``@pytest.mark.parametrize("page", ["en-GB"], indirect=True)``."""
    locale = getattr(request, "param", "fr-FR")
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.set_default_timeout(10_000)
    browser_page = BrowserPage(
        context.new_page(), request.node.name, accessibility_log, locale=locale
    )
    yield browser_page
    context.close()
    browser_page.assert_no_page_errors()


@pytest.fixture
def demo_provider(tmp_path, browser_clock):
    """The provider as `scripts/demo.sh` runs it: no mail server, mail on the mailbox page."""
    server = start_provider(tmp_path, smtp_port=None, clock=browser_clock)
    yield server
    server.stop()
