"""Who belongs to an organization, in which role, and the invitations to join it.

Every change here takes the organization's lock first (``locks.lock_organization``; for one
invitation, ``locks.lock_invitation``), then reads what it judges by again. So:
- the last Owner cannot be removed, demoted, or deleted with their account, even when two
  requests try at once (the owner rule in ``ownership.py``, backed by a database trigger);
- an invitation is answered, revoked or resent once: whichever request comes second sees the
  first one's result and is refused with the reason;
- two invitations to the same person, or an acceptance racing a staff member adding the same
  person, end with one membership and a clear refusal for the other.
"""

import datetime
import hashlib
import secrets
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import joinedload, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    Authority,
    InvitationRefused,
    IOrganizationMembershipService,
    ITeamService,
    MembershipRefused,
    People,
    YourOrganizations,
)
from warehouse_orgs.organizations.locks import (
    lock_invitation,
    lock_organization,
    lock_organizations,
)
from warehouse_orgs.organizations.models import (
    UNDECIDED_STATUSES,
    Organization,
    OrganizationApplication,
    OrganizationInvitation,
    OrganizationInvitationStatus,
    OrganizationRole,
    OrganizationType,
)
from warehouse_orgs.organizations.owner_rule import guard_owner_change
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.seats import seats_changed
from warehouse_orgs.organizations.services.organizations import (
    as_uuid,
    page_of_members,
    refuse_unless_in_good_standing,
)
from warehouse_orgs.organizations.services.teams import (
    REASON_BILLING_MANAGER,
    REASON_LEFT_ORGANIZATION,
)
from warehouse_orgs.organizations.succession_models import HandoverStatus, OrganizationHandover
from warehouse_orgs.ownership import refuse_if_last_owner, reload_for_update
from warehouse_orgs.pagination import page_of

INVITATION_LIFETIME = datetime.timedelta(days=7)
# An expired invitation stays on the people page this long, so owners can resend it; after
# that only the history mentions it.
EXPIRED_INVITATIONS_SHOWN_FOR = datetime.timedelta(days=7)
LAST_OWNER = "An organization needs at least one Owner; make someone else an Owner first."
# The database's names for the constraints behind the rules checked here.
ONE_ROLE_PER_MEMBER = "organization_roles_user_id_organization_id_key"
ONE_PENDING_INVITATION = "organization_invitations_one_pending_per_user"
ONE_PENDING_PER_ADDRESS = "organization_invitations_one_pending_per_address"
# What anyone holding a token that is not theirs is told, the same as for a token that never
# existed: a link forwarded to, or guessed by, someone with another address learns nothing
# about the invitation (not even that it exists, is pending or expired).
NOT_VALID = "This invitation link is not valid."
# Pending handovers listed on a person's organizations page (issue 13).
HANDOVERS_SHOWN = 20


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verified_addresses_of(user: User) -> Any:
    """The addresses ``user`` has verified now, as a subquery: read in the statement that
    uses them, so a list never costs a query per address and an answer is judged by what is
    committed at that moment, not by what the request loaded earlier."""
    return select(Email.email).where(Email.user_id == user.id, Email.verified)


def invited(user: User) -> Any:
    """Invitations ``user`` may answer: to their account, or to an address they have
    verified."""
    return or_(
        OrganizationInvitation.user_id == user.id,
        OrganizationInvitation.email.in_(verified_addresses_of(user)),
    )


def _owners_of_each_organization() -> Any:
    """The number of Owners of the organization in the enclosing statement."""
    return (
        select(func.count())
        .select_from(OrganizationRole)
        .where(
            OrganizationRole.organization_id == Organization.id,
            OrganizationRole.role_name == OrganizationRoleType.Owner,
        )
        .scalar_subquery()
    )


def invitee_details(invitation: OrganizationInvitation) -> dict[str, str]:
    """What an organization's history records about the invitee. An invitation made by
    address is recorded by that address even when it went to an account: the history is the
    Owners' (the inviters'), and naming the account there would tell them who has the address
    they typed. Only the invitee's own acceptance names them, as joining does anyway."""
    if invitation.is_by_address:
        return {"email": invitation.invited_address}
    return {"username": invitation.invitee_name}


@implementer(IOrganizationMembershipService)
class DatabaseOrganizationMembershipService(RequestDatabaseService):
    # Reading
    def roles(self, organization: Organization) -> list[OrganizationRole]:
        return list(
            self.db.scalars(
                select(OrganizationRole)
                .where(OrganizationRole.organization_id == organization.id)
                .options(selectinload(OrganizationRole.user))
                .order_by(OrganizationRole.member_username)
            )
        )

    def people(
        self,
        organization: Organization,
        members_page: int,
        invitations_page: int | None,
        *,
        now: datetime.datetime | None = None,
    ) -> People:
        in_organization = OrganizationRole.organization_id == organization.id
        shown = self._shown_invitations(organization, now)

        def count(*where: Any) -> Any:
            return select(func.count()).where(*where).scalar_subquery()

        # The three totals in one statement: the member count the database keeps on the
        # organization, the Owners from their partial index, the invitations from theirs.
        totals = self.db.execute(
            select(
                select(Organization.member_count)
                .where(Organization.id == organization.id)
                .scalar_subquery()
                .label("members"),
                count(
                    in_organization, OrganizationRole.role_name == OrganizationRoleType.Owner
                ).label("owners"),
                count(*shown).label("invitations"),
            )
        ).one()
        members = page_of_members(self.db, organization.id, members_page, totals.members)
        invitations = None
        if invitations_page is not None:
            # Served by ix_organization_invitations_organization_id_created.
            invitations = page_of(
                self.db,
                select(OrganizationInvitation)
                .where(*shown)
                .options(joinedload(OrganizationInvitation.user))
                .order_by(OrganizationInvitation.created.desc(), OrganizationInvitation.id),
                invitations_page,
                totals.invitations,
            )
        return People(members, totals.owners, invitations)

    def organizations_of(
        self, user: User, memberships_page: int, invitations_page: int, applications_page: int
    ) -> YourOrganizations:
        mine = OrganizationRole.user_id == user.id
        # Expired by the clock though not yet marked so by the periodic task: not answerable.
        waiting = (
            # To their account, or to any address of theirs verified now; joined in the same
            # statements, so the page's statement count does not grow with their addresses.
            invited(user),
            OrganizationInvitation.status == OrganizationInvitationStatus.Pending,
            OrganizationInvitation.expires_at > func.now(),
        )
        submitted = OrganizationApplication.submitted_by_id == user.id

        def count(*where: Any) -> Any:
            return select(func.count()).where(*where).scalar_subquery()

        # The four totals in one statement, each read from an index on the person's id, and
        # the handovers waiting for this person's answer as an Owner.
        totals = self.db.execute(
            select(
                count(mine).label("memberships"),
                count(*waiting).label("invitations"),
                count(submitted).label("applications"),
                count(submitted, OrganizationApplication.status.in_(UNDECIDED_STATUSES)).label(
                    "undecided"
                ),
                self._handovers_awaiting(user).label("handovers"),
            )
        ).one()
        memberships = page_of(
            self.db,
            select(Organization, OrganizationRole.role_name)
            .join(OrganizationRole, OrganizationRole.organization_id == Organization.id)
            .where(mine)
            .order_by(Organization.normalized_name, Organization.id),
            memberships_page,
            totals.memberships,
            scalars=False,
        )
        invitations = page_of(
            self.db,
            select(OrganizationInvitation)
            .where(*waiting)
            .options(
                joinedload(OrganizationInvitation.organization),
                joinedload(OrganizationInvitation.invited_by),
            )
            .order_by(OrganizationInvitation.created.desc(), OrganizationInvitation.id),
            invitations_page,
            totals.invitations,
        )
        applications = page_of(
            self.db,
            select(OrganizationApplication)
            .where(submitted)
            .order_by(OrganizationApplication.submitted.desc(), OrganizationApplication.id),
            applications_page,
            totals.applications,
        )
        return YourOrganizations(
            memberships, invitations, applications, totals.undecided, totals.handovers or []
        )

    @staticmethod
    def _handovers_awaiting(user: User) -> Any:
        """Pending handovers of organizations ``user`` owns, soonest first, as a JSON list (a
        few at most: one per organization, and only where every Owner went quiet)."""
        owned = select(OrganizationRole.organization_id).where(
            OrganizationRole.user_id == user.id,
            OrganizationRole.role_name == OrganizationRoleType.Owner,
        )
        pending = (
            select(
                Organization.name,
                OrganizationHandover.candidate_username,
                OrganizationHandover.takes_effect_at,
            )
            .join(Organization, Organization.id == OrganizationHandover.organization_id)
            .where(
                OrganizationHandover.status == HandoverStatus.Pending,
                OrganizationHandover.organization_id.in_(owned),
            )
            .order_by(OrganizationHandover.takes_effect_at)
            .limit(HANDOVERS_SHOWN)
            .subquery()
        )
        entry = func.json_build_object(
            "organization",
            pending.c.name,
            "candidate",
            pending.c.candidate_username,
            "takes_effect_at",
            func.to_char(func.timezone("UTC", pending.c.takes_effect_at), "YYYY-MM-DD HH24:MI"),
        )
        return select(
            func.json_agg(aggregate_order_by(entry, pending.c.takes_effect_at))
        ).scalar_subquery()

    def owners(self, organization: Organization) -> list[User]:
        return list(
            self.db.scalars(
                select(User)
                .join(OrganizationRole, OrganizationRole.user_id == User.id)
                .where(
                    OrganizationRole.organization_id == organization.id,
                    OrganizationRole.role_name == OrganizationRoleType.Owner,
                )
                .options(selectinload(User.emails))
                .order_by(User.username)
            )
        )

    def owner_count(self, organization: Organization) -> int:
        return self.db.scalar(
            select(func.count())
            .select_from(OrganizationRole)
            .where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.role_name == OrganizationRoleType.Owner,
            )
        )

    def get_role(self, organization: Organization, role_id: Any) -> OrganizationRole | None:
        key = as_uuid(role_id)
        if key is None:
            return None
        return self.db.scalars(
            select(OrganizationRole).where(
                OrganizationRole.id == key, OrganizationRole.organization_id == organization.id
            )
        ).one_or_none()

    def role_of(self, organization: Organization, user: User) -> OrganizationRole | None:
        return self.db.scalars(
            select(OrganizationRole).where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.user_id == user.id,
            )
        ).one_or_none()

    # Roles
    def add_role(
        self, organization: Organization, user: User, role_name: OrganizationRoleType, *,
        tag: EventTag = EventTag.OrganizationRoleAdd, authority: Authority = Authority.OneOwner,
    ) -> OrganizationRole:  # fmt: skip
        lock_organization(self.db, organization)
        self._check_role_allowed(organization, role_name)
        if self.role_of(organization, user) is not None:
            raise MembershipRefused(f"{user.username} is already a member.")
        guard_owner_change(
            self.request, organization, authority,
            touches_owner=role_name == OrganizationRoleType.Owner,
        )  # fmt: skip
        # By ids: an object set on a relationship would be flushed before the savepoint.
        role = OrganizationRole(
            organization_id=organization.id, user_id=user.id, role_name=role_name
        )
        insert_or_refuse(
            self.db,
            role,
            {ONE_ROLE_PER_MEMBER: MembershipRefused(f"{user.username} is already a member.")},
        )
        organization.record_event(
            tag, self.request, {"username": user.username, "role": str(role_name)}
        )
        seats_changed(self.request, organization)
        return role

    def change_role(
        self, role: OrganizationRole, role_name: OrganizationRoleType, *,
        tag: EventTag = EventTag.OrganizationRoleChange, authority: Authority = Authority.OneOwner,
    ) -> str | None:  # fmt: skip
        organization = role.organization
        lock_organization(self.db, organization)
        self._check_role_allowed(organization, role_name)
        role = self._current(role)
        old = OrganizationRoleType(role.role_name)
        if old == role_name:
            return None
        if role_name != OrganizationRoleType.Owner:
            refuse_if_last_owner(
                self.db, role, scope="organization_id", owner=OrganizationRoleType.Owner,
                message=LAST_OWNER,
            )  # fmt: skip
        was_owner = old == OrganizationRoleType.Owner
        becomes_owner = role_name == OrganizationRoleType.Owner
        guard_owner_change(
            self.request, organization, authority,
            touches_owner=was_owner or becomes_owner,
            owners_gained=int(becomes_owner) - int(was_owner),
        )  # fmt: skip
        if role_name == OrganizationRoleType.BillingManager:
            # Billing Managers are on no team (the database refuses it too). Ending the
            # memberships, rather than refusing the change, never leaves someone with project
            # access an Owner meant to take away; the team histories say why they ended.
            self.request.find_service(ITeamService).end_team_memberships(
                role, REASON_BILLING_MANAGER
            )
        role.role_name = role_name
        self.db.flush()
        organization.record_event(
            tag,
            self.request,
            {"username": role.user.username, "role": str(role_name), "old_role": str(old)},
        )
        return str(old)

    def remove_role(
        self, role: OrganizationRole, *, tag: EventTag = EventTag.OrganizationRoleRemove,
        authority: Authority = Authority.OneOwner,
    ) -> None:  # fmt: skip
        organization = role.organization
        lock_organization(self.db, organization)
        role = self._current(role)
        refuse_if_last_owner(
            self.db, role, scope="organization_id", owner=OrganizationRoleType.Owner,
            message=LAST_OWNER,
        )  # fmt: skip
        was_owner = role.role_name == OrganizationRoleType.Owner
        guard_owner_change(
            self.request, organization, authority,
            touches_owner=was_owner, owners_gained=-int(was_owner),
        )  # fmt: skip
        username, old = role.user.username, role.role_name
        # The database's cascade would take the team memberships with the role; ending them
        # here first lets each team's history say why.
        self.request.find_service(ITeamService).end_team_memberships(role, REASON_LEFT_ORGANIZATION)
        self.db.delete(role)
        self.db.flush()
        organization.record_event(tag, self.request, {"username": username, "role": old})
        seats_changed(self.request, organization)

    def _current(self, role: OrganizationRole) -> OrganizationRole:
        current = reload_for_update(self.db, OrganizationRole, role.id)
        if current is None:
            raise MembershipRefused("That person is no longer a member.")
        return current

    def _check_role_allowed(self, organization: Organization, role_name: Any) -> None:
        if (
            OrganizationRoleType(role_name) == OrganizationRoleType.BillingManager
            and organization.orgtype != OrganizationType.Company
        ):
            raise MembershipRefused("Billing Manager exists only in Company organizations.")

    def record_account_deletion(self, user: User) -> None:
        roles = self.db.scalars(
            select(OrganizationRole)
            .where(OrganizationRole.user_id == user.id)
            .options(selectinload(OrganizationRole.organization))
        ).all()
        for role in roles:
            role.organization.record_event(
                EventTag.OrganizationRoleAccountDelete,
                self.request,
                {"username": user.username, "role": role.role_name},
            )
            # Its listeners act after the commit, once the account and its roles are gone.
            seats_changed(self.request, role.organization)
        invitations = self.db.scalars(
            select(OrganizationInvitation)
            .where(
                OrganizationInvitation.user_id == user.id,
                OrganizationInvitation.status == OrganizationInvitationStatus.Pending,
            )
            .options(selectinload(OrganizationInvitation.organization))
        ).all()
        for invitation in invitations:
            if invitation.is_by_address:
                # Made by address: it falls back to the address, as if no account had had it
                # (the organization's side sees no change, so learns nothing about who had
                # the address); whoever verifies the address later can still answer it.
                invitation.user_id = None
                invitation.email = invitation.invited_address
                continue
            invitation.organization.record_event(
                EventTag.OrganizationRoleInviteAccountDelete,
                self.request,
                invitee_details(invitation),
            )
        self.db.flush()

    def organizations_needing_owner(
        self, user: User, *, lock: bool = False
    ) -> list[tuple[str, int]]:
        owned = select(OrganizationRole.organization_id).where(
            OrganizationRole.user_id == user.id,
            OrganizationRole.role_name == OrganizationRoleType.Owner,
        )
        if lock:
            # The deletion that follows must not race another Owner leaving: hold every
            # organization this user owns until the transaction ends.
            lock_organizations(self.db, self.db.scalars(owned).all())
        owner_count = _owners_of_each_organization()
        fewest = case((Organization.owner_changes_need_approval, 2), else_=1)
        return [
            (name, keeps)
            for name, keeps in self.db.execute(
                select(Organization.name, fewest)
                .where(Organization.id.in_(owned), Organization.is_active, owner_count <= fewest)
                .order_by(Organization.normalized_name)
            )
        ]

    # Invitations
    def invite(
        self, organization: Organization, user: User, role_name: OrganizationRoleType, *,
        authority: Authority = Authority.OneOwner,
    ) -> tuple[OrganizationInvitation, str]:  # fmt: skip
        lock_organization(self.db, organization)
        refuse_unless_in_good_standing(self.request, organization, InvitationRefused)
        self._check_role_allowed(organization, role_name)
        if not user.has_verified_primary_email:
            raise InvitationRefused(f"{user.username} has no verified email address yet.")
        if self.role_of(organization, user) is not None:
            raise InvitationRefused(f"{user.username} is already a member.")
        self.expire_invitations(organization)
        already = InvitationRefused(f"{user.username} already has a pending invitation.")
        pending = self._pending_invitation(organization, user)
        if pending is not None and not pending.is_by_address:
            raise already
        guard_owner_change(
            self.request, organization, authority,
            touches_owner=role_name == OrganizationRoleType.Owner,
        )  # fmt: skip
        if pending is not None:
            # Made by address, and gone to the account that verified it. Refusing would tell
            # the inviter whose address that was; instead it falls back to the address (as if
            # no account had had it), which its holder can still answer, and the username
            # gets an invitation of its own.
            pending.user_id = None
            pending.email = pending.invited_address
            self.db.flush()
        token = secrets.token_urlsafe(32)
        invitation = OrganizationInvitation(
            organization_id=organization.id,
            user_id=user.id,
            invited_by_id=self.request.user.id if self.request.user else None,
            role_name=role_name,
            token_hash=hash_token(token),
            expires_at=_now() + self._lifetime(),
        )
        insert_or_refuse(self.db, invitation, {ONE_PENDING_INVITATION: already})
        organization.record_event(
            EventTag.OrganizationRoleInvite,
            self.request,
            {"username": user.username, "role": str(role_name)},
        )
        return invitation, token

    def invite_address(
        self, organization: Organization, address: str, role_name: OrganizationRoleType, *,
        authority: Authority = Authority.OneOwner,
    ) -> tuple[OrganizationInvitation, str, User | None]:  # fmt: skip
        lock_organization(self.db, organization)
        refuse_unless_in_good_standing(self.request, organization, InvitationRefused)
        self._check_role_allowed(organization, role_name)
        address = address.strip()
        self.expire_invitations(organization)
        # Judged by the address typed, whichever kind the earlier invitation became, so a
        # known address typed twice is refused exactly as an unknown one is.
        already = InvitationRefused(f"{address} already has a pending invitation.")
        if self.db.scalar(
            select(OrganizationInvitation.id).where(
                OrganizationInvitation.organization_id == organization.id,
                OrganizationInvitation.invited_address == address,
                OrganizationInvitation.status == OrganizationInvitationStatus.Pending,
            )
        ):
            raise already
        # Before the account is looked for: the answer is the same whether or not one exists.
        guard_owner_change(
            self.request, organization, authority,
            touches_owner=role_name == OrganizationRoleType.Owner,
        )  # fmt: skip
        account = self._account_to_invite(organization, address)
        token = secrets.token_urlsafe(32)
        invitation = OrganizationInvitation(
            organization_id=organization.id,
            user_id=account.id if account else None,
            email=None if account else address,
            invited_address=address,
            invited_by_id=self.request.user.id if self.request.user else None,
            role_name=role_name,
            token_hash=hash_token(token),
            expires_at=_now() + self._lifetime(),
        )
        insert_or_refuse(
            self.db, invitation, {ONE_PENDING_PER_ADDRESS: already, ONE_PENDING_INVITATION: already}
        )
        organization.record_event(
            EventTag.OrganizationRoleInvite,
            self.request,
            {**invitee_details(invitation), "role": str(role_name)},
        )
        return invitation, token, account

    def _account_to_invite(self, organization: Organization, address: str) -> User | None:
        """The account an address invitation goes to directly, or None to bind it to the
        address.

        Only an account that has verified the address: an address someone merely added to
        their account is not theirs until they prove it, and they must not capture an
        invitation meant for its real owner. And only an account that could be invited by
        username right now: one already a member or already invited is answered by an address
        invitation instead, never by a refusal, which would tell the inviter that the address
        belongs to someone (a member, even). That account can still answer the address
        invitation (accepting tells it it is a member already).
        """
        account = self.db.scalars(
            select(User)
            .join(Email, Email.user_id == User.id)
            .where(Email.email == address, Email.verified)
        ).one_or_none()
        if (
            account is None
            or not account.is_active
            or not account.has_verified_primary_email
            or self.role_of(organization, account) is not None
            or self._pending_invitation(organization, account) is not None
        ):
            return None
        return account

    def _lifetime(self) -> datetime.timedelta:
        days = self.request.registry.settings.get("organizations.invitation_days")
        return datetime.timedelta(days=int(days)) if days else INVITATION_LIFETIME

    def _pending_invitation(
        self, organization: Organization, user: User
    ) -> OrganizationInvitation | None:
        return self.db.scalars(
            select(OrganizationInvitation).where(
                OrganizationInvitation.organization_id == organization.id,
                OrganizationInvitation.user_id == user.id,
                OrganizationInvitation.status == OrganizationInvitationStatus.Pending,
            )
        ).one_or_none()

    def invitations(
        self, organization: Organization, *, now: datetime.datetime | None = None
    ) -> list[OrganizationInvitation]:
        return list(
            self.db.scalars(
                select(OrganizationInvitation)
                .where(*self._shown_invitations(organization, now))
                .options(selectinload(OrganizationInvitation.user))
                .order_by(OrganizationInvitation.created.desc())
            )
        )

    @staticmethod
    def _shown_invitations(
        organization: Organization, now: datetime.datetime | None
    ) -> tuple[Any, ...]:
        """Pending invitations, and those that expired in the last week."""
        shown_since = (now or _now()) - EXPIRED_INVITATIONS_SHOWN_FOR
        return (
            OrganizationInvitation.organization_id == organization.id,
            or_(
                OrganizationInvitation.status == OrganizationInvitationStatus.Pending,
                (OrganizationInvitation.status == OrganizationInvitationStatus.Expired)
                & (OrganizationInvitation.expires_at > shown_since),
            ),
        )

    def get_invitation(
        self, organization: Organization, invitation_id: Any
    ) -> OrganizationInvitation | None:
        key = as_uuid(invitation_id)
        if key is None:
            return None
        return self.db.scalars(
            select(OrganizationInvitation).where(
                OrganizationInvitation.id == key,
                OrganizationInvitation.organization_id == organization.id,
            )
        ).one_or_none()

    def invitation_for_token(self, token: str, user: User) -> OrganizationInvitation:
        invitation = self.db.scalars(
            select(OrganizationInvitation).where(
                OrganizationInvitation.token_hash == hash_token(token[:200])
            )
        ).one_or_none()
        if invitation is None:
            raise InvitationRefused(NOT_VALID)
        return self._live(invitation, user, lock=False)

    def invitation_for_invitee(self, invitation_id: Any, user: User) -> OrganizationInvitation:
        key = as_uuid(invitation_id)
        invitation = (
            self.db.scalars(
                select(OrganizationInvitation).where(
                    OrganizationInvitation.id == key, invited(user)
                )
            ).one_or_none()
            if key is not None
            else None
        )
        if invitation is None:
            raise InvitationRefused("There is no such invitation.")
        return self._live(invitation, user, lock=False)

    def _live(
        self, invitation: OrganizationInvitation, user: User, *, lock: bool = True
    ) -> OrganizationInvitation:
        """Check the invitation can still be answered by ``user``; with ``lock`` (answering
        it, not just showing it), lock it first and judge it as committed now."""
        if lock:
            invitation = lock_invitation(self.db, invitation)
        if invitation.email is not None:
            # Whoever has the address verified at this moment; the address row is locked
            # with the answer, so removing it cannot slip in between this check and the
            # commit (the removal waits, or went first and is seen here).
            if not self._holds_address(user, invitation.email, lock=lock):
                raise InvitationRefused(NOT_VALID)
        elif invitation.user_id != user.id:
            # A link mailed to an address says nothing to an account without it; one mailed
            # to an account by its username was always that account's.
            raise InvitationRefused(
                NOT_VALID if invitation.is_by_address else "This invitation is for another account."
            )
        if invitation.is_expired_at(_now()):
            raise InvitationRefused("This invitation has expired. Ask an owner to send a new one.")
        if not invitation.is_pending:
            raise InvitationRefused(f"This invitation was already {invitation.status}.")
        return invitation

    def _holds_address(self, user: User, address: str, *, lock: bool) -> bool:
        query = select(Email.id).where(
            Email.user_id == user.id, Email.email == address, Email.verified
        )
        if lock:
            query = query.with_for_update(read=True)
        return self.db.scalar(query) is not None

    def _answerer(self, invitation: OrganizationInvitation, by: User | None) -> User:
        user = by if by is not None else invitation.user
        if user is None:
            raise InvitationRefused(NOT_VALID)
        return user

    def accept_invitation(
        self, invitation: OrganizationInvitation, by: User | None = None
    ) -> OrganizationRole:
        user = self._answerer(invitation, by)
        invitation = self._live(invitation, user)
        organization = invitation.organization
        self._refuse_joining_unless_in_good_standing(invitation)
        if self.role_of(organization, user) is not None:
            # Staff added them directly while the invitation waited.
            raise MembershipRefused(f"You are already a member of {organization.name}.")
        invitation.status = OrganizationInvitationStatus.Accepted
        role = OrganizationRole(
            organization_id=organization.id, user_id=user.id, role_name=invitation.role_name
        )
        insert_or_refuse(
            self.db,
            role,
            {
                ONE_ROLE_PER_MEMBER: MembershipRefused(
                    f"You are already a member of {organization.name}."
                )
            },
        )
        organization.record_event(
            EventTag.OrganizationRoleInviteAccept,
            self.request,
            {"username": user.username, "role": invitation.role_name},
        )
        seats_changed(self.request, organization)
        return role

    def _refuse_joining_unless_in_good_standing(self, invitation: OrganizationInvitation) -> None:
        """Warehouse lets an invitation sent before the organization lapsed be accepted
        afterwards; here it waits. Accepting adds a seat, the growth invariant 8 stops, and
        an organization that stopped paying could otherwise keep growing through invitations
        sent earlier. The invitation is not used up: the invitee can accept it once the
        organization is in good standing again, while it lasts, or decline it now."""
        try:
            refuse_unless_in_good_standing(self.request, invitation.organization, MembershipRefused)
        except MembershipRefused as refusal:
            raise MembershipRefused(
                f"{refusal} You can join once it is in good standing again: your invitation "
                f"stays open until {invitation.expires_at:%Y-%m-%d %H:%M} UTC. You can also "
                "decline it now."
            ) from refusal

    def decline_invitation(
        self, invitation: OrganizationInvitation, message: str = "", by: User | None = None
    ) -> None:
        invitation = self._live(invitation, self._answerer(invitation, by))
        invitation.status = OrganizationInvitationStatus.Declined
        self.db.flush()
        # Declining an invitation made by address does not name the account either.
        invitation.organization.record_event(
            EventTag.OrganizationRoleInviteDecline,
            self.request,
            {**invitee_details(invitation), "message": message},
        )

    def revoke_invitation(self, invitation: OrganizationInvitation) -> None:
        invitation = lock_invitation(self.db, invitation)
        if not invitation.is_pending:
            raise InvitationRefused(
                f"Only a pending invitation can be revoked; this one was {invitation.status}."
            )
        invitation.status = OrganizationInvitationStatus.Revoked
        self.db.flush()
        invitation.organization.record_event(
            EventTag.OrganizationRoleInviteRevoke,
            self.request,
            invitee_details(invitation),
        )

    def resend_invitation(self, invitation: OrganizationInvitation) -> str:
        invitation = lock_invitation(self.db, invitation)
        if invitation.status not in (
            OrganizationInvitationStatus.Pending,
            OrganizationInvitationStatus.Expired,
        ):
            raise InvitationRefused(
                "Only a pending or expired invitation can be sent again; this one was "
                f"{invitation.status}."
            )
        if (
            invitation.user is not None
            and self.role_of(invitation.organization, invitation.user) is not None
        ):
            raise InvitationRefused(f"{invitation.invitee_name} is already a member.")
        # Sending it again is inviting again.
        refuse_unless_in_good_standing(self.request, invitation.organization, InvitationRefused)
        token = secrets.token_urlsafe(32)
        invitation.token_hash = hash_token(token)
        invitation.status = OrganizationInvitationStatus.Pending
        invitation.expires_at = _now() + self._lifetime()
        self.db.flush()
        invitation.organization.record_event(
            EventTag.OrganizationRoleInviteResend,
            self.request,
            invitee_details(invitation),
        )
        return token

    def expire_invitations(self, organization: Organization | None = None) -> int:
        query = (
            select(OrganizationInvitation)
            .where(
                OrganizationInvitation.status == OrganizationInvitationStatus.Pending,
                OrganizationInvitation.expires_at <= func.now(),
            )
            .options(
                selectinload(OrganizationInvitation.user),
                selectinload(OrganizationInvitation.organization),
            )
            # An invitation another request holds is being answered or revoked right now;
            # the next run expires it if it is still pending then.
            .with_for_update(skip_locked=True, of=OrganizationInvitation)
            .execution_options(populate_existing=True)
        )
        if organization is not None:
            query = query.where(OrganizationInvitation.organization_id == organization.id)
        overdue = list(self.db.scalars(query))
        for invitation in overdue:
            invitation.status = OrganizationInvitationStatus.Expired
            invitation.organization.record_event(
                EventTag.OrganizationRoleInviteExpire,
                self.request,
                invitee_details(invitation),
            )
        self.db.flush()
        return len(overdue)
