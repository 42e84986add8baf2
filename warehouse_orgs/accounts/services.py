"""Accounts: passwords, emails, two-factor authentication, recovery codes and signed tokens."""

import base64
import datetime
import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import argon2
import itsdangerous
import pyotp
from pyramid.request import Request
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from zope.interface import implementer

from warehouse_orgs.accounts.interfaces import (
    EMAIL_TAKEN,
    USERNAME_TAKEN,
    ITokenService,
    IUserService,
    NameOrAddressTaken,
)
from warehouse_orgs.accounts.models import STAFF_FLAGS, Email, RecoveryCode, User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.ownership import broke_owner_rule, owner_rule_message
from warehouse_orgs.sessions import SESSION_COOKIE_NAME
from warehouse_orgs.sessions.interfaces import ISessionStore

# argon2id with OWASP's recommended minimum: 19 MiB, two passes.
PASSWORD_HASHER = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
RECOVERY_CODE_COUNT = 8
TOTP_DIGITS = 6
TOTP_INTERVAL = 30
# The database's names for the constraints behind "taken".
USERNAME_CONSTRAINT = "users_username_key"
EMAIL_CONSTRAINT = "user_emails_email_key"


class LastAdminRefused(Exception):
    """Taking this Admin role away would leave nobody able to grant staff roles."""


class AccountDeletionRefused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class TokenError(Exception):
    pass


class TokenExpired(TokenError):
    pass


class TokenInvalid(TokenError):
    pass


class TokenUsed(TokenError):
    """The link was good, but what it was for has happened since (the password changed)."""


PASSWORD_RESET_ACTION = "password-reset"  # noqa: S105 (a token's purpose, not a secret)


def password_state(user: User) -> str:
    """A fingerprint of everything a password reset or a login changes.

    A reset link carries the fingerprint of the moment it was made, so it works once: setting
    the new password changes the hash and the password date, and the link stops matching. A
    login in between (the person remembered the password) ends it too. The token is signed but
    not encrypted, so it carries a digest, never the hash itself.
    """
    last_login = user.last_login.isoformat() if user.last_login else ""
    material = f"{user.password}|{user.password_date.isoformat()}|{last_login}"
    return hashlib.sha256(material.encode()).hexdigest()


def hash_secret(value: str) -> str:
    return PASSWORD_HASHER.hash(value)


def _matches(stored_hash: str, value: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(stored_hash, value)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


@functools.cache
def _decoy_hash() -> str:
    return hash_secret(secrets.token_hex(16))


def spend_password_check(password: str) -> None:
    """Take as long as checking a real password, for a username that does not exist, so the
    answer's timing does not tell which usernames are registered."""
    _matches(_decoy_hash(), password)


def new_totp_secret() -> bytes:
    return secrets.token_bytes(20)


def totp_for(secret: bytes) -> pyotp.TOTP:
    return pyotp.TOTP(base64.b32encode(secret).decode(), digits=TOTP_DIGITS, interval=TOTP_INTERVAL)


def totp_provisioning_uri(secret: bytes, username: str, issuer: str) -> str:
    return totp_for(secret).provisioning_uri(name=username, issuer_name=issuer)


def normalize_recovery_code(code: str) -> str:
    return "".join(code.split()).lower()


# A feature that may need to stop an account deletion registers a check with
# ``config.add_account_deletion_check(check)``; ``check(request, user, lock=...)`` returns the
# reasons. With ``lock=True`` the deletion follows in the same transaction, so the check locks
# what it counts (the projects and organizations the user owns) until the transaction ends:
# nobody else can leave them meanwhile.
class DeletionCheck(Protocol):
    def __call__(self, request: Request, user: User, *, lock: bool) -> list[str]: ...


# ``config.add_login_landing(landing)``: ``landing(request, user)`` returns the path a login
# without ``next`` should end on, or None to leave it to the next feature (or the account page).
LoginLanding = Callable[[Request, User], str | None]


# ``config.add_account_deletion_hook(hook)``: ``hook(request, user)`` runs once the checks
# allowed the deletion, before the rows go, to record in the feature's own history what goes
# with the account (its roles, its invitations).
DeletionHook = Callable[[Request, User], None]


@implementer(IUserService)
class DatabaseUserService(RequestDatabaseService):
    # Lookups
    def get_user(self, user_id: uuid.UUID | str) -> User | None:
        try:
            user_id = uuid.UUID(str(user_id))
        except ValueError:
            return None
        # Every page a signed-in person opens starts here: the addresses (a handful) come in
        # the same statement, not a second one.
        return (
            self.db.scalars(select(User).options(joinedload(User.emails)).where(User.id == user_id))
            .unique()
            .one_or_none()
        )

    def get_user_by_username(self, username: str) -> User | None:
        return self.db.scalars(select(User).where(User.username == username)).one_or_none()

    def get_user_by_email(self, email: str) -> User | None:
        return self.db.scalars(select(User).join(Email).where(Email.email == email)).one_or_none()

    # Creation and passwords
    def create_user(self, username: str, name: str, password: str, email: str) -> User:
        user = User(username=username, name=name, password=hash_secret(password))
        user.emails.append(Email(email=email, primary=True, verified=False))
        insert_or_refuse(
            self.db,
            user,
            {
                USERNAME_CONSTRAINT: NameOrAddressTaken("username", USERNAME_TAKEN),
                EMAIL_CONSTRAINT: NameOrAddressTaken("email", EMAIL_TAKEN),
            },
        )
        user.record_event(EventTag.AccountCreate, self.request, {"username": username})
        return user

    def check_password(self, user: User, password: str) -> bool:
        if not _matches(user.password, password):
            return False
        if PASSWORD_HASHER.check_needs_rehash(user.password):
            user.password = hash_secret(password)
        return True

    def update_password(self, user: User, password: str) -> None:
        user.password = hash_secret(password)
        user.password_date = datetime.datetime.now(datetime.UTC)
        user.record_event(EventTag.AccountPasswordChange, self.request)
        self.request.find_service(ISessionStore).delete_for_user(
            user.id, keep_key=self.request.cookies.get(SESSION_COOKIE_NAME)
        )

    def password_reset_token(self, user: User) -> str:
        tokens = self.request.find_service(ITokenService, name="password")
        return tokens.dumps(
            {
                "action": PASSWORD_RESET_ACTION,
                "user.id": str(user.id),
                "state": password_state(user),
            }
        )

    def user_for_password_reset(self, token: str, *, lock: bool = False) -> User:
        tokens = self.request.find_service(ITokenService, name="password")
        data = tokens.loads(token)
        if data.get("action") != PASSWORD_RESET_ACTION:
            raise TokenInvalid()
        user = self.get_user(data.get("user.id", ""))
        if user is None or not user.is_active:
            raise TokenInvalid()
        if lock:
            # Two posts of one link at the same moment: the second waits here, then finds the
            # password changed, so the link is used once. Only the account's row is locked
            # (its addresses come along in the same statement, outer-joined).
            self.db.refresh(user, with_for_update={"of": User})
        if not hmac.compare_digest(password_state(user), str(data.get("state", ""))):
            raise TokenUsed()
        return user

    def reset_password(self, user: User, password: str) -> None:
        user.password = hash_secret(password)
        user.password_date = datetime.datetime.now(datetime.UTC)
        user.record_event(EventTag.AccountPasswordReset, self.request)
        # Whoever knew the old password may still be logged in somewhere: every session ends,
        # and the security policy refuses any that began before the new password date.
        self.request.find_service(ISessionStore).delete_for_user(user.id)

    def update_name(self, user: User, name: str) -> None:
        user.name = name
        user.record_event(EventTag.AccountNameChange, self.request, {"name": name})

    # Emails
    def add_email(self, user: User, email: str) -> Email:
        address = Email(user_id=user.id, email=email, primary=False, verified=False)
        insert_or_refuse(
            self.db, address, {EMAIL_CONSTRAINT: NameOrAddressTaken("email", EMAIL_TAKEN)}
        )
        self.db.expire(user, ["emails"])
        user.record_event(EventTag.AccountEmailAdd, self.request, {"email": email})
        return address

    def verify_email(self, email: Email) -> None:
        email.verified = True
        user = email.user
        primary = user.primary_email
        if primary is not None and primary is not email and not primary.verified:
            # An account whose only verified address is not primary would stay locked out of
            # everything; the first verified address takes over.
            self._swap_primary(user, email)
        email.user.record_event(EventTag.AccountEmailVerify, self.request, {"email": email.email})

    def set_primary_email(self, user: User, email: Email) -> None:
        if not email.verified:
            raise ValueError("only a verified address can be primary")
        old = user.primary_email
        self._swap_primary(user, email)
        user.record_event(
            EventTag.AccountEmailPrimaryChange,
            self.request,
            {"old_primary": old.email if old else None, "new_primary": email.email},
        )

    def _swap_primary(self, user: User, email: Email) -> None:
        # Clear the old primary first: the partial unique index allows one primary per user.
        self.db.execute(
            update(Email).where(Email.user_id == user.id, Email.primary).values(primary=False)
        )
        self.db.expire(user, ["emails"])
        self.db.refresh(email)
        email.primary = True
        self.db.flush()

    def remove_email(self, user: User, email: Email) -> None:
        if email.primary:
            raise ValueError("the primary address cannot be removed")
        user.emails.remove(email)
        self.db.flush()
        user.record_event(EventTag.AccountEmailRemove, self.request, {"email": email.email})

    # Two-factor authentication
    def check_totp_value(self, user: User, value: str, secret: bytes | None = None) -> bool:
        secret = secret if secret is not None else user.totp_secret
        value = "".join(value.split())
        if secret is None or len(value) != TOTP_DIGITS or not value.isdigit():
            return False
        totp = totp_for(secret)
        current = totp.timecode(datetime.datetime.now(datetime.UTC))
        # One step either side allows for clock drift; an accepted step is never accepted again.
        for step in (current - 1, current, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), value):
                if user.last_totp_step is not None and step <= user.last_totp_step:
                    return False
                user.last_totp_step = step
                return True
        return False

    def enable_totp(self, user: User, secret: bytes) -> list[str]:
        user.totp_secret = secret
        user.record_event(EventTag.AccountTwoFactorAdd, self.request)
        return self.generate_recovery_codes(user)

    def disable_totp(self, user: User) -> None:
        user.totp_secret = None
        user.last_totp_step = None
        self._burn_recovery_codes(user)
        user.record_event(EventTag.AccountTwoFactorRemove, self.request)

    def generate_recovery_codes(self, user: User) -> list[str]:
        self._burn_recovery_codes(user)
        codes = [secrets.token_hex(8) for _ in range(RECOVERY_CODE_COUNT)]
        self.db.add_all(RecoveryCode(user_id=user.id, code_hash=hash_secret(c)) for c in codes)
        user.record_event(EventTag.AccountRecoveryCodesGenerate, self.request)
        return codes

    def _burn_recovery_codes(self, user: User) -> None:
        self.db.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.burned.is_(None))
            .values(burned=func.now())
        )

    def use_recovery_code(self, user: User, code: str) -> bool:
        code = normalize_recovery_code(code)
        unburned = self.db.scalars(
            select(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.burned.is_(None))
            .with_for_update()
        ).all()
        for recovery_code in unburned:
            if _matches(recovery_code.code_hash, code):
                recovery_code.burned = datetime.datetime.now(datetime.UTC)
                user.record_event(EventTag.AccountRecoveryCodeUse, self.request)
                return True
        return False

    def unused_recovery_code_count(self, user: User) -> int:
        return self.db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.burned.is_(None))
        )

    # Logins, staff, deletion
    def record_login(self, user: User) -> None:
        user.last_login = datetime.datetime.now(datetime.UTC)

    def set_staff_flag(self, user: User, flag: str, value: bool) -> None:
        if flag not in STAFF_FLAGS:
            raise ValueError(f"unknown staff flag {flag!r}")
        if getattr(user, flag) == value:
            return
        if flag == "is_superuser" and not value:
            self._refuse_if_last_admin(user)
        setattr(user, flag, value)
        user.record_event(
            EventTag.AccountStaffFlagChange,
            self.request,
            {"flag": STAFF_FLAGS[flag][1], "value": value, "username": user.username},
        )

    def _refuse_if_last_admin(self, user: User) -> None:
        if self._is_last_admin(user, lock=True):
            raise LastAdminRefused()

    def _is_last_admin(self, user: User, *, lock: bool) -> bool:
        # Locking every admin's row first makes two admins removing each other (or deleting
        # their accounts) at the same moment run one after the other; the second sees that
        # nobody would be left.
        query = select(User.id).where(User.is_superuser)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return not set(self.db.scalars(query).all()) - {user.id}

    def deletion_blockers(self, user: User, *, lock: bool = False) -> list[str]:
        reasons = []
        if user.is_superuser and self._is_last_admin(user, lock=lock):
            reasons.append(
                "You are the only administrator. Make someone else an administrator first."
            )
        checks: list[DeletionCheck] = self.request.registry.get("accounts.deletion_checks", [])
        reasons += [reason for check in checks for reason in check(self.request, user, lock=lock)]
        return reasons

    def delete_user(self, user: User) -> None:
        reasons = self.deletion_blockers(user, lock=True)
        if reasons:
            raise AccountDeletionRefused(reasons)
        # Each feature records, in its own history, what the deletion takes with it.
        hooks: list[DeletionHook] = self.request.registry.get("accounts.deletion_hooks", [])
        for hook in hooks:
            hook(self.request, user)
        try:
            with self.db.begin_nested():
                self.db.delete(user)
                self.db.flush()
        except IntegrityError as error:
            # The database's owner rule caught what the checks did not.
            if broke_owner_rule(error):
                raise AccountDeletionRefused([owner_rule_message(error)]) from error
            raise


@implementer(ITokenService)
class TokenService:
    """Signed, timestamped tokens (itsdangerous) for links sent by email."""

    def __init__(self, secret: str, salt: str, max_age: int) -> None:
        self.serializer = itsdangerous.URLSafeTimedSerializer(secret, salt=salt)
        self.max_age = max_age

    def dumps(self, data: dict[str, Any]) -> str:
        return self.serializer.dumps(data)

    def loads(self, token: str) -> dict[str, Any]:
        try:
            return self.serializer.loads(token, max_age=self.max_age)
        except itsdangerous.SignatureExpired as error:
            raise TokenExpired() from error
        except itsdangerous.BadData as error:
            raise TokenInvalid() from error


def token_service_factory(salt: str, max_age: int) -> Callable[[Any, Request], TokenService]:
    def factory(context: Any, request: Request) -> TokenService:
        return TokenService(request.registry.settings["token.secret"], salt, max_age)

    return factory
