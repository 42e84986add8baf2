"""Signing a test browser in without going through the login pages.

For tests that need many signed-in people and are not about logging in (the permission
matrix): the session row is the one a password-and-TOTP login leaves behind, written straight
into the table, so it costs one INSERT instead of two page loads and an argon2 check. Tests of
logging in itself use ``tests.common.sessions.log_in``.
"""

import datetime
import secrets
from typing import Any

from sqlalchemy.orm import Session

from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.security_policy import AUTH_PASSWORD_DATE_KEY, AUTH_TIME_KEY
from warehouse_orgs.sessions import AUTH_USERID_KEY, SESSION_COOKIE_NAME, SESSION_LIFETIME
from warehouse_orgs.sessions.models import BrowserSession
from warehouse_orgs.sessions.services import hash_key

# Where Pyramid's SessionCSRFStoragePolicy keeps the token by default.
CSRF_SESSION_KEY = "_csrft_"


def start_session(app: Any, db: Session, user: User | None, **data: Any) -> str:
    """Give ``app``'s browser a session for ``user`` (None: a visitor who has loaded a form),
    authenticated this very moment, with ``data`` added; returns its CSRF token."""
    key = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    now = datetime.datetime.now(datetime.UTC)
    values: dict[str, Any] = {CSRF_SESSION_KEY: csrf_token, **data}
    if user is not None:
        values |= {
            AUTH_USERID_KEY: str(user.id),
            AUTH_TIME_KEY: now.timestamp(),
            AUTH_PASSWORD_DATE_KEY: user.password_date.timestamp(),
        }
    db.add(
        BrowserSession(
            key_hash=hash_key(key),
            data=values,
            user_id=user.id if user is not None else None,
            expires=now + SESSION_LIFETIME,
        )
    )
    db.flush()
    app.set_cookie(SESSION_COOKIE_NAME, key)
    return csrf_token
