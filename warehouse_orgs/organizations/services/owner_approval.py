"""A second Owner's approval of owner changes (issue 13): proposals, and their approval.

Every method that changes a proposal takes the organization's lock first and reads the
proposal again, so whichever of two racing approvals (or an approval and a rejection, or an
approval and the lapse) comes second finds it decided and is refused with the reason. An
approval applies the change through the membership and organization services with
``Authority.TwoOwners``, in a savepoint: a change that can no longer be made (the member left,
it would leave one Owner) leaves nothing half done, and the proposal is marked void.
"""

import datetime
from typing import Any

from sqlalchemy import func, select
from zope.interface import implementer

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.labels import label
from warehouse_orgs.organizations.interfaces import (
    MEMBERSHIP_REFUSALS,
    Authority,
    IOrganizationMembershipService,
    IOrganizationService,
)
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import Organization, OrganizationRole
from warehouse_orgs.organizations.owner_approval_interfaces import (
    ApprovedChange,
    IOwnerApprovalService,
    OwnerChangeProposal,
    OwnerChangeRefused,
)
from warehouse_orgs.organizations.owner_approval_models import (
    APPROVAL_WINDOW,
    MAX_WAITING_CHANGES,
    ONE_WAITING_PER_SUBJECT,
    OUTCOME_MAX_LENGTH,
    OrganizationOwnerChange,
    OwnerChangeKind,
    OwnerChangeStatus,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.organizations import as_uuid
from warehouse_orgs.pagination import Page, page_of

OWNER = OrganizationRoleType.Owner
DECIDED_PAGE_SIZE = 20
ONLY_OWNERS = "Only an Owner of the organization can do this."
NOT_YOURS = "Only the Owner who proposed it can withdraw it."
SECOND_OWNER = "A different Owner must approve it: you proposed it."
PROPOSER_LEFT = "its proposer is no longer an Owner"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _subject(organization: Organization, proposal: OwnerChangeProposal) -> tuple[str, str]:
    """What the proposal is about, as people read it and as the one-waiting rule compares."""
    if proposal.kind == OwnerChangeKind.InviteOwner:
        invitee = (proposal.invitee or "").strip()
        return invitee, f"invite:{invitee.casefold()}"
    if proposal.role is not None:
        return proposal.role.user.username, f"role:{proposal.role.id}"
    if proposal.kind == OwnerChangeKind.DeleteOrganization:
        return organization.name, "organization"
    return organization.name, "rule"


def _details(change: OrganizationOwnerChange) -> dict[str, Any]:
    return {"change": change.description, "proposer": change.proposed_by_username}


@implementer(IOwnerApprovalService)
class DatabaseOwnerApprovalService(RequestDatabaseService):
    def require_second_owner(self, organization: Organization) -> bool:
        lock_organization(self.db, organization)
        self._refuse_unless_owner(organization, self.request.user)
        if organization.owner_changes_need_approval:
            return False
        membership = self.request.find_service(IOrganizationMembershipService)
        if membership.owner_count(organization) < 2:
            raise OwnerChangeRefused(
                "Only an organization with two Owners or more can require a second Owner's "
                "approval. Invite another Owner first."
            )
        organization.owner_changes_need_approval = True
        organization.record_event(EventTag.OrganizationOwnerApprovalOn, self.request)
        return True

    def propose(
        self, organization: Organization, proposal: OwnerChangeProposal
    ) -> OrganizationOwnerChange:
        lock_organization(self.db, organization)
        proposer = self.request.user
        self._refuse_unless_owner(organization, proposer)
        if not organization.owner_changes_need_approval:
            raise OwnerChangeRefused(
                "This organization no longer requires a second Owner's approval; "
                "make the change again."
            )
        waiting = self.db.scalar(
            select(func.count())
            .select_from(OrganizationOwnerChange)
            .where(
                OrganizationOwnerChange.organization_id == organization.id,
                OrganizationOwnerChange.status == OwnerChangeStatus.Waiting,
            )
        )
        if waiting >= MAX_WAITING_CHANGES:
            raise OwnerChangeRefused(
                f"{MAX_WAITING_CHANGES} proposals already wait for approval; ask another Owner "
                "to decide on them first."
            )
        subject, subject_key = _subject(organization, proposal)
        role = proposal.role
        change = OrganizationOwnerChange(
            organization_id=organization.id,
            kind=proposal.kind,
            subject=subject,
            subject_key=subject_key,
            role_id=role.id if role is not None else None,
            old_role=role.role_name if role is not None else None,
            new_role=(OWNER if proposal.kind == OwnerChangeKind.InviteOwner else proposal.new_role),
            proposed_by_id=proposer.id,
            proposed_by_username=proposer.username,
            expires_at=_now() + APPROVAL_WINDOW,
        )
        insert_or_refuse(
            self.db,
            change,
            {
                ONE_WAITING_PER_SUBJECT: OwnerChangeRefused(
                    f"A proposal about {subject} already waits for approval."
                )
            },
        )
        organization.record_event(
            EventTag.OrganizationOwnerChangePropose, self.request, _details(change)
        )
        return change

    def waiting(self, organization: Organization) -> list[OrganizationOwnerChange]:
        return list(
            self.db.scalars(
                select(OrganizationOwnerChange)
                .where(
                    OrganizationOwnerChange.organization_id == organization.id,
                    OrganizationOwnerChange.status == OwnerChangeStatus.Waiting,
                )
                .order_by(OrganizationOwnerChange.proposed_at, OrganizationOwnerChange.id)
                .limit(MAX_WAITING_CHANGES)
            )
        )

    def decided(self, organization: Organization, page: int) -> Page[OrganizationOwnerChange]:
        decided = (
            OrganizationOwnerChange.organization_id == organization.id,
            OrganizationOwnerChange.status != OwnerChangeStatus.Waiting,
        )
        total = self.db.scalar(
            select(func.count()).select_from(OrganizationOwnerChange).where(*decided)
        )
        return page_of(
            self.db,
            select(OrganizationOwnerChange)
            .where(*decided)
            .order_by(
                OrganizationOwnerChange.proposed_at.desc(), OrganizationOwnerChange.id.desc()
            ),
            page,
            total,
            size=DECIDED_PAGE_SIZE,
        )

    def get_change(
        self, organization: Organization, change_id: object
    ) -> OrganizationOwnerChange | None:
        key = as_uuid(change_id)
        if key is None:
            return None
        return self.db.scalars(
            select(OrganizationOwnerChange).where(
                OrganizationOwnerChange.id == key,
                OrganizationOwnerChange.organization_id == organization.id,
            )
        ).one_or_none()

    # Deciding
    def approve(self, change: OrganizationOwnerChange) -> ApprovedChange:
        organization = change.organization
        change = self._waiting(change)
        approver = self.request.user
        self._refuse_unless_owner(organization, approver)
        if change.proposed_by_id == approver.id:
            raise OwnerChangeRefused(SECOND_OWNER)
        proposer = (
            self.db.get(User, change.proposed_by_id) if change.proposed_by_id is not None else None
        )
        if proposer is None or not self._is_owner(organization, proposer):
            self._void(change, PROPOSER_LEFT)
        try:
            with self.db.begin_nested():
                applied = self._apply(organization, change)
        except MEMBERSHIP_REFUSALS as refusal:
            self._void(change, str(refusal).rstrip("."))
        if change.kind == OwnerChangeKind.DeleteOrganization:
            # The proposal went with the organization (and its history); each member's history
            # keeps the deletion.
            return applied
        self._decide(change, OwnerChangeStatus.Applied)
        organization.record_event(
            EventTag.OrganizationOwnerChangeApprove, self.request, _details(change)
        )
        return applied

    def _apply(self, organization: Organization, change: OrganizationOwnerChange) -> ApprovedChange:
        membership = self.request.find_service(IOrganizationMembershipService)
        kind = OwnerChangeKind(change.kind)
        approved = Authority.TwoOwners
        if kind == OwnerChangeKind.InviteOwner:
            if "@" in change.subject:
                invitation, token, _ = membership.invite_address(
                    organization, change.subject, OWNER, authority=approved
                )
            else:
                user = self.request.find_service(IUserService).get_user_by_username(change.subject)
                if user is None:
                    raise OwnerChangeRefused(f"There is no account named {change.subject} now.")
                invitation, token = membership.invite(organization, user, OWNER, authority=approved)
            return ApprovedChange(change, invitation=invitation, token=token)
        if kind == OwnerChangeKind.DeleteOrganization:
            self.request.find_service(IOrganizationService).delete(organization, authority=approved)
            return ApprovedChange(change)
        if kind == OwnerChangeKind.StopRequiringApproval:
            organization.owner_changes_need_approval = False
            organization.record_event(
                EventTag.OrganizationOwnerApprovalOff,
                self.request,
                {"why": f"{change.proposed_by_username} proposed it and another Owner approved"},
            )
            return ApprovedChange(change)
        role = (
            self.db.get(OrganizationRole, change.role_id, populate_existing=True)
            if change.role_id is not None
            else None
        )
        if role is None or role.organization_id != organization.id:
            raise OwnerChangeRefused(f"{change.subject} is no longer a member.")
        if role.role_name != change.old_role:
            raise OwnerChangeRefused(f"{change.subject}'s role changed since it was proposed.")
        member = role.user
        if kind == OwnerChangeKind.RemoveOwner:
            membership.remove_role(role, authority=approved)
            return ApprovedChange(change, member=member)
        membership.change_role(role, OrganizationRoleType(change.new_role), authority=approved)
        return ApprovedChange(change, member=member)

    def reject(self, change: OrganizationOwnerChange) -> OrganizationOwnerChange:
        organization = change.organization
        change = self._waiting(change)
        self._refuse_unless_owner(organization, self.request.user)
        if change.proposed_by_id == self.request.user.id:
            raise OwnerChangeRefused("Withdraw your own proposal instead.")
        self._decide(change, OwnerChangeStatus.Rejected)
        organization.record_event(
            EventTag.OrganizationOwnerChangeReject, self.request, _details(change)
        )
        return change

    def withdraw(self, change: OrganizationOwnerChange) -> OrganizationOwnerChange:
        organization = change.organization
        change = self._waiting(change)
        if change.proposed_by_id != self.request.user.id:
            raise OwnerChangeRefused(NOT_YOURS)
        self._decide(change, OwnerChangeStatus.Withdrawn)
        organization.record_event(
            EventTag.OrganizationOwnerChangeWithdraw, self.request, _details(change)
        )
        return change

    def lapse_overdue(
        self, *, now: datetime.datetime | None = None
    ) -> list[OrganizationOwnerChange]:
        moment = now or _now()
        overdue = self.db.scalars(
            select(OrganizationOwnerChange.id)
            .where(
                OrganizationOwnerChange.status == OwnerChangeStatus.Waiting,
                OrganizationOwnerChange.expires_at <= moment,
            )
            .order_by(OrganizationOwnerChange.expires_at, OrganizationOwnerChange.id)
        ).all()
        lapsed = []
        for change_id in overdue:
            change = self.db.get(OrganizationOwnerChange, change_id)
            if change is None:
                continue
            lock_organization(self.db, change.organization)
            self.db.refresh(change)
            if change.is_lapsed_at(moment):
                self._lapse(change)
                lapsed.append(change)
        return lapsed

    # Helpers
    def _waiting(self, change: OrganizationOwnerChange) -> OrganizationOwnerChange:
        """The proposal as committed now, under its organization's lock; refused unless it
        still waits (a lapsed one is marked so first)."""
        lock_organization(self.db, change.organization)
        self.db.refresh(change)
        lapsed_now = change.is_lapsed_at(_now())
        if lapsed_now:
            self._lapse(change)
        if not change.is_waiting:
            by = f" by {change.decided_by_username}" if change.decided_by_username else ""
            raise OwnerChangeRefused(
                f"This proposal is no longer waiting: {label(change.status).lower()}{by}.",
                decided=lapsed_now,
            )
        return change

    def _lapse(self, change: OrganizationOwnerChange) -> None:
        self._decide(change, OwnerChangeStatus.Lapsed, lapsed=True)
        change.organization.record_event(
            EventTag.OrganizationOwnerChangeLapse, self.request, _details(change)
        )

    def _void(self, change: OrganizationOwnerChange, why: str) -> None:
        # A refusal's words may name an invitee; the column keeps at most this much of them.
        self._decide(change, OwnerChangeStatus.Void, outcome=why[:OUTCOME_MAX_LENGTH])
        change.organization.record_event(
            EventTag.OrganizationOwnerChangeVoid, self.request, {**_details(change), "why": why}
        )
        raise OwnerChangeRefused(f"It could not be applied: {why}. Nothing changed.", decided=True)

    def _decide(
        self,
        change: OrganizationOwnerChange,
        status: OwnerChangeStatus,
        *,
        outcome: str = "",
        lapsed: bool = False,
    ) -> None:
        # A lapse is nobody's decision, whichever request happens to notice it.
        decider = None if lapsed else self.request.user
        change.status = status
        change.outcome = outcome
        change.decided_at = _now()
        change.decided_by_id = decider.id if decider is not None else None
        change.decided_by_username = decider.username if decider is not None else None
        self.db.flush()

    def _is_owner(self, organization: Organization, user: User) -> bool:
        role = self.request.find_service(IOrganizationMembershipService).role_of(organization, user)
        return role is not None and role.role_name == OWNER

    def _refuse_unless_owner(self, organization: Organization, user: User | None) -> None:
        if user is None or not self._is_owner(organization, user):
            raise OwnerChangeRefused(ONLY_OWNERS)
