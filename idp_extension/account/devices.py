"""A short, readable name for the browser behind a stored User-Agent ("Firefox · Windows").

Enough for a member to recognise their own devices in the list of active sessions; not a
fingerprint, not a full parser. The order of the patterns matters: Edge and Opera announce
themselves as Chrome too, Chrome as Safari, and every browser on iOS as Safari.
"""

from __future__ import annotations

import re

# (pattern, name): the first pattern found names the browser.
_BROWSERS = (
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(?:OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(?:Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(?:Chrome|Chromium|CriOS)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
    (re.compile(r"\bMSIE |\bTrident/"), "Internet Explorer"),
)
_SYSTEMS = (
    (re.compile(r"\b(?:iPhone|iPad|iPod)\b"), "iOS"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)
SEPARATOR = " · "


def describe_user_agent(user_agent: str | None) -> str | None:
    """The browser and system named by ``user_agent`` ("Chrome · Android"), what of them is
    known, or None when neither is (the page then says the browser is unknown)."""
    if not user_agent:
        return None
    parts = [_first_match(_BROWSERS, user_agent), _first_match(_SYSTEMS, user_agent)]
    known = [part for part in parts if part]
    return SEPARATOR.join(known) or None


def _first_match(patterns, user_agent: str) -> str | None:
    return next((name for pattern, name in patterns if pattern.search(user_agent)), None)
