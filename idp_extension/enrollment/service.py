"""Sign-up rules: identity proofing, one account per member, activation links, first password.

Services take explicit arguments, commit, write the audit and raise the typed errors below; the
views map each error to a page. Nothing here reads the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock, urls
from ..clock import as_utc
from ..db import db, rowcount
from ..errors import IdpError
from ..i18n import N_
from ..mail import messages
from ..models import Account, AccountStatus, OneTimeToken, TokenPurpose
from ..security import tokens
from ..security.audit import record
from ..security.passwords import PasswordPolicyError, unmet_rules
from ..settings import settings
from ..transaction import operation
from .matching import record_matches


class EnrollmentError(IdpError):
    """Base of every refusal of this module."""

    code, status = "enrollment_refused", 409


class RegistryMismatchError(EnrollmentError):
    """Number, names or birth date do not match an active member (deliberately not which)."""

    code, status = "registry_mismatch", 422
    message = N_(
        "Ces informations ne correspondent pas à celles de votre carte de tiers payant. "
        "Vérifiez votre numéro d'adhérent, votre nom, votre prénom et votre date de "
        "naissance."
    )


class AccountAlreadyActiveError(EnrollmentError):
    """This member already has an active account: they should sign in instead."""

    code, status = "account_already_active", 409


class AccountDisabledError(EnrollmentError):
    """The member's account was closed by the insurer; sign-up cannot reopen it."""

    code, status = "account_disabled", 409
    message = N_("Votre espace client a été fermé. Contactez votre mutuelle pour le rouvrir.")


class AddressNotFreeableError(EnrollmentError):
    """Only the address of an account never activated can be freed (an active member keeps it)."""

    code, status = "address_not_freeable", 409


class ConcurrentSignUpError(EnrollmentError):
    """Another sign-up for the same member number won the race (the unique constraint said so)."""

    code, status = "concurrent_sign_up", 409
    message = N_(
        "Une inscription vient d'être enregistrée pour ce numéro d'adhérent. Consultez "
        "votre messagerie : un email d'activation vous a peut-être déjà été envoyé."
    )


class ActivationInvalidError(EnrollmentError):
    """The link is unknown, was replaced by a newer one, or its account cannot be activated."""

    code, status = "activation_invalid", 404


class ActivationExpiredError(EnrollmentError):
    """The link is genuine but its lifetime is over; a new one can be sent."""

    code, status = "activation_expired", 410

    def __init__(self, account_id: int):
        super().__init__(account_id)
        self.account_id = account_id


@dataclass(frozen=True)
class EnrollmentResult:
    """What a sign-up did. ``account`` is None when the address belonged to someone else:
    its owner was mailed instead, and the answer must not show the difference."""

    account: Account | None
    email: str
    outbox_ids: list[int] = field(default_factory=list)


def _state():
    return current_app.extensions["idp"]


def enroll(
    *,
    first_name: str,
    last_name: str,
    birth_date: date,
    member_number: str,
    email: str,
    phone: str,
    ip_address: str | None = None,
    locale: str = "fr",
) -> EnrollmentResult:
    """Create (or replace the pending) account of a proven member and queue its activation mail.

    ``email`` and ``phone`` come normalised from the form (lower-case address, E.164 number).
    An address held by another account is not revealed: its owner gets a mail saying someone
    tried to sign up with it, and the result looks like any other (``account`` None). An
    address held by an account never activated whose link has expired is freed first.

    Called outside any operation: a parallel sign-up for the same member or address is met as
    a unique constraint, which rolls the attempt back; the answer is then a second operation.
    """
    now = clock.now()
    email = email.strip().lower()
    registered = _state().registry.lookup(member_number)
    if not record_matches(
        registered, first_name=first_name, last_name=last_name, birth_date=birth_date
    ):
        _reject("registry_mismatch", member_number, ip_address)
        raise RegistryMismatchError()
    try:
        return _enroll(registered, member_number, email, phone, locale, now, ip_address)
    except IntegrityError:
        holder = _email_holder(email, member_number)
        if holder is not None:  # a parallel sign-up took the address first
            return _warn_address_owner(holder, member_number, ip_address)
        raise ConcurrentSignUpError() from None


# A refusal keeps its audit row (written by ``_reject``), nothing else.
@operation(keep_on=(AccountAlreadyActiveError, AccountDisabledError))
def _enroll(registered, member_number, email, phone, locale, now, ip_address) -> EnrollmentResult:
    """``enroll`` once the member is proven: the account, its link and mail, or a refusal."""
    # The member's account and the address's holder in one read. Both rows are locked: the
    # member's so parallel sign-ups for one member queue up, the holder's for the few
    # milliseconds until commit (it may be deleted below); one statement locks them in the
    # order it meets them, the same for every sign-up, so two sign-ups cannot deadlock.
    found = db.session.scalars(
        select(Account)
        .where(or_(Account.member_number == member_number, Account.email == email))
        .with_for_update()
    ).all()
    account = next((row for row in found if row.member_number == member_number), None)
    holder = next((row for row in found if row.member_number != member_number), None)
    if account is not None and account.status == AccountStatus.ACTIVE:
        _reject("already_active", member_number, ip_address)
        raise AccountAlreadyActiveError()
    if account is not None and account.status != AccountStatus.PENDING:
        _reject("account_disabled", member_number, ip_address)
        raise AccountDisabledError()
    if holder is not None and _abandoned(holder, now):
        _delete_pending(holder, reason="activation_expired", ip_address=ip_address)
        holder = None
    if holder is not None:
        return _warn_address_owner(holder, member_number, ip_address)

    replacing = account is not None
    if account is None:
        account = Account(member_number=member_number, created_at=now)
        db.session.add(account)
    # The register's spelling is kept: it is what relying parties receive as names.
    account.first_name = registered.first_name
    account.last_name = registered.last_name
    account.birth_date = registered.birth_date
    account.email = email
    account.phone = phone
    account.locale = locale
    account.email_verified = False
    account.phone_verified = False
    db.session.flush()

    # A new account has no earlier link to void.
    message = _issue_activation(account, now, ip_address, void_earlier=replacing)
    record(
        "signup",
        account_id=account.id,
        ip_address=ip_address,
        member_number=member_number,
        replaced_pending=replacing,
    )
    return EnrollmentResult(account=account, email=email, outbox_ids=[message.id])


@operation
def _warn_address_owner(
    holder: Account, member_number: str, ip_address: str | None
) -> EnrollmentResult:
    """Mail the address's owner that someone tried to sign up with it; nothing else changes
    (called before the attempted sign-up wrote anything, or after it was rolled back)."""
    message = messages.address_in_use(
        holder,
        login_link=_absolute("account.login"),
        reset_link=_absolute("account.forgot_password"),
    )
    db.session.flush()
    record(
        "signup_rejected",
        ip_address=ip_address,
        member_number=member_number,
        reason="email_in_use",
        outbox_id=message.id,
    )
    return EnrollmentResult(account=None, email=holder.email, outbox_ids=[message.id])


@operation
def warn_address_owner_again(email: str, *, ip_address: str | None = None) -> int | None:
    """ "Send a new link" after a sign-up whose address was someone else's: the owner's mail
    again (the outbox id), or None if the address is no longer held."""
    holder = db.session.scalars(select(Account).where(Account.email == email)).first()
    if holder is None:
        return None
    return _warn_address_owner(holder, holder.member_number, ip_address).outbox_ids[0]


def _abandoned(account: Account, now: datetime) -> bool:
    """A sign-up never activated whose every activation link has expired or died."""
    if account.status != AccountStatus.PENDING:
        return False
    live = db.session.scalars(
        select(OneTimeToken.id).where(
            OneTimeToken.account_id == account.id,
            OneTimeToken.purpose == TokenPurpose.ACTIVATION,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.voided_at.is_(None),
            OneTimeToken.expires_at > now,
        )
    ).first()
    return live is None


def _delete_pending(account: Account, *, reason: str, ip_address: str | None, actor_id=None):
    """Remove an account never activated (its links go with it), so its address is free."""
    account_id = account.id
    db.session.expunge(account)
    db.session.execute(delete(Account).where(Account.id == account_id))
    record(
        "email_freed",
        account_id=None,
        ip_address=ip_address,
        freed_account_id=account_id,
        reason=reason,
        actor_id=actor_id,
    )


@operation
def free_email_address(email: str, *, admin_id: int | None, ip_address: str | None = None) -> bool:
    """Free an address held by an account never activated (it is deleted); True if one was.

    For an admin (``admin_id``) or an operator (``flask idp free-email``, ``admin_id`` None).

    An active or disabled account keeps its address (``AddressNotFreeableError``): an active
    member changes it from their profile.
    """
    holder = db.session.scalars(
        select(Account).where(Account.email == email.strip().lower()).with_for_update()
    ).first()
    if holder is None:
        return False
    if holder.status != AccountStatus.PENDING:
        raise AddressNotFreeableError()
    _delete_pending(holder, reason="freed_by_admin", ip_address=ip_address, actor_id=admin_id)
    return True


@operation
def resend_activation(account_id: int, *, ip_address: str | None = None) -> int:
    """Mail a fresh activation link to a pending account, voiding older ones; the outbox id."""
    account = db.session.get(Account, account_id, with_for_update=True)
    if account is None or account.status not in (AccountStatus.PENDING, AccountStatus.ACTIVE):
        raise ActivationInvalidError()
    if account.status == AccountStatus.ACTIVE:
        raise AccountAlreadyActiveError()
    message = _issue_activation(account, clock.now(), ip_address)
    return message.id


@operation
def renew_activation(token: str, *, ip_address: str | None = None) -> tuple[Account, int]:
    """Answer "send me a new link" from an expired link's page: (account, outbox id)."""
    try:
        account = check_activation(token)
    except ActivationExpiredError as expired:
        outbox_id = resend_activation(expired.account_id, ip_address=ip_address)
        return db.session.get_one(Account, expired.account_id), outbox_id
    # Still valid: a new one is sent all the same, as asked.
    outbox_id = resend_activation(account.id, ip_address=ip_address)
    return account, outbox_id


def check_activation(token: str) -> Account:
    """The pending account a link activates, without using the link (mail scanners open links)."""
    return _usable_token(token, lock=False).account


@operation
def activate(token: str, password: str, *, ip_address: str | None = None) -> Account:
    """Use the link once: set the first password, verify the email, make the account active."""
    found = _usable_token(token, lock=True)
    account = found.account
    unmet = unmet_rules(password)
    if unmet:
        raise PasswordPolicyError(unmet)
    now = clock.now()
    password_hash = _state().passwords.hash(password)
    # Spent in one conditional UPDATE: SQLite locks nothing on the read above, so of two
    # parallel submissions only the one whose UPDATE takes the row may set the password.
    claimed = db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.id == found.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.voided_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        db.session.expire_all()  # read the link and its account as the winner left them
        _usable_token(token, lock=False)  # raises what the winner made of the link
        raise ActivationInvalidError()
    account.password_hash = password_hash
    account.status = AccountStatus.ACTIVE
    account.email_verified = True
    account.activated_at = now
    account.password_changed_at = now
    record("activation", account_id=account.id, ip_address=ip_address)
    return account


def activation_link(token: str) -> str:
    """The absolute link mailed to the member: the issuer, then the route's path."""
    return urls.public_url("enrollment.activate", token=token)


def activation_valid_hours() -> int:
    """The link lifetime as members read it (IDP_ACTIVATION_TTL, in whole hours)."""
    return max(1, round(settings().activation_ttl / timedelta(hours=1)))


def _usable_token(token: str, *, lock: bool) -> OneTimeToken:
    query = select(OneTimeToken).where(
        OneTimeToken.digest == tokens.digest(token),
        OneTimeToken.purpose == TokenPurpose.ACTIVATION,
    )
    if lock:
        query = query.with_for_update()
    found = db.session.scalars(query).first()
    if found is None:
        raise ActivationInvalidError()
    account = found.account
    if account.status == AccountStatus.ACTIVE:
        raise AccountAlreadyActiveError()
    if (
        account.status != AccountStatus.PENDING
        or found.used_at is not None
        or found.voided_at is not None
    ):
        raise ActivationInvalidError()
    if clock.now() > as_utc(found.expires_at):
        raise ActivationExpiredError(account.id)
    return found


def _issue_activation(
    account: Account, now: datetime, ip_address: str | None, *, void_earlier: bool = True
):
    """Void the account's earlier activation links, create one, and queue its mail."""
    if void_earlier:
        db.session.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.account_id == account.id,
                OneTimeToken.purpose == TokenPurpose.ACTIVATION,
                OneTimeToken.used_at.is_(None),
                OneTimeToken.voided_at.is_(None),
            )
            .values(voided_at=now)
            .execution_options(synchronize_session=False)
        )
    token = tokens.new_token()
    db.session.add(
        OneTimeToken(
            digest=tokens.digest(token),
            purpose=TokenPurpose.ACTIVATION,
            account_id=account.id,
            created_at=now,
            expires_at=now + settings().activation_ttl,
        )
    )
    message = messages.activation(
        account, activation_link(token), valid_hours=activation_valid_hours()
    )
    db.session.flush()
    record(
        "activation_link_issued", account_id=account.id, ip_address=ip_address, outbox_id=message.id
    )
    return message


def _email_holder(email: str, member_number: str) -> Account | None:
    """The account of another member that holds this address, if any."""
    return db.session.scalars(
        select(Account).where(Account.email == email, Account.member_number != member_number)
    ).first()


def _absolute(endpoint: str) -> str:
    """An absolute link for a mail, independent of the current request's host."""
    return urls.public_url(endpoint)


@operation
def _reject(reason: str, member_number: str, ip_address: str | None) -> None:
    """Audit a refused sign-up (before anything of it is written: the caller keeps this row)."""
    record("signup_rejected", ip_address=ip_address, member_number=member_number, reason=reason)


def find_account(account_id: object) -> Account | None:
    """The account of a browser's pending sign-up (None for anything that is not one)."""
    if not isinstance(account_id, int):
        return None
    return db.session.get(Account, account_id)
