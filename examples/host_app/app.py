"""An insurer's existing Flask application that embeds the identity provider under /idp.

The host keeps everything it had: its own Flask-SQLAlchemy and model, its CSRFProtect, its
Flask-Limiter, its error handler, its ``after_request`` hook and its templates. The provider
adds its pages under ``IDP_URL_PREFIX`` and its own tables (with its own migrations, applied by
``flask --app examples.host_app.app idp upgrade-db``), and touches none of the host's.

    flask --app examples.host_app.app db-create        # the host's own tables
    flask --app examples.host_app.app idp upgrade-db   # the provider's tables
    flask --app examples.host_app.app run
"""

from __future__ import annotations

import os

from flask import Flask, redirect, render_template, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from idp_extension import IdentityProvider

db = SQLAlchemy()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)
idp = IdentityProvider()


class Note(db.Model):
    """The host's own model, in the host's own metadata."""

    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)


class NoteForm(FlaskForm):
    text = StringField("Note", validators=[DataRequired(), Length(max=200)])


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    here = os.path.abspath(os.path.dirname(__file__))
    database = os.environ.get("HOST_DATABASE_URL", f"sqlite:///{here}/host.sqlite3")
    app.config.update(
        SECRET_KEY=os.environ.get("HOST_SECRET_KEY", "change-me-" + "x" * 32),
        SQLALCHEMY_DATABASE_URI=database,
        # The provider: under /idp, its tables in the same database (its own metadata,
        # engine and version table), mail through the insurer's SMTP relay.
        IDP_URL_PREFIX="/idp",
        IDP_DATABASE_URL=database,
        IDP_ISSUER=os.environ.get("IDP_ISSUER", "http://127.0.0.1:5000"),
        IDP_RATELIMIT_STORAGE_URL="memory://",
    )
    app.config.update(config or {})

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    idp.init_app(app)

    @app.get("/")
    @limiter.limit("100/minute")
    def home():
        return render_template("host/home.html", notes=db.session.scalars(db.select(Note)).all())

    @app.route("/notes", methods=["GET", "POST"])
    def add_note():
        form = NoteForm()
        if form.validate_on_submit():
            db.session.add(Note(text=form.text.data))
            db.session.commit()
            return redirect(url_for("home"))
        return render_template("host/note_form.html", form=form)

    @app.errorhandler(404)
    def not_found(error):
        return render_template("host/not_found.html"), 404

    @app.after_request
    def mark_host_response(response):
        response.headers["X-Host-App"] = "mutuelle-portail"
        return response

    @app.cli.command("db-create")
    def create_host_tables():
        """Create the host's own tables (a real host would run its own migrations)."""
        db.create_all()

    return app
