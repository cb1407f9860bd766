"""Demo mode only: the local mailbox page, so a person can click an activation link."""

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from ..db import db
from ..models import OutboxMessage, OutboxStatus

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.get("/mailbox")
def mailbox():
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
        .order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    return render_template("demo/mailbox.html", messages=messages)


@bp.get("/mailbox/<int:message_id>")
def message(message_id: int):
    from flask import current_app

    from ..security.sealing import unseal

    found = db.session.get(OutboxMessage, message_id)
    if found is None or found.status != OutboxStatus.SENT or not found.body_html:
        abort(404)
    html = unseal(current_app.config["SECRET_KEY"], found.body_html)
    return render_template("demo/message.html", message=found, body_html=html)
