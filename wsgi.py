"""Entry point for gunicorn and ``flask --app wsgi``."""

from idp_extension import create_app

app = create_app()
