"""Demo mode only: the local mailbox page, so a person can click an activation link."""

import ipaddress

from flask import Blueprint, abort, render_template, request

from ..models import OutboxMessage
from . import service

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.before_request
def only_from_this_machine():
    """The mailbox shows every activation and reset link: never to another machine."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        abort(404)


# A mail's HTML is shown as it would be in a mail client: in a sandboxed frame of its own, with
# its inline styles allowed there (and only there), no script, links opening in the page above.
MESSAGE_BODY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
        "sandbox allow-top-navigation-by-user-activation allow-popups "
        "allow-popups-to-escape-sandbox",
    ]
)


@bp.get("/mailbox")
def mailbox():
    messages = service.mailbox_messages()
    return render_template(
        "idp/demo/mailbox.html", messages=messages, sms_texts=service.sms_texts(messages)
    )


@bp.get("/mailbox/<int:message_id>")
def message(message_id: int):
    return render_template("idp/demo/message.html", message=_shown_message(message_id))


@bp.get("/mailbox/<int:message_id>/contenu")
def message_body(message_id: int):
    html = service.message_html(_shown_message(message_id))
    # Links leave the frame for the whole tab, as a click in a mail client opens the browser.
    html = html.replace("<head>", '<head><base target="_top">', 1)
    return (
        html,
        200,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": MESSAGE_BODY_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


def _shown_message(message_id: int) -> OutboxMessage:
    found = service.delivered_message(message_id)
    if found is None:
        abort(404)
    return found
