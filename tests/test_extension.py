"""Inside a host application: ``idp.init_app(app)``; the host's templates win, parts plug in."""

from datetime import date

from flask import Flask, render_template

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
    templates = tmp_path / "host-templates" / "idp" / "errors"
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


def host_with_templates(tmp_path, app_config, clock, files: dict[str, str]) -> Flask:
    folder = tmp_path / "host-templates"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    host = Flask("host_app", template_folder=str(folder))
    host.config.update(app_config)
    IdentityProvider(clock=clock).init_app(host)
    with host.app_context():
        db.create_all()
    return host


def test_a_hosts_own_base_and_macros_leave_the_provider_pages_alone(tmp_path, app_config, clock):
    # Most Flask applications have a base.html and a macros/forms.html of their own, with
    # other blocks and macros: the provider's pages must not be built on them.
    host = host_with_templates(
        tmp_path,
        app_config,
        clock,
        {
            "base.html": "<p>Gabarit de l'hôte</p>{% block main %}{% endblock %}",
            "macros/forms.html": "{% macro field() %}champ de l'hôte{% endmacro %}",
        },
    )
    page = host.test_client().get("/connexion")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Gabarit de l'hôte" not in text and "champ de l'hôte" not in text
    assert 'name="email"' in text and 'name="password"' in text
    # ...and the host's own pages still get the host's base.html.
    with host.test_request_context():
        assert "Gabarit de l'hôte" in render_template("base.html")


def test_a_host_restyles_the_provider_with_idp_base_html(tmp_path, app_config, clock):
    host = host_with_templates(
        tmp_path,
        app_config,
        clock,
        {"idp/base.html": ("<main class='charte-hote'>{% block content %}{% endblock %}</main>")},
    )
    page = host.test_client().get("/connexion")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "charte-hote" in text and 'name="email"' in text
