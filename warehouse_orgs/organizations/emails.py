"""Who hears about a change to an organization, and which message they get.

Each function renders now and delivers after commit (see ``warehouse_orgs.email``); people
without a verified primary address are skipped.
"""

from typing import Any

from pyramid.request import Request

from warehouse_orgs.accounts.models import User
from warehouse_orgs.email import send_email
from warehouse_orgs.events.history import actor_name
from warehouse_orgs.organizations.interfaces import IOrganizationMembershipService
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
)


def owners_of(request: Request, organization: Organization) -> list[User]:
    return request.find_service(IOrganizationMembershipService).owners(organization)


def email_user(request: Request, name: str, user: User, **context: Any) -> None:
    primary = user.primary_email
    if primary is None or not primary.verified:
        return
    send_email(request, name, primary.email, reader=user.username, **context)


def email_owners(
    request: Request,
    name: str,
    organization: Organization,
    *,
    owners: list[User] | None = None,
    exclude: User | None = None,
    **context: Any,
) -> None:
    """Email every Owner (``owners`` when they were collected before a deletion)."""
    for owner in owners if owners is not None else owners_of(request, organization):
        if exclude is not None and owner.id == exclude.id:
            continue
        email_user(
            request,
            name,
            owner,
            organization_name=organization.name,
            initiator=actor_name(request),
            **context,
        )


def email_applicant(
    request: Request, application: OrganizationApplication, name: str, **context: Any
) -> None:
    """Tell the applicant how their application moved."""
    email_user(
        request,
        name,
        application.submitted_by,
        username=application.submitted_by.username,
        organization_name=application.name,
        application_url=request.route_url(
            "manage.organizations.application", application_id=application.id
        ),
        **context,
    )
