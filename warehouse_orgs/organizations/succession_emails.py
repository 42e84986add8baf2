"""Who hears about a handover (issue 13): every member, at every step, and the staff member who
started it when an Owner objects. Rendered now, delivered after commit.

An organization may have ten thousand members: they are read ``MEMBERS_PER_BATCH`` at a time,
so only one batch of accounts is held at once, whatever its size.
"""

from typing import Any

from pyramid.request import Request

from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.history import actor_name
from warehouse_orgs.organizations.emails import email_user
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.succession_interfaces import ISuccessionService
from warehouse_orgs.organizations.succession_models import OrganizationHandover

HANDOVER_PAGE = "manage.organization.handover"
MEMBERS_PER_BATCH = 500


def email_members_about_handover(
    request: Request,
    name: str,
    organization: Organization,
    handover: OrganizationHandover,
    *,
    also: User | None = None,
    **context: Any,
) -> None:
    """Email every member (and ``also``, once) message ``name`` about ``handover``."""
    common = {
        "organization_name": organization.name,
        "candidate": handover.candidate_username,
        "reason": handover.reason,
        "takes_effect_at": f"{handover.takes_effect_at:%Y-%m-%d %H:%M} UTC",
        "handover_url": request.route_url(HANDOVER_PAGE, organization_name=organization.name),
        "initiator": actor_name(request),
        **context,
    }
    succession = request.find_service(ISuccessionService)
    also_a_member = False
    after = None
    while True:
        batch = succession.members_after(organization, after, MEMBERS_PER_BATCH)
        for role in batch:
            email_user(request, name, role.user, **common)
            also_a_member = also_a_member or (also is not None and role.user_id == also.id)
        if len(batch) < MEMBERS_PER_BATCH:
            break
        after = batch[-1].id
    if also is not None and not also_a_member:
        email_user(request, name, also, **common)
