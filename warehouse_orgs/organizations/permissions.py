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
    P.OrganizationsRead: "See the organization's settings, people and projects",
    P.OrganizationsRoleRemove: "Leave the organization",
    P.OrganizationsManage: "Invite and remove people, change settings, delete",
    P.OrganizationTeamsManage: "Create and manage teams",
    P.OrganizationsBillingManage: "Manage billing",
    P.OrganizationProjectsAdd: "Add projects",
    P.OrganizationProjectsRemove: "Remove projects",
}
