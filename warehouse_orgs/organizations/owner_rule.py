"""The rule an organization may turn on: owner changes need a second Owner's approval (issue 13).

Every service method that changes who owns an organization (its membership, invitations and
deletion) calls ``guard_owner_change`` under the organization's lock, once it has read what
the change would do. The rule lives here, beside the services, rather than in the views: no
path that changes an Owner can forget it. Proposals and approvals are the owner-approval
service's business (services/owner_approval.py); this module only says whether a change may
happen now.
"""

from pyramid.request import Request

from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    Authority,
    IOrganizationMembershipService,
    SecondOwnerNeeded,
    TwoOwnersNeeded,
)
from warehouse_orgs.organizations.models import Organization

TWO_OWNERS = (
    "Owner changes in this organization need a second Owner's approval, so it keeps at least "
    "two Owners. Add another Owner first, or stop requiring the approval."
)
NEEDS_SECOND_OWNER = "This change needs a second Owner's approval."
STAFF_LEFT_ONE_OWNER = "PyPI staff's change left fewer than two Owners"


def guard_owner_change(
    request: Request,
    organization: Organization,
    authority: Authority,
    *,
    touches_owner: bool,
    owners_gained: int = 0,
) -> None:
    """Refuse, or let through, a change under the organization's lock.

    ``touches_owner``: the change makes, unmakes or removes an Owner, invites one, or deletes
    the organization. ``owners_gained``: how the number of Owners moves (-1 for a removal or a
    demotion). Does nothing, and reads nothing, for an organization without the rule.
    """
    if not organization.owner_changes_need_approval or not touches_owner:
        return
    leaves_one = (
        owners_gained < 0
        and request.find_service(IOrganizationMembershipService).owner_count(organization)
        + owners_gained
        < 2
    )
    if authority is Authority.Staff:
        if leaves_one:
            # Nobody could approve anything with one Owner; say why the rule went.
            organization.owner_changes_need_approval = False
            organization.record_event(
                EventTag.OrganizationOwnerApprovalOff, request, {"why": STAFF_LEFT_ONE_OWNER}
            )
        return
    if leaves_one:
        raise TwoOwnersNeeded(TWO_OWNERS)
    if authority is Authority.OneOwner:
        raise SecondOwnerNeeded(NEEDS_SECOND_OWNER)
