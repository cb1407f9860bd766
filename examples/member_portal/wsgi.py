"""Entry point: ``gunicorn examples.member_portal.wsgi:app`` (settings from PORTAL_* variables)."""

from examples.member_portal import create_portal

app = create_portal()
