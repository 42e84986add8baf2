"""Succession (issue 13): which organizations have lost every Owner to inactivity, and staff's
handover of one to a member.

Every change to a handover takes the organization's lock first (``locks.lock_organization``)
and reads the handover again as committed now, so an Owner's objection and the periodic
completion arriving at the same moment end with exactly one of them applied: whichever comes
second finds the handover no longer pending.
"""

import datetime
import uuid

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import joinedload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import Authority, IOrganizationMembershipService
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import Organization, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.succession_interfaces import (
    CandidateRefused,
    HandoverOutcome,
    HandoverRefused,
    ISuccessionService,
    RiskSweep,
)
from warehouse_orgs.organizations.succession_models import (
    HANDOVER_DELAY,
    ONE_PENDING_HANDOVER,
    HandoverStatus,
    OrganizationHandover,
    OrganizationSuccessionRisk,
)

DEFAULT_INACTIVE_DAYS = 365
OWNER = OrganizationRoleType.Owner
ALREADY_PENDING = "This organization already has a pending handover; cancel it first."
NONE_PENDING = "There is no pending handover: it was objected to, cancelled or took effect."
# Said in the history when the member a handover named left before it was due.
CANDIDATE_LEFT = "the member it named is no longer in the organization"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@implementer(ISuccessionService)
class DatabaseSuccessionService(RequestDatabaseService):
    # The detector
    def inactive_days(self) -> int:
        days = self.request.registry.settings.get("succession.inactive_days")
        return int(days) if days else DEFAULT_INACTIVE_DAYS

    def find_ownerless_risk(self, *, now: datetime.datetime | None = None) -> RiskSweep:
        days = self.inactive_days()
        cutoff = (now or _now()) - datetime.timedelta(days=days)
        # An Owner who counts: an enabled account that logged in since the cutoff. The Owners
        # are read from their partial index, each organization's few.
        active_owner = exists().where(
            OrganizationRole.organization_id == Organization.id,
            OrganizationRole.role_name == OWNER,
            User.id == OrganizationRole.user_id,
            User.is_active,
            User.last_login >= cutoff,
        )
        at_risk = select(Organization.id).where(Organization.is_active, ~active_owner)
        # Rows already there stay, with the day they were first found.
        found = list(
            self.db.scalars(
                pg_insert(OrganizationSuccessionRisk)
                .from_select(["organization_id"], at_risk)
                .on_conflict_do_nothing(index_elements=["organization_id"])
                .returning(OrganizationSuccessionRisk.organization_id)
            )
        )
        cleared = list(
            self.db.scalars(
                delete(OrganizationSuccessionRisk)
                .where(OrganizationSuccessionRisk.organization_id.not_in(at_risk))
                .returning(OrganizationSuccessionRisk.organization_id)
            )
        )
        found_names = self._record(found, EventTag.OrganizationSuccessionRiskFound, days)
        cleared_names = self._record(cleared, EventTag.OrganizationSuccessionRiskCleared, days)
        return RiskSweep(found=found_names, cleared=cleared_names)

    def _record(self, organization_ids: list[uuid.UUID], tag: EventTag, days: int) -> list[str]:
        if not organization_ids:
            return []
        organizations = self.db.scalars(
            select(Organization)
            .where(Organization.id.in_(organization_ids))
            .order_by(Organization.normalized_name)
        ).all()
        for organization in organizations:
            organization.record_event(tag, self.request, {"inactive_days": days})
        return [organization.name for organization in organizations]

    def is_at_risk(self, organization: Organization) -> bool:
        return bool(
            self.db.scalar(
                select(
                    exists().where(OrganizationSuccessionRisk.organization_id == organization.id)
                )
            )
        )

    # Reading handovers
    def pending_handover(self, organization: Organization) -> OrganizationHandover | None:
        return self.db.scalars(
            select(OrganizationHandover).where(
                OrganizationHandover.organization_id == organization.id,
                OrganizationHandover.status == HandoverStatus.Pending,
            )
        ).one_or_none()

    def latest_handover(self, organization: Organization) -> OrganizationHandover | None:
        return self.db.scalars(
            select(OrganizationHandover)
            .where(OrganizationHandover.organization_id == organization.id)
            .order_by(OrganizationHandover.started_at.desc(), OrganizationHandover.id)
            .limit(1)
        ).first()

    def members_after(
        self, organization: Organization, after: uuid.UUID | None, limit: int
    ) -> list[OrganizationRole]:
        # By id, which never changes: a member renamed between two batches is still read once.
        roles = (
            select(OrganizationRole)
            .where(OrganizationRole.organization_id == organization.id)
            .order_by(OrganizationRole.id)
            .limit(limit)
            .options(joinedload(OrganizationRole.user).selectinload(User.emails))
        )
        if after is not None:
            roles = roles.where(OrganizationRole.id > after)
        return list(self.db.scalars(roles))

    # Changing them
    def start_handover(
        self,
        organization: Organization,
        candidate_username: str,
        reason: str,
        *,
        now: datetime.datetime | None = None,
    ) -> OrganizationHandover:
        lock_organization(self.db, organization)
        if not organization.is_active:
            raise HandoverRefused("Only an active organization can be handed over.")
        if self.pending_handover(organization) is not None:
            raise HandoverRefused(ALREADY_PENDING)
        role = self.db.scalars(
            select(OrganizationRole).where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.member_username == candidate_username,
            )
        ).one_or_none()
        if role is None:
            raise CandidateRefused(
                f"{candidate_username} is not a member of {organization.name}; a handover "
                "names one of its members."
            )
        if role.role_name == OWNER:
            raise CandidateRefused(f"{role.member_username} is already an Owner.")
        started = now or _now()
        handover = OrganizationHandover(
            organization_id=organization.id,
            candidate_role_id=role.id,
            candidate_username=role.member_username,
            reason=reason,
            started_by_id=self.request.user.id if self.request.user else None,
            started_at=started,
            takes_effect_at=started + HANDOVER_DELAY,
        )
        insert_or_refuse(
            self.db, handover, {ONE_PENDING_HANDOVER: HandoverRefused(ALREADY_PENDING)}
        )
        organization.record_event(
            EventTag.OrganizationHandoverStart,
            self.request,
            {
                "candidate": handover.candidate_username,
                "role": role.role_name,
                "reason": reason,
                "takes_effect_at": f"{handover.takes_effect_at:%Y-%m-%d %H:%M} UTC",
            },
        )
        return handover

    def _pending_for_change(self, organization: Organization) -> OrganizationHandover:
        lock_organization(self.db, organization)
        handover = self.db.scalars(
            select(OrganizationHandover)
            .where(
                OrganizationHandover.organization_id == organization.id,
                OrganizationHandover.status == HandoverStatus.Pending,
            )
            .execution_options(populate_existing=True)
        ).one_or_none()
        if handover is None:
            raise HandoverRefused(NONE_PENDING)
        return handover

    def object_to_handover(
        self, organization: Organization, owner: User, objection: str
    ) -> OrganizationHandover:
        handover = self._pending_for_change(organization)
        # The view's permission says Owner already; judged again under the lock, as the
        # person may have been demoted while the page was open.
        membership = self.request.find_service(IOrganizationMembershipService)
        role = membership.role_of(organization, owner)
        if role is None or role.role_name != OWNER:
            raise HandoverRefused("Only an Owner can object to a handover.")
        self._decide(handover, HandoverStatus.Objected, objection)
        organization.record_event(
            EventTag.OrganizationHandoverObject,
            self.request,
            {"candidate": handover.candidate_username, "objection": objection},
        )
        return handover

    def cancel_handover(self, organization: Organization, why: str) -> OrganizationHandover:
        handover = self._pending_for_change(organization)
        self._decide(handover, HandoverStatus.Cancelled, why)
        organization.record_event(
            EventTag.OrganizationHandoverCancel,
            self.request,
            {"candidate": handover.candidate_username, "why": why},
        )
        return handover

    def _decide(self, handover: OrganizationHandover, status: HandoverStatus, why: str) -> None:
        handover.status = status
        handover.decided_by_id = self.request.user.id if self.request.user else None
        handover.decided_at = _now()
        handover.decision_reason = why
        self.db.flush()

    def complete_due_handovers(
        self, *, now: datetime.datetime | None = None
    ) -> list[HandoverOutcome]:
        moment = now or _now()
        due = self.db.scalars(
            select(OrganizationHandover.id)
            .where(
                OrganizationHandover.status == HandoverStatus.Pending,
                OrganizationHandover.takes_effect_at <= moment,
            )
            .order_by(OrganizationHandover.takes_effect_at, OrganizationHandover.id)
        ).all()
        outcomes = []
        for handover_id in due:
            outcome = self._complete(handover_id, moment)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _complete(
        self, handover_id: uuid.UUID, moment: datetime.datetime
    ) -> HandoverOutcome | None:
        handover = self.db.get(OrganizationHandover, handover_id)
        if handover is None:
            return None
        organization = handover.organization
        lock_organization(self.db, organization)
        self.db.refresh(handover)
        # An Owner objected, or staff cancelled, while this run waited for the lock.
        if not handover.is_pending or handover.takes_effect_at > moment:
            return None
        role = (
            self.db.get(OrganizationRole, handover.candidate_role_id, populate_existing=True)
            if handover.candidate_role_id is not None
            else None
        )
        if role is None or role.organization_id != organization.id:
            self._decide(handover, HandoverStatus.Cancelled, CANDIDATE_LEFT)
            organization.record_event(
                EventTag.OrganizationHandoverCancel,
                self.request,
                {"candidate": handover.candidate_username, "why": CANDIDATE_LEFT},
            )
            return HandoverOutcome(handover, completed=False)
        if role.role_name != OWNER:
            self.request.find_service(IOrganizationMembershipService).change_role(
                role, OWNER, tag=EventTag.OrganizationHandoverComplete, authority=Authority.Staff
            )
        else:
            # Made Owner some other way meanwhile: the handover still ends, and says so.
            organization.record_event(
                EventTag.OrganizationHandoverComplete,
                self.request,
                {"username": role.member_username, "role": OWNER, "old_role": OWNER},
            )
        self._decide(handover, HandoverStatus.Completed, "")
        return HandoverOutcome(handover, completed=True)
