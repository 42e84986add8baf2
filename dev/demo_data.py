"""The demo data ``make serve`` builds the first time it runs.

``build_demo_data(request)`` runs inside one transaction and is idempotent: it adds what is
missing and leaves what is there. It returns the lines to print.

Every demo account has the password ``password`` and two-factor authentication whose secret is
derived from the username, so ``make totp U=<username>`` can print a current code.
"""

import hashlib

from pyramid.request import Request

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.services import hash_secret

DEMO_PASSWORD = "password"  # noqa: S105 (the published demo password)

# username: (full name, staff flags, has two-factor)
DEMO_USERS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "admin": ("Ada Admin", ("is_superuser",), True),
    "support": ("Sam Support", ("is_support",), True),
    "moderator": ("Mo Moderator", ("is_moderator",), True),
    "psf": ("Pat PSF", ("is_psf_staff",), True),
    "alice": ("Alice Maintainer", (), True),
    "bob": ("Bob Maintainer", (), True),
    "carol": ("Carol Contributor", (), True),
    "newbie": ("Nia Newbie", (), False),
}


def demo_totp_secret(username: str) -> bytes:
    return hashlib.sha1(f"warehouse-orgs demo {username}".encode()).digest()  # noqa: S324


def build_demo_data(request: Request) -> list[str]:
    users = request.find_service(IUserService)
    created = []
    password_hash = hash_secret(DEMO_PASSWORD)
    for username, (name, flags, two_factor) in DEMO_USERS.items():
        if users.get_user_by_username(username) is not None:
            continue
        user = users.create_user(username, name, DEMO_PASSWORD, f"{username}@example.com")
        user.password = password_hash
        users.verify_email(user.primary_email)
        for flag in flags:
            users.set_staff_flag(user, flag, True)
        if two_factor:
            user.totp_secret = demo_totp_secret(username)
        created.append(user)
    if not created:
        return ["Demo data is already there."]
    request.db.flush()
    return [
        f"Demo accounts (password '{DEMO_PASSWORD}'): "
        + ", ".join(_describe(user) for user in created)
    ]


def _describe(user: User) -> str:
    roles = ", ".join(user.staff_roles)
    extra = [roles] if roles else []
    if not user.has_two_factor:
        extra.append("no two-factor yet")
    return user.username + (f" ({'; '.join(extra)})" if extra else "")
