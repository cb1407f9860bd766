"""Inside a host application: ``idp.init_app(app)``; the host's templates win, parts plug in."""

from datetime import date

from flask import Flask

from idp_extension import IdentityProvider
from idp_extension.db import db

from .conftest import csrf_token
from .enrollment.conftest import valid_form


class CoreSystemRegistry:
    """Stands for the insurer's core system answering over its API (here: a dict)."""

    def __init__(self, records):
        self.records = records
        self.asked: list[str] = []

    def lookup(self, member_number):
        self.asked.append(member_number)
        return self.records.get(member_number)


class Record:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def test_host_app_overrides_templates_and_plugs_its_registry(tmp_path, app_config, clock):
    templates = tmp_path / "host-templates" / "errors"
    templates.mkdir(parents=True)
    (templates / "error.html").write_text("<p>Page de l'hôte : {{ status }}</p>")
    host = Flask("host_app", template_folder=str(tmp_path / "host-templates"))
    host.config.update(app_config)
    registry = CoreSystemRegistry(
        {
            "24681357": Record(
                member_number="24681357",
                last_name="Bernard",
                first_name="Léa",
                birth_date=date(1990, 1, 2),
                status="active",
            )
        }
    )
    idp = IdentityProvider(registry=registry, clock=clock)
    idp.init_app(host)
    with host.app_context():
        db.create_all()

    browser = host.test_client()
    # A provider error page (a form posted without its CSRF token) uses the host's template...
    refused = browser.post("/connexion", data={"email": "a@example.org"})
    assert refused.status_code == 400
    assert "Page de l'hôte : 400" in refused.get_data(as_text=True)
    # ...while an address of the host's is left to the host (here Flask's own 404).
    elsewhere = browser.get("/nulle-part")
    assert elsewhere.status_code == 404
    assert "Page de l'hôte" not in elsewhere.get_data(as_text=True)

    page = browser.get("/inscription")
    response = browser.post(
        "/inscription",
        data=valid_form(
            first_name="lea",
            last_name="BERNARD",
            birth_date="1990-01-02",
            member_number="24681357",
            email="lea@example.org",
            email_confirm="lea@example.org",
            phone="0611223344",
            phone_confirm="0611223344",
            csrf_token=csrf_token(page.get_data(as_text=True)),
        ),
    )
    response.close()
    assert response.status_code == 302
    assert registry.asked == ["24681357"]
    with host.app_context():
        db.drop_all()
        db.engine.dispose()
