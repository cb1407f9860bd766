"""SMS senders: the insurer's HTTP gateway, and the demo mailbox that keeps messages on a page.

Every SMS leaves through the outbox (mail/outbox.py), which calls a sender's ``send`` and sorts
its failures like a mail transport's: ``TransportUnavailableError`` (the gateway cannot be
reached, or refuses our credentials: nothing is wrong with the message, it waits and is sent
once the gateway is back), ``PermanentDeliveryError`` (the gateway refused this message for
good, say an invalid number), anything else retried with backoff.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ..mail.sender import PermanentDeliveryError, TransportUnavailableError

# Answers that say "not now" rather than "never": retried.
RETRY_LATER_STATUSES = {401, 403, 407, 408, 425, 429}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that redirects is misconfigured: message and token go nowhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpSmsGateway:
    """POST ``{"to": "+33...", "text": "..."}`` as JSON to ``url``, with ``Authorization:
    Bearer <token>`` when a token is set. Any 2xx answer means the gateway took the message.

    >>> gateway = HttpSmsGateway("https://sms.example/send", token="...", timeout=10)
    >>> gateway.send("+33612345678", "Bonjour")
    """

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0):
        self.url = url
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, phone_e164: str, text: str) -> None:
        body = json.dumps({"to": phone_e164, "text": text}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The URL's scheme is checked (http or https) when the configuration is loaded.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, headers=headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(4096)
        except urllib.error.HTTPError as error:
            # Never the token nor the text in the error: it is stored on the outbox row.
            if error.code in RETRY_LATER_STATUSES or error.code >= 500 or error.code < 400:
                raise TransportUnavailableError(f"SMS gateway answered {error.code}") from None
            raise PermanentDeliveryError(f"SMS gateway refused the message: {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TransportUnavailableError(f"SMS gateway unreachable: {reason}") from None


class MailboxSmsSender:
    """Demo only: nothing leaves the machine; the outbox row is shown on the mailbox page."""

    keeps_bodies = True

    def send(self, phone_e164: str, text: str) -> None:
        return None


class UnconfiguredSmsSender:
    """No gateway configured (``IDP_SMS_GATEWAY_URL``): SMS wait in the outbox until one is."""

    def send(self, phone_e164: str, text: str) -> None:
        raise TransportUnavailableError("IDP_SMS_GATEWAY_URL is not set")
