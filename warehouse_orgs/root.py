"""The root context: routes that name no object (admin pages, account pages) are checked
against this ACL. Who may do what is data here, in one place."""

from typing import Any

from pyramid.authorization import Allow, Authenticated
from pyramid.request import Request

from warehouse_orgs.authnz import Permissions, Principals

P = Permissions

STAFF_READ_ORGANIZATIONS = [P.AdminDashboardRead, P.AdminUsersRead, P.AdminOrganizationsRead]

ROOT_PERMISSIONS: dict[str, list[Permissions]] = {
    # Admins (superusers) hold every staff permission. Named one by one rather than with
    # ALL_PERMISSIONS: an object whose ACL falls through to the root must not hand admins its
    # owners' rights.
    Principals.admins: [p for p in Permissions if p.name.startswith("Admin")],
    # Moderators look but do not touch. The sponsor pages are PSF staff's: the inquiries hold
    # companies' contact details, which only those who answer them need.
    Principals.moderators: STAFF_READ_ORGANIZATIONS,
    # Support read and write organizations, applications and accounts.
    Principals.support: [
        *STAFF_READ_ORGANIZATIONS,
        P.AdminUsersWrite,
        P.AdminOrganizationsWrite,
        P.AdminOrganizationsNameWrite,
        P.AdminOrganizationsSetLimit,
        P.AdminRoleAdd,
        P.AdminRoleUpdate,
        P.AdminRoleDelete,
    ],
    # PSF staff keep the sponsor list.
    Principals.psf_staff: [P.AdminDashboardRead, P.AdminSponsorsRead, P.AdminSponsorsWrite],
    # Anyone signed in may look after their own account and start projects.
    Authenticated: [
        P.AccountManage,
        P.AccountVerifyOrgRole,
        P.ProjectsCreate,
        P.OrganizationApplicationsManage,
    ],
}


class RootFactory:
    __name__ = ""
    __parent__ = None

    def __init__(self, request: Request) -> None:
        self.request = request

    @property
    def __acl__(self) -> list[tuple[Any, ...]]:
        return [
            (Allow, str(principal), [str(p) for p in permissions])
            for principal, permissions in ROOT_PERMISSIONS.items()
        ]
