"""Permissions and principals: the vocabulary every ACL in the application is written in."""

import enum


class Permissions(enum.StrEnum):
    """Every permission, named ``<scope>:<resource>:<action>`` as Warehouse names them."""

    # A user's own account.
    AccountManage = "account:manage"
    AccountVerifyOrgRole = "account:verify-org-role"

    # Projects.
    ProjectsCreate = "projects:create"
    ProjectsRead = "projects:read"
    ProjectsUpload = "projects:upload"
    ProjectsWrite = "projects:write"

    # Organizations, self-service.
    OrganizationApplicationsManage = "organizations:applications:manage"
    OrganizationsManage = "organizations:manage"
    OrganizationsBillingManage = "organizations:billing:manage"
    OrganizationsRead = "organizations:read"
    OrganizationsRoleRemove = "organizations:role:remove"
    OrganizationProjectsAdd = "organizations:projects:add"
    OrganizationProjectsRemove = "organizations:projects:remove"
    OrganizationTeamsManage = "organizations:teams:manage"
    OrganizationTeamsRead = "organizations:teams:read"

    # Staff.
    AdminDashboardRead = "admin:dashboard:read"
    AdminUsersRead = "admin:users:read"
    AdminUsersWrite = "admin:users:write"
    AdminUsersStaffFlagsWrite = "admin:users:staff-flags:write"
    AdminOrganizationsRead = "admin:organizations:read"
    AdminOrganizationsWrite = "admin:organizations:write"
    AdminOrganizationsNameWrite = "admin:organizations:name:write"
    AdminOrganizationsSetLimit = "admin:organizations:set-limit"
    AdminRoleAdd = "admin:role:add"
    AdminRoleUpdate = "admin:role:update"
    AdminRoleDelete = "admin:role:delete"
    AdminSponsorsRead = "admin:sponsors:read"
    AdminSponsorsWrite = "admin:sponsors:write"


# Permissions a signed-in user may use before their account is secure: enough to verify an
# email, set up two-factor authentication and otherwise look after the account itself. Every
# other permission needs a verified primary email and two-factor authentication; the security
# policy enforces that in one place.
ACCOUNT_SETUP_PERMISSIONS = frozenset({Permissions.AccountManage})


class Principals(enum.StrEnum):
    admins = "group:admins"
    moderators = "group:moderators"
    support = "group:support"
    psf_staff = "group:psf_staff"


def user_principal(user_id: object) -> str:
    return f"user:{user_id}"
