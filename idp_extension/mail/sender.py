"""Mail transports: SMTP through Flask-Mail, and the demo mailbox that keeps messages on a page."""

from __future__ import annotations

import smtplib

from flask_mail import Mail, Message

mail = Mail()


class PermanentDeliveryError(Exception):
    """The SMTP server refused the message for good (5xx): retrying cannot help."""


class SmtpTransport:
    """Send through Flask-Mail (SMTP, STARTTLS or SSL, authentication from config)."""

    def send(self, *, sender, recipient, subject, body_text, body_html, message_id,
             date_header) -> None:
        message = Message(subject=subject, recipients=[recipient], body=body_text,
                          html=body_html, sender=sender, extra_headers={"Date": date_header})
        message.msgId = message_id
        try:
            mail.send(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentDeliveryError(str(codes)) from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentDeliveryError(f"{error.smtp_code}") from error
            raise


class MailboxTransport:
    """Demo only: nothing leaves the machine; the outbox row itself is the mailbox entry."""

    keeps_bodies = True

    def send(self, **message) -> None:
        return None
