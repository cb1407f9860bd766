"""The typed settings object, built once per application at ``init_app``.

Services read ``settings()`` (``app.extensions["idp"].settings``), not ``current_app.config``:
every ``IDP_*`` key of ``config.DEFAULTS`` is an attribute without its prefix, lower-cased
(``IDP_ACTIVATION_TTL`` -> ``settings().activation_ttl``), and durations (keys ending in
``_TTL``, ``_SECONDS``, ``_LIFETIME``, ``_MAX_AGE``) are ``timedelta``. Adding a key to
``config.DEFAULTS`` is all it takes to read it here.

>>> settings().activation_ttl
datetime.timedelta(days=1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app

from .config import DEFAULTS

DURATION_SUFFIXES = ("_TTL", "_SECONDS", "_LIFETIME", "_MAX_AGE")


def attribute_name(key: str) -> str:
    return key.removeprefix("IDP_").lower()


def is_duration(key: str) -> bool:
    return key.endswith(DURATION_SUFFIXES)


@dataclass(frozen=True)
class Settings:
    """Every IDP_* setting of one application, typed; ``issuer`` includes the URL prefix,
    ``base_url`` (IDP_ISSUER) does not: mailed links are built on it from the URL map."""

    issuer: str
    base_url: str
    values: dict[str, Any] = field(repr=False)

    @classmethod
    def from_config(cls, config) -> Settings:
        values: dict[str, Any] = {}
        for key in DEFAULTS:
            value = config.get(key)
            if is_duration(key) and isinstance(value, int | float):
                value = timedelta(seconds=value)
            values[attribute_name(key)] = value
        base_url = config["IDP_ISSUER"]
        return cls(issuer=base_url + config["IDP_URL_PREFIX"], base_url=base_url, values=values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(f"no setting {name!r} (IDP_{name.upper()})") from None


def settings() -> Settings:
    """The current application's settings."""
    return current_app.extensions["idp"].settings
