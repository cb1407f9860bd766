"""Pressing the provider's buttons as a browser does (the page first, for its CSRF token)."""

from ..account.helpers import post_form

PHONE = "+33612345678"


def press(client, page_path, action, **data):
    """Open ``page_path`` and submit its form to ``action`` with ``data``."""
    return post_form(client, action, data, page_path=page_path)
