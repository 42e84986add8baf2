"""The emails an applicant gets as their application moves through review."""

from typing import Any

from pyramid.request import Request

from warehouse_orgs.email import send_email
from warehouse_orgs.organizations.models import OrganizationApplication


def email_applicant(
    request: Request, application: OrganizationApplication, name: str, **context: Any
) -> None:
    """Send email ``name`` to the applicant's primary address, after the request commits."""
    applicant = application.submitted_by
    primary = applicant.primary_email
    if primary is None or not primary.verified:
        return
    send_email(
        request,
        name,
        primary.email,
        username=applicant.username,
        organization_name=application.name,
        application_url=request.route_url(
            "manage.organizations.application", application_id=application.id
        ),
        **context,
    )
