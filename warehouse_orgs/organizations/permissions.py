"""Who may do what in an organization, by role: the one place this is written down.

The ACL on ``Organization`` is built from this table, and the people page renders it, so the
two can never disagree.
"""

import enum

from warehouse_orgs.authnz import Permissions

P = Permissions


class OrganizationRoleType(enum.StrEnum):
    Owner = "Owner"
    BillingManager = "Billing Manager"
    Manager = "Manager"
    Member = "Member"


ROLE_PERMISSIONS: dict[OrganizationRoleType, tuple[Permissions, ...]] = {
    OrganizationRoleType.Owner: (
        P.OrganizationsRead,
        P.OrganizationTeamsRead,
        P.OrganizationsRoleRemove,
        P.OrganizationsManage,
        P.OrganizationTeamsManage,
        P.OrganizationsBillingManage,
        P.OrganizationProjectsAdd,
        P.OrganizationProjectsRemove,
    ),
    # Billing Managers pay and read; they cannot even leave on their own, as in Warehouse,
    # so a company is never left without someone to talk to about its invoices by surprise.
    OrganizationRoleType.BillingManager: (
        P.OrganizationsRead,
        P.OrganizationTeamsRead,
        P.OrganizationsBillingManage,
    ),
    OrganizationRoleType.Manager: (
        P.OrganizationsRead,
        P.OrganizationTeamsRead,
        P.OrganizationsRoleRemove,
        P.OrganizationTeamsManage,
        P.OrganizationProjectsAdd,
    ),
    OrganizationRoleType.Member: (
        P.OrganizationsRead,
        P.OrganizationTeamsRead,
        P.OrganizationsRoleRemove,
    ),
}

# How the people page names each permission, in the order it lists them.
PERMISSION_LABELS: dict[Permissions, str] = {
    P.OrganizationsRead: "See the organization's settings and people",
    P.OrganizationTeamsRead: "See the teams and who is on them",
    P.OrganizationsRoleRemove: "Leave the organization",
    P.OrganizationsManage: "Invite and remove people, change settings, delete",
    P.OrganizationTeamsManage: "Create, rename and delete teams, choose who is on them",
    P.OrganizationsBillingManage: "Manage billing",
    P.OrganizationProjectsAdd: "Add projects",
    P.OrganizationProjectsRemove: "Remove projects",
}

# The permissions whose pages exist, so the people page may promise them. Teams, projects and
# billing add their permissions here when their pages land; until then a row saying "Yes"
# would send people looking for a page that is not there.
PERMISSIONS_WITH_PAGES: frozenset[Permissions] = frozenset(
    {
        P.OrganizationsRead,
        P.OrganizationTeamsRead,
        P.OrganizationsRoleRemove,
        P.OrganizationsManage,
        P.OrganizationTeamsManage,
        P.OrganizationProjectsAdd,
    }
)
# Only a Company organization pays, so a Community one never shows billing.
COMPANY_ONLY_PERMISSIONS: frozenset[Permissions] = frozenset({P.OrganizationsBillingManage})


def permissions_shown(orgtype: str) -> dict[Permissions, str]:
    """The rows of the people page's "What each role may do" table for this organization."""
    return {
        permission: label
        for permission, label in PERMISSION_LABELS.items()
        if permission in PERMISSIONS_WITH_PAGES
        and (orgtype == "Company" or permission not in COMPANY_ONLY_PERMISSIONS)
    }
