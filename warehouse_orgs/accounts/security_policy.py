"""Who is asking, and may they? A Pyramid 2 security policy over browser sessions.

Identity comes from the server-side session. Permissions come from the context's ACL (Pyramid's
ACLHelper), with one rule added here and nowhere else: apart from looking after their own
account, a user may use a permission only with a verified primary email and two-factor
authentication. The refusal says which is missing, so the error page can say what to do.
"""

import datetime
from typing import Any

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.config import Configurator
from pyramid.csrf import new_csrf_token
from pyramid.interfaces import ISecurityPolicy
from pyramid.request import Request
from pyramid.security import Denied
from zope.interface import implementer

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import ACCOUNT_SETUP_PERMISSIONS
from warehouse_orgs.sessions import AUTH_USERID_KEY, SESSION_COOKIE_NAME

AUTH_TIME_KEY = "auth.time"
AUTH_PASSWORD_DATE_KEY = "auth.password_date"  # noqa: S105 (a session key, not a secret)


class InsecureAccountDenied(Denied):
    """The ACL would allow it, but the account lacks a verified email or two-factor auth."""

    reason = ""

    def __new__(cls) -> "InsecureAccountDenied":
        return super().__new__(cls, "The account needs %s first.", cls.reason)


class NeedsVerifiedEmail(InsecureAccountDenied):
    reason = "a verified primary email"


class NeedsTwoFactor(InsecureAccountDenied):
    reason = "two-factor authentication"


def _timestamp(moment: datetime.datetime) -> float:
    return moment.timestamp()


@implementer(ISecurityPolicy)
class SessionSecurityPolicy:
    def __init__(self) -> None:
        self.acl = ACLHelper()

    def identity(self, request: Request) -> User | None:
        # Pyramid asks for the identity on every permission check; look it up once.
        return request.session_user

    def load_identity(self, request: Request) -> User | None:
        # No cookie, no session: looking must not create one.
        if SESSION_COOKIE_NAME not in request.cookies:
            return None
        userid = request.session.get(AUTH_USERID_KEY)
        if userid is None:
            return None
        user = request.find_service(IUserService).get_user(userid)
        valid = (
            user is not None
            and user.is_active
            # A session from before the last password change is over, wherever it is.
            and request.session.get(AUTH_PASSWORD_DATE_KEY) == _timestamp(user.password_date)
        )
        if not valid:
            request.session.invalidate()
            return None
        return user

    def authenticated_userid(self, request: Request) -> str | None:
        user = request.identity
        return str(user.id) if user is not None else None

    def principals(self, request: Request) -> list[str]:
        user = request.identity
        if user is None:
            return [Everyone]
        return [Everyone, Authenticated, *user.__principals__()]

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        result = self.acl.permits(context, self.principals(request), permission)
        user = request.identity
        if result and user is not None and permission not in ACCOUNT_SETUP_PERMISSIONS:
            if not user.has_verified_primary_email:
                return NeedsVerifiedEmail()
            if not user.has_two_factor:
                return NeedsTwoFactor()
        return result

    def remember(self, request: Request, userid: Any, **kw: Any) -> list:
        """Log ``userid`` in: a new session key, and the moment of authentication."""
        user = request.find_service(IUserService).get_user(userid)
        session = request.session
        session.rotate()
        session[AUTH_USERID_KEY] = str(userid)
        session[AUTH_TIME_KEY] = datetime.datetime.now(datetime.UTC).timestamp()
        session[AUTH_PASSWORD_DATE_KEY] = _timestamp(user.password_date)
        new_csrf_token(request)
        _forget_cached_identity(request)
        return []

    def forget(self, request: Request, **kw: Any) -> list:
        request.session.invalidate()
        _forget_cached_identity(request)
        return []


def _forget_cached_identity(request: Request) -> None:
    for name in ("session_user", "user"):
        request.__dict__.pop(name, None)


def refresh_authentication(request: Request, user: User) -> None:
    """After the user proved who they are again (a password change, reauthentication)."""
    request.session[AUTH_TIME_KEY] = datetime.datetime.now(datetime.UTC).timestamp()
    request.session[AUTH_PASSWORD_DATE_KEY] = _timestamp(user.password_date)


def seconds_since_authentication(request: Request) -> float:
    authenticated = request.session.get(AUTH_TIME_KEY, 0)
    return datetime.datetime.now(datetime.UTC).timestamp() - authenticated


def _user(request: Request) -> User | None:
    return request.identity


def includeme(config: Configurator) -> None:
    policy = SessionSecurityPolicy()
    config.set_security_policy(policy)
    config.add_request_method(policy.load_identity, name="session_user", reify=True)
    config.add_request_method(_user, name="user", reify=True)
