"""Organizations: applications, review, roles, invitations and their history."""

import datetime

from pyramid.config import Configurator
from pyramid.request import Request

from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.interfaces import (
    IOrganizationApplicationService,
    IOrganizationMembershipService,
    IOrganizationService,
)
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationApplicationService,
    DatabaseOrganizationMembershipService,
    DatabaseOrganizationService,
)
from warehouse_orgs.organizations.tasks import expire_organization_invitations


def refuse_deleting_sole_owners(request: Request, user: User, *, lock: bool) -> list[str]:
    """The only Owner of an organization cannot delete the account: nobody could manage it."""
    membership = request.find_service(IOrganizationMembershipService)
    names = membership.sole_owned_organizations(user, lock=lock)
    if not names:
        return []
    return [
        f"You are the only owner of the organization{'s' if len(names) > 1 else ''} "
        f"{', '.join(names)}. Make someone else an owner first."
    ]


def record_account_deletion(request: Request, user: User) -> None:
    request.find_service(IOrganizationMembershipService).record_account_deletion(user)


def includeme(config: Configurator) -> None:
    config.register_service_factory(
        DatabaseOrganizationService.create_service, IOrganizationService
    )
    config.register_service_factory(
        DatabaseOrganizationApplicationService.create_service, IOrganizationApplicationService
    )
    config.register_service_factory(
        DatabaseOrganizationMembershipService.create_service, IOrganizationMembershipService
    )
    config.add_account_deletion_check(refuse_deleting_sole_owners)
    config.add_account_deletion_hook(record_account_deletion)
    config.add_periodic_task(expire_organization_invitations, datetime.timedelta(hours=1))
