"""What the browser tests stand on: live HTTP servers, a page wrapper taking screenshots and
running axe-core at each step, and reading the demo members and the mails."""

from __future__ import annotations

import csv
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from werkzeug.serving import make_server

from ..mailparse import link_labelled

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
ACCESSIBILITY_REPORT = ARTIFACTS / "accessibility" / "axe-minor-moderate.json"
SAMPLE_MEMBERS = ROOT / "demo" / "sample-members.csv"
# Every finding blocks, whatever its impact, under these rule sets (WCAG 2.2 A/AA and axe's
# best practices).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
BLOCKING_IMPACTS = {"minor", "moderate", "serious", "critical"}
NARROW_WIDTH = 320


class LiveServer:
    """A WSGI app on a real HTTP server thread at a free port of 127.0.0.1.

    The socket is bound before the app exists, so the app can be built knowing its own URL
    (the provider's issuer, the portal's redirect URI).
    """

    def __init__(self):
        self.app = None
        self._server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread: threading.Thread | None = None
        self._on_stop: list = []

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def serve(self, app) -> LiveServer:
        self.app = app
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for callback in self._on_stop:
            callback()
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def start_provider(
    tmp_path: Path, *, smtp_port: int | None, clock, settings: dict | None = None
) -> LiveServer:
    """The provider in demo mode; without ``smtp_port`` its mail goes to the demo mailbox.
    ``settings`` adds or overrides configuration (an SMS gateway, say)."""
    from idp_extension import create_app
    from idp_extension.db import db

    server = LiveServer()
    app = create_app(
        {
            "IDP_ISSUER": server.url,
            "IDP_DATABASE_URL": f"sqlite:///{tmp_path / 'idp.sqlite3'}",
            "IDP_SECRET_KEY": "browser-test-secret-" + "x" * 32,
            "IDP_MAIL_SERVER": "127.0.0.1" if smtp_port else None,
            "IDP_MAIL_PORT": smtp_port or 25,
            "IDP_MAIL_SENDER": "Espace Client <no-reply@mutuelle.test>",
            "IDP_DEMO": True,
            # Each test has its own app; limits are tested on their own, not through the browser.
            "IDP_RATELIMIT_ENABLED": False,
            "IDP_ARGON2_TIME_COST": 1,
            "IDP_ARGON2_MEMORY_COST": 1024,
            "IDP_ARGON2_PARALLELISM": 1,
            **(settings or {}),
        },
        clock=clock,
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
    server.serve(app)
    _start_mail_worker(server)
    return server


def _start_mail_worker(server: LiveServer) -> None:
    """Run the outbox worker beside the provider, as in production (`flask idp send-mail
    --loop`). The request's own "send right after the response" attempt is not enough here:
    werkzeug's development server skips the response's close callbacks when the browser resets
    the connection first, and such a message then waits for a worker."""
    from idp_extension.mail.worker import MailWorker

    worker = MailWorker(server.app, interval=0.1)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()

    def stop():
        worker.request_stop()
        thread.join(timeout=5)

    server._on_stop.append(stop)


def start_portal(provider: LiveServer) -> LiveServer:
    """Register the portal through the demo set-up (as `flask idp demo` does), then serve it."""
    from examples.member_portal import create_portal
    from idp_extension.demo.service import prepare_demo

    server = LiveServer()
    with provider.app.app_context():
        setup = prepare_demo(portal_url=server.url)
    portal = create_portal(
        {
            "PORTAL_ISSUER": provider.url,
            "PORTAL_BASE_URL": server.url,
            "PORTAL_CLIENT_ID": setup.client_id,
            "PORTAL_CLIENT_SECRET": setup.client_secret,
            "PORTAL_SECRET_KEY": "portal-test-secret-" + "y" * 32,
        }
    )
    return server.serve(portal)


def add_member(provider: LiveServer, **fields) -> None:
    """Put one member in the provider's register, as the insurer's import would."""
    from idp_extension.db import db
    from idp_extension.models import MemberRecord

    with provider.app.app_context():
        db.session.add(MemberRecord(**fields))
        db.session.commit()


@dataclass(frozen=True)
class DemoMember:
    member_number: str
    first_name: str
    last_name: str
    birth_date: date


def demo_members() -> list[DemoMember]:
    """The active members of demo/sample-members.csv, as printed on their cards."""
    with SAMPLE_MEMBERS.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    members = []
    for row in rows:
        if (row.get("status") or "active").strip().lower() not in ("active", "actif"):
            continue
        raw = row["birth_date"].strip()
        born = datetime.strptime(raw, "%d/%m/%Y").date() if "/" in raw else date.fromisoformat(raw)
        members.append(
            DemoMember(
                row["member_number"].strip(),
                row["first_name"].strip(),
                row["last_name"].strip(),
                born,
            )
        )
    return members


def fill_birth_date(page, born: date, labels=("Jour", "Mois", "Année")) -> None:
    """Type a birth date as printed on the card, day, month, year, into the three fields."""
    day, month, year = labels
    page.get_by_label(day, exact=True).fill(f"{born.day:02d}")
    page.get_by_label(month, exact=True).fill(f"{born.month:02d}")
    page.get_by_label(year, exact=True).fill(str(born.year))


def wait_for_mail(smtp, address: str, count: int = 1, timeout: float = 10.0, provider=None):
    """The ``count``-th mail to ``address``: delivery runs just after the response, so poll."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = smtp.messages_to(address)
        if len(received) >= count:
            return received[count - 1]
        time.sleep(0.05)
    raise AssertionError(
        f"no mail #{count} to {address} within {timeout}s "
        f"(received: {[m['To'] for m in smtp.messages]}; outbox: {outbox_state(provider)})"
    )


def outbox_state(provider) -> list[tuple]:
    """The provider's outbox rows (status, attempts, last error), to explain a missing mail."""
    if provider is None:
        return []
    from sqlalchemy import select

    from idp_extension.db import db
    from idp_extension.models import OutboxMessage

    with provider.app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(row.kind, str(row.status), row.attempts, row.last_error) for row in rows]


def activation_link(message) -> str:
    return link_labelled(message, "Activer mon compte")


class AccessibilityLog:
    """The minor and moderate axe-core findings of the run, page by page."""

    def __init__(self):
        self.pages: list[dict] = []

    def add(self, test: str, step: str, url: str, violations: list[dict]) -> None:
        self.pages.append(
            {
                "test": test,
                "step": step,
                "url": url,
                "violations": [
                    {
                        "id": v["id"],
                        "impact": v["impact"],
                        "help": v["help"],
                        "helpUrl": v["helpUrl"],
                        "targets": [node["target"] for node in v["nodes"]],
                    }
                    for v in violations
                ],
            }
        )

    def report(self) -> dict:
        rules = Counter()
        for entry in self.pages:
            for violation in entry["violations"]:
                rules[(violation["id"], violation["impact"], violation["help"])] += 1
        return {
            "pages_checked": len(self.pages),
            "rules": [
                {"id": rule, "impact": impact, "help": text, "pages": count}
                for (rule, impact, text), count in rules.most_common()
            ],
            "pages": self.pages,
        }

    def summary(self) -> str:
        return (
            f"{len(self.pages)} pages checked ({', '.join(AXE_TAGS)}): no violation of any impact"
        )


class BrowserPage:
    """A Playwright page with the journey's habits: each ``step`` is screenshotted at 1280 and
    320 px wide, checked with axe-core, and must not scroll sideways at 320 px."""

    def __init__(self, page, test_name: str, accessibility: AccessibilityLog, locale="fr-FR"):
        self.page = page
        self.locale = locale
        self.test_name = test_name.replace("[", "-").replace("]", "").replace("/", "-")
        self.accessibility = accessibility
        self.errors: list[str] = []
        self._steps = 0
        page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        page.on("console", self._console)

    def __getattr__(self, name):
        return getattr(self.page, name)

    def _console(self, message) -> None:
        # A CSP refusal shows up only here: an inline script or style the policy blocked.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP violation on {self.page.url}: {message.text}")

    def step(self, name: str) -> None:
        self._steps += 1
        self.page.wait_for_load_state("load")
        self.screenshot(name)
        self.check_accessibility(name)
        self.assert_no_page_errors()

    def screenshot(self, name: str) -> None:
        stem = ARTIFACTS / "screenshots" / f"{self.test_name}-{self._steps:02d}-{name}"
        size = self.page.viewport_size
        self.page.screenshot(path=f"{stem}-1280.png", full_page=True)
        self.page.set_viewport_size({"width": NARROW_WIDTH, "height": 800})
        try:
            self.page.screenshot(path=f"{stem}-320.png", full_page=True)
            overflow = self.page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
        finally:
            self.page.set_viewport_size(size)
        assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px at 320 px wide"

    def check_zoomed(self, name: str) -> None:
        """The page as at 200 % zoom of a 1280 px window: 640 CSS pixels on a 2x device.
        Nothing may scroll sideways, and the screenshot shows it."""
        size = self.page.viewport_size
        context = self.page.context.browser.new_context(
            viewport={"width": 640, "height": 450},
            device_scale_factor=2,
            locale=self.locale,
            storage_state=self.page.context.storage_state(),
        )
        try:
            zoomed = context.new_page()
            zoomed.goto(self.page.url)
            zoomed.wait_for_load_state("load")
            stem = ARTIFACTS / "screenshots" / f"{self.test_name}-{self._steps:02d}-{name}"
            zoomed.screenshot(path=f"{stem}-zoom200.png", full_page=True)
            overflow = zoomed.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
        finally:
            context.close()
            self.page.set_viewport_size(size)
        assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px at 200 % zoom"

    def check_accessibility(self, name: str) -> None:
        # Evaluated through DevTools rather than a <script> tag: the pages' CSP (rightly) refuses
        # inline script, and the check must not switch the CSP off to get in.
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            "async (tags) => await axe.run(document,"
            " {resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = result["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        self.accessibility.add(
            self.test_name,
            name,
            self.page.url,
            [v for v in violations if v["impact"] not in BLOCKING_IMPACTS],
        )
        assert not blocking, f"{name} ({self.page.url}): " + "; ".join(
            f"[{v['impact']}] {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in blocking
        )

    def assert_no_page_errors(self) -> None:
        errors, self.errors = self.errors, []
        assert not errors, "\n".join(errors)
