"""The organizations feature's services, one module per aggregate:

- ``organizations``: the organization itself (names, details, rename, delete);
- ``applications``: applying and the staff review;
- ``membership``: roles and invitations;
- ``teams``: teams, their members and their roles on the organization's projects.

The refusals they raise are part of the contract, in ``organizations.interfaces``.
"""

from warehouse_orgs.organizations.services.applications import (
    MAX_UNDECIDED_APPLICATIONS,
    DatabaseOrganizationApplicationService,
)
from warehouse_orgs.organizations.services.membership import (
    INVITATION_LIFETIME,
    DatabaseOrganizationMembershipService,
    hash_token,
)
from warehouse_orgs.organizations.services.organizations import (
    RESERVED_NAMES,
    DatabaseOrganizationService,
)
from warehouse_orgs.organizations.services.teams import DatabaseTeamService

__all__ = [
    "INVITATION_LIFETIME",
    "MAX_UNDECIDED_APPLICATIONS",
    "RESERVED_NAMES",
    "DatabaseOrganizationApplicationService",
    "DatabaseOrganizationMembershipService",
    "DatabaseOrganizationService",
    "DatabaseTeamService",
    "hash_token",
]
