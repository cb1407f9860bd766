"""Reading received mail as a member would: its parts and the link behind a button."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser


def text_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


class _LinkFinder(HTMLParser):
    def __init__(self, label: str):
        super().__init__()
        self.label = label
        self.href: str | None = None
        self._current: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._current = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data):
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._current is not None:
            if " ".join("".join(self._text).split()) == self.label and self.href is None:
                self.href = self._current
            self._current = None


def link_labelled(message: EmailMessage, label: str) -> str:
    """The href of the HTML part's link whose text is ``label`` (a mail's button)."""
    finder = _LinkFinder(label)
    finder.feed(html_part(message))
    if finder.href is None:
        raise AssertionError(f"no link labelled {label!r} in the mail")
    return finder.href


def links_in_text(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", text_part(message))
