"""Who hears about owner changes waiting for a second Owner (issue 13): every Owner, at every
step, so an Owner whose account was taken over is noticed by the others. Rendered now,
delivered after commit."""

from typing import Any

from pyramid.request import Request

from warehouse_orgs.accounts.models import User
from warehouse_orgs.labels import label
from warehouse_orgs.organizations.emails import email_owners
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.owner_approval_models import OrganizationOwnerChange

OWNER_CHANGES_PAGE = "manage.organization.owner_changes"


def email_owners_about_change(
    request: Request,
    name: str,
    organization: Organization,
    change: OrganizationOwnerChange,
    *,
    exclude: User | None = None,
    owners: list[User] | None = None,
    **context: Any,
) -> None:
    """Email every Owner (but ``exclude``) message ``name`` about ``change``."""
    email_owners(
        request,
        name,
        organization,
        owners=owners,
        exclude=exclude,
        change=change.description,
        proposer=change.proposed_by_username,
        status=label(change.status),
        decider=change.decided_by_username or "",
        outcome=change.outcome,
        expires=f"{change.expires_at:%Y-%m-%d %H:%M} UTC",
        owner_changes_url=request.route_url(
            OWNER_CHANGES_PAGE, organization_name=organization.name
        ),
        **context,
    )
