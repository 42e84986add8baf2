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
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import ProjectRoleName

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


# project name: (owner, description, other collaborators and their roles)
DEMO_PROJECTS: dict[str, tuple[str, str, dict[str, ProjectRoleName]]] = {
    "sampleproject": ("alice", "A sample Python project.", {"bob": ProjectRoleName.Maintainer}),
    "requests-toolbelt-demo": (
        "alice",
        "Helpers for requests, for trying out shared maintenance.",
        {"bob": ProjectRoleName.Maintainer},
    ),
    "carol-utils": ("carol", "Small utilities Carol keeps to herself.", {}),
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
    project_lines = build_demo_projects(request)
    if not created:
        return project_lines or ["Demo data is already there."]
    request.db.flush()
    accounts = f"Demo accounts (password '{DEMO_PASSWORD}'): " + ", ".join(
        _describe(user) for user in created
    )
    return [accounts, *project_lines]


def build_demo_projects(request: Request) -> list[str]:
    """The demo projects that are missing, with their collaborators."""
    users = request.find_service(IUserService)
    projects = request.find_service(IProjectService)
    created = []
    for name, (owner, description, collaborators) in DEMO_PROJECTS.items():
        if projects.get_project_by_name(name) is not None:
            continue
        project = projects.create_project(name, users.get_user_by_username(owner))
        project.description = description
        for username, role_name in collaborators.items():
            projects.add_role(project, users.get_user_by_username(username), role_name)
        people = ", ".join(f"{role.user.username} ({role.role_name})" for role in project.roles)
        created.append(f"{name}: {people}")
    if not created:
        return []
    return ["Demo projects: " + "; ".join(created)]


def _describe(user: User) -> str:
    roles = ", ".join(user.staff_roles)
    extra = [roles] if roles else []
    if not user.has_two_factor:
        extra.append("no two-factor yet")
    return user.username + (f" ({'; '.join(extra)})" if extra else "")
