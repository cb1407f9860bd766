"""When a second factor is asked, and which (IDP_MFA: optional, required, off).

``optional``: asked at sign-in when the member set one up, and whenever a relying party asks
with ``acr_values=mfa``; ``required``: at every sign-in of every member; ``off``: never.
Admins must use one whatever the policy but ``off``: the console sends them to give it, or
to set one up when they have none (mfa/views.py ``require_admin_second_factor``).

Authentication methods are RFC 8176 values: ``pwd``, ``sms``, ``otp`` (an app's code or a
recovery code), and ``mfa`` once two were used.
"""

from __future__ import annotations

from ..models import Account, SecondFactorMethod

SECOND_FACTOR_METHODS = ("sms", "otp")
ACR_PASSWORD = "pwd"  # noqa: S105 - an acr value, not a password
ACR_MULTI_FACTOR = "mfa"
ACR_VALUES = (ACR_PASSWORD, ACR_MULTI_FACTOR)


def enabled(policy: str) -> bool:
    return policy != "off"


def asked_at_sign_in(account: Account, policy: str) -> bool:
    if policy == "off":
        return False
    return policy == "required" or account.second_factor is not None


def login_method(account: Account) -> str:
    """The factor the sign-in page asks for first: the app when set up, else an SMS code."""
    return "otp" if account.second_factor == SecondFactorMethod.TOTP.value else "sms"


def methods_after(first: list[str] | None, second: str) -> list[str]:
    """The session's methods once ``second`` was given on top of the password."""
    methods = [m for m in (first or ["pwd"]) if m != ACR_MULTI_FACTOR]
    if second not in methods:
        methods.append(second)
    return [*methods, ACR_MULTI_FACTOR]


def has_second_factor(methods: list[str] | None) -> bool:
    return any(method in SECOND_FACTOR_METHODS for method in methods or ())


def acr_for(methods: list[str] | None) -> str:
    return ACR_MULTI_FACTOR if has_second_factor(methods) else ACR_PASSWORD
