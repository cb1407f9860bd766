"""``flask idp demo``: refuses outside demo mode, loads the sample members, registers the demo
portal once and hands over a working secret on every run."""

import json

from sqlalchemy import func, select

from idp_extension import create_app
from idp_extension.db import db
from idp_extension.demo.service import DEMO_PORTAL_NAME, SAMPLE_MEMBERS
from idp_extension.models import AuditEvent, MemberRecord
from idp_extension.models.oauth import OAuthClient


def _run_demo(app, *args):
    result = app.test_cli_runner().invoke(args=["idp", "demo", *args])
    return result


def _sample_rows() -> int:
    lines = [line for line in SAMPLE_MEMBERS.read_text(encoding="utf-8").splitlines() if line]
    return len(lines) - 1  # the header


def test_refuses_outside_demo_mode(app_config, tmp_path):
    app = create_app({**app_config, "IDP_DEMO": False})
    with app.app_context():
        db.create_all()
    result = _run_demo(app, "--json")
    assert result.exit_code != 0
    assert "IDP_DEMO=1" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OAuthClient)) == 0
        assert db.session.scalar(select(func.count()).select_from(MemberRecord)) == 0
        db.drop_all()


def test_loads_members_and_registers_the_portal(app):
    result = _run_demo(app, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["members_imported"] == _sample_rows()
    assert data["members_rejected"] == 0
    assert data["client_created"] is True
    assert data["mailbox_url"] == "http://localhost/demo/mailbox"
    with app.app_context():
        client = db.session.scalars(select(OAuthClient)).one()
        assert client.name == DEMO_PORTAL_NAME
        assert client.client_id == data["client_id"]
        assert client.redirect_uris == ["http://127.0.0.1:5001/callback"]
        assert client.post_logout_redirect_uris == ["http://127.0.0.1:5001/"]
        assert client.token_endpoint_auth_method == "client_secret_basic"
        assert client.first_party and not client.is_public
        # Only the digest is stored; the secret printed is the one that works.
        assert client.client_secret_digest != data["client_secret"]
        assert client.check_client_secret(data["client_secret"])
        assert db.session.scalar(select(func.count()).select_from(MemberRecord)) == _sample_rows()


def test_running_it_again_reuses_the_client_with_a_new_secret(app):
    first = json.loads(_run_demo(app, "--json").output)
    second = json.loads(_run_demo(app, "--json", "--portal-url", "http://localhost:8001/").output)
    assert second["client_id"] == first["client_id"]
    assert second["client_created"] is False
    assert second["client_secret"] != first["client_secret"]
    with app.app_context():
        client = db.session.scalars(select(OAuthClient)).one()
        assert client.check_client_secret(second["client_secret"])
        assert not client.check_client_secret(first["client_secret"])
        assert client.redirect_uris == ["http://localhost:8001/callback"]
        assert db.session.scalar(select(func.count()).select_from(MemberRecord)) == _sample_rows()
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "client_secret_rotated")
        ).all()
        assert len(events) == 1
        assert first["client_secret"] not in json.dumps(events[0].details)
        assert second["client_secret"] not in json.dumps(events[0].details)


def test_one_line_summary(app):
    result = _run_demo(app)
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(f"demo ready: {_sample_rows()} members")
    assert "client_secret=" in result.output
    assert "http://localhost/demo/mailbox" in result.output


def test_unreadable_members_file_is_a_clear_error(app, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = _run_demo(app, "--members", str(empty))
    assert result.exit_code != 0
    assert "empty.csv" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OAuthClient)) == 0
