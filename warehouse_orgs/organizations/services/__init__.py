"""The organizations feature's services, one module per aggregate:

- ``organizations``: the organization itself (names, details, rename, delete);
- ``applications``: applying and the staff review;
- ``membership``: roles and invitations.

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

__all__ = [
    "INVITATION_LIFETIME",
    "MAX_UNDECIDED_APPLICATIONS",
    "RESERVED_NAMES",
    "DatabaseOrganizationApplicationService",
    "DatabaseOrganizationMembershipService",
    "DatabaseOrganizationService",
    "hash_token",
]
