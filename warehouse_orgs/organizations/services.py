"""Organizations: applications and their review, roles, invitations, renames and deletion.

Two rules are kept here and in the database, not in views:
- an active organization always has an Owner (the organization row is locked while owners
  change, so concurrent requests queue up and the later ones see the earlier ones' result);
- a name once used by any organization is never handed to another (the name catalog).
"""

import datetime
import hashlib
import secrets
import uuid
from typing import Any, Self

from pyramid.request import Request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import IOrganizationService
from warehouse_orgs.organizations.models import (
    UNDECIDED_STATUSES,
    ApplicationMessageKind,
    Organization,
    OrganizationApplication,
    OrganizationApplicationMessage,
    OrganizationApplicationStatus,
    OrganizationInvitation,
    OrganizationInvitationStatus,
    OrganizationNameCatalog,
    OrganizationRole,
    OrganizationType,
    select_organization_by_name,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

MAX_UNDECIDED_APPLICATIONS = 3
INVITATION_LIFETIME = datetime.timedelta(days=7)
# Names that would mislead if an organization held them.
RESERVED_NAMES = frozenset(
    {"admin", "administrator", "pypi", "psf", "python", "root", "staff", "support", "security",
     "sponsors", "organizations", "org", "manage", "account", "help", "api", "www"}
)  # fmt: skip


class OrganizationError(Exception):
    """A request the rules refuse; the message is for the person who asked."""


class NameUnavailable(OrganizationError):
    pass


class TooManyApplications(OrganizationError):
    pass


class LastOwnerRefused(OrganizationError):
    pass


class InvitationRefused(OrganizationError):
    pass


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@implementer(IOrganizationService)
class DatabaseOrganizationService:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.db = request.db

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        return cls(request)

    # Names
    def normalize(self, name: str) -> str:
        return self.db.scalar(select(func.normalize_pep503_name(name)))

    def name_unavailable_reason(self, name: str, *, ignore_application: Any = None) -> str | None:
        normalized = self.normalize(name)
        if normalized in RESERVED_NAMES:
            return "This name is reserved."
        used = self.db.scalar(
            select(OrganizationNameCatalog.id).where(
                OrganizationNameCatalog.normalized_name == normalized
            )
        )
        if used is not None:
            return "This name is taken, or was used by an organization before."
        pending = select(OrganizationApplication.id).where(
            OrganizationApplication.normalized_name == normalized,
            OrganizationApplication.status.in_(UNDECIDED_STATUSES),
            OrganizationApplication.submitted_by_id == self.request.user.id,
        )
        if ignore_application is not None:
            pending = pending.where(OrganizationApplication.id != ignore_application.id)
        if self.db.scalar(pending) is not None:
            return "You already have an application for this name."
        return None

    # Lookups
    def get_organization(self, organization_id: uuid.UUID | str) -> Organization | None:
        try:
            return self.db.get(Organization, uuid.UUID(str(organization_id)))
        except ValueError:
            return None

    def get_organization_by_name(self, name: str) -> Organization | None:
        return self.db.scalars(
            select_organization_by_name(name).options(selectinload(Organization.roles))
        ).one_or_none()

    def get_application(self, application_id: uuid.UUID | str) -> OrganizationApplication | None:
        try:
            return self.db.get(OrganizationApplication, uuid.UUID(str(application_id)))
        except ValueError:
            return None

    def undecided_application_count(self, user: User) -> int:
        return self.db.scalar(
            select(func.count())
            .select_from(OrganizationApplication)
            .where(
                OrganizationApplication.submitted_by_id == user.id,
                OrganizationApplication.status.in_(UNDECIDED_STATUSES),
            )
        )

    def queue_position(self, application: OrganizationApplication) -> int | None:
        """How many undecided applications were submitted before this one (None if decided)."""
        if not application.is_undecided:
            return None
        return self.db.scalar(
            select(func.count())
            .select_from(OrganizationApplication)
            .where(
                OrganizationApplication.status.in_(UNDECIDED_STATUSES),
                OrganizationApplication.submitted < application.submitted,
            )
        )

    # Applying
    def submit_application(self, submitter: User, **details: Any) -> OrganizationApplication:
        # Lock the applicant's row so two quick submissions cannot both slip under the limit.
        self.db.execute(select(User.id).where(User.id == submitter.id).with_for_update()).all()
        if self.undecided_application_count(submitter) >= MAX_UNDECIDED_APPLICATIONS:
            raise TooManyApplications(
                f"You have {MAX_UNDECIDED_APPLICATIONS} applications waiting for a decision; "
                "wait for one to be decided or withdraw one first."
            )
        reason = self.name_unavailable_reason(details["name"])
        if reason:
            raise NameUnavailable(reason)
        application = OrganizationApplication(submitted_by=submitter, **details)
        self.db.add(application)
        self.db.flush()
        application.record_event(
            EventTag.OrganizationApplicationSubmit,
            self.request,
            {"organization": application.name, "orgtype": application.orgtype},
        )
        return application

    def edit_application(self, application: OrganizationApplication, **details: Any) -> None:
        if application.status != OrganizationApplicationStatus.Submitted:
            raise OrganizationError("Only an application still waiting for review can be edited.")
        if "name" in details and self.normalize(details["name"]) != application.normalized_name:
            reason = self.name_unavailable_reason(details["name"], ignore_application=application)
            if reason:
                raise NameUnavailable(reason)
        for key, value in details.items():
            setattr(application, key, value)
        self.db.flush()
        application.record_event(
            EventTag.OrganizationApplicationEdit, self.request, {"organization": application.name}
        )

    def withdraw_application(self, application: OrganizationApplication) -> None:
        if not application.is_undecided:
            raise OrganizationError("This application has already been decided.")
        self._set_status(
            application,
            OrganizationApplicationStatus.Withdrawn,
            EventTag.OrganizationApplicationWithdraw,
        )

    def add_message(
        self, application: OrganizationApplication, kind: ApplicationMessageKind, body: str
    ) -> OrganizationApplicationMessage:
        message = OrganizationApplicationMessage(
            application_id=application.id, kind=kind, body=body, author_id=self.request.user.id
        )
        self.db.add(message)
        tag = {
            ApplicationMessageKind.Question: EventTag.OrganizationApplicationRequestInformation,
            ApplicationMessageKind.Answer: EventTag.OrganizationApplicationAnswer,
            ApplicationMessageKind.Note: EventTag.OrganizationApplicationNote,
        }[kind]
        if kind == ApplicationMessageKind.Question:
            application.status = OrganizationApplicationStatus.MoreInformationNeeded
        elif kind == ApplicationMessageKind.Answer:
            application.status = OrganizationApplicationStatus.Submitted
        self.db.flush()
        application.record_event(tag, self.request, {"organization": application.name})
        return message

    def messages(
        self, application: OrganizationApplication, *, include_notes: bool
    ) -> list[OrganizationApplicationMessage]:
        query = (
            select(OrganizationApplicationMessage)
            .where(OrganizationApplicationMessage.application_id == application.id)
            .options(selectinload(OrganizationApplicationMessage.author))
            .order_by(OrganizationApplicationMessage.created)
        )
        if not include_notes:
            query = query.where(OrganizationApplicationMessage.kind != ApplicationMessageKind.Note)
        return list(self.db.scalars(query))

    # Reviewing
    def defer_application(self, application: OrganizationApplication) -> None:
        self._require_undecided(application)
        self._set_status(
            application,
            OrganizationApplicationStatus.Deferred,
            EventTag.OrganizationApplicationDefer,
        )

    def decline_application(self, application: OrganizationApplication) -> None:
        self._require_undecided(application)
        self._set_status(
            application,
            OrganizationApplicationStatus.Declined,
            EventTag.OrganizationApplicationDecline,
        )

    def approve_application(
        self, application: OrganizationApplication
    ) -> tuple[Organization, list[OrganizationApplication]]:
        """Create the organization with the applicant as Owner; decline the other undecided
        applications for the same name. Returns the organization and those declined."""
        self._require_undecided(application)
        organization = Organization(
            name=application.name,
            display_name=application.display_name,
            orgtype=application.orgtype,
            link_url=application.link_url,
            description=application.description,
        )
        try:
            with self.db.begin_nested():
                self.db.add(organization)
                self.db.flush()
                self.db.add(
                    OrganizationNameCatalog(
                        normalized_name=organization.normalized_name,
                        organization_id=organization.id,
                    )
                )
                self.db.flush()
        except IntegrityError as error:
            raise NameUnavailable(
                "An organization already has this name; decline this application instead."
            ) from error
        self.db.add(
            OrganizationRole(
                organization=organization,
                user_id=application.submitted_by_id,
                role_name=OrganizationRoleType.Owner,
            )
        )
        application.organization_id = organization.id
        self._set_status(
            application,
            OrganizationApplicationStatus.Approved,
            EventTag.OrganizationApplicationApprove,
        )
        submitter = application.submitted_by
        organization.record_event(
            EventTag.OrganizationCreate, self.request, {"submitted_by": submitter.username}
        )
        organization.record_event(
            EventTag.OrganizationRoleAdd,
            self.request,
            {"username": submitter.username, "role": str(OrganizationRoleType.Owner)},
        )
        competing = list(
            self.db.scalars(
                select(OrganizationApplication)
                .where(
                    OrganizationApplication.normalized_name == application.normalized_name,
                    OrganizationApplication.status.in_(UNDECIDED_STATUSES),
                    OrganizationApplication.id != application.id,
                )
                .options(selectinload(OrganizationApplication.submitted_by))
            )
        )
        for other in competing:
            self._set_status(
                other,
                OrganizationApplicationStatus.Declined,
                EventTag.OrganizationApplicationDecline,
                {"reason": "another application for this name was approved"},
            )
        return organization, competing

    def _require_undecided(self, application: OrganizationApplication) -> None:
        if not application.is_undecided:
            raise OrganizationError(f"This application is already {application.status}.")

    def _set_status(
        self,
        application: OrganizationApplication,
        status: OrganizationApplicationStatus,
        tag: EventTag,
        details: dict | None = None,
    ) -> None:
        application.status = status
        self.db.flush()
        application.record_event(
            tag, self.request, {"organization": application.name, **(details or {})}
        )

    # Details, rename, deletion
    def update_details(self, organization: Organization, **details: Any) -> list[str]:
        if (
            organization.orgtype == OrganizationType.Company
            and details.get("orgtype", organization.orgtype) != OrganizationType.Company
        ):
            raise OrganizationError("A Company organization cannot become a Community one.")
        changed = [key for key, value in details.items() if getattr(organization, key) != value]
        for key in changed:
            setattr(organization, key, details[key])
        if changed:
            self.db.flush()
            organization.record_event(
                EventTag.OrganizationDetailsChange, self.request, {"fields": changed}
            )
        return changed

    def rename(self, organization: Organization, new_name: str) -> None:
        old_name = organization.name
        normalized = self.normalize(new_name)
        if normalized != organization.normalized_name:
            reason = self.name_unavailable_reason(new_name)
            if reason:
                raise NameUnavailable(reason)
        organization.name = new_name
        try:
            with self.db.begin_nested():
                self.db.flush()
                self.db.refresh(organization, ["normalized_name"])
                if normalized != self.normalize(old_name):
                    self.db.add(
                        OrganizationNameCatalog(
                            normalized_name=normalized, organization_id=organization.id
                        )
                    )
                    self.db.flush()
        except IntegrityError as error:
            raise NameUnavailable("This name is taken.") from error
        organization.record_event(
            EventTag.OrganizationRename, self.request, {"old_name": old_name, "new_name": new_name}
        )

    def delete(self, organization: Organization) -> None:
        """Delete the organization; its names stay burned in the catalog."""
        for user in self.members(organization):
            user.record_event(
                EventTag.OrganizationDelete, self.request, {"organization": organization.name}
            )
        self.db.delete(organization)
        self.db.flush()

    # Roles
    def members(self, organization: Organization) -> list[User]:
        return list(
            self.db.scalars(
                select(User)
                .join(OrganizationRole, OrganizationRole.user_id == User.id)
                .where(OrganizationRole.organization_id == organization.id)
                .order_by(User.username)
            )
        )

    def roles(self, organization: Organization) -> list[OrganizationRole]:
        return list(
            self.db.scalars(
                select(OrganizationRole)
                .where(OrganizationRole.organization_id == organization.id)
                .options(selectinload(OrganizationRole.user))
                .join(User, User.id == OrganizationRole.user_id)
                .order_by(User.username)
            )
        )

    def get_role(self, organization: Organization, role_id: Any) -> OrganizationRole | None:
        try:
            role_id = uuid.UUID(str(role_id))
        except ValueError:
            return None
        return self.db.scalars(
            select(OrganizationRole).where(
                OrganizationRole.id == role_id,
                OrganizationRole.organization_id == organization.id,
            )
        ).one_or_none()

    def role_of(self, organization: Organization, user: User) -> OrganizationRole | None:
        return self.db.scalars(
            select(OrganizationRole).where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.user_id == user.id,
            )
        ).one_or_none()

    def _lock(self, organization: Organization) -> None:
        self.db.execute(
            select(Organization.id).where(Organization.id == organization.id).with_for_update()
        ).all()

    def _other_owner_count(self, role: OrganizationRole) -> int:
        return self.db.scalar(
            select(func.count())
            .select_from(OrganizationRole)
            .where(
                OrganizationRole.organization_id == role.organization_id,
                OrganizationRole.role_name == OrganizationRoleType.Owner,
                OrganizationRole.id != role.id,
            )
        )

    def _reload(self, role: OrganizationRole) -> OrganizationRole:
        # What this request loaded may predate the lock; judge by what is committed now.
        current = self.db.scalars(
            select(OrganizationRole)
            .where(OrganizationRole.id == role.id)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if current is None:
            raise OrganizationError("That person is no longer a member.")
        return current

    def add_role(
        self, organization: Organization, user: User, role_name: OrganizationRoleType, *,
        tag: EventTag = EventTag.OrganizationRoleAdd,
    ) -> OrganizationRole:  # fmt: skip
        self._check_role_allowed(organization, role_name)
        if self.role_of(organization, user) is not None:
            raise OrganizationError(f"{user.username} is already a member.")
        role = OrganizationRole(organization=organization, user=user, role_name=role_name)
        self.db.add(role)
        self.db.flush()
        organization.record_event(
            tag, self.request, {"username": user.username, "role": str(role_name)}
        )
        return role

    def change_role(
        self, role: OrganizationRole, role_name: OrganizationRoleType, *,
        tag: EventTag = EventTag.OrganizationRoleChange,
    ) -> None:  # fmt: skip
        organization = role.organization
        self._check_role_allowed(organization, role_name)
        self._lock(organization)
        role = self._reload(role)
        old = OrganizationRoleType(role.role_name)
        if old == role_name:
            return
        if old == OrganizationRoleType.Owner and not self._other_owner_count(role):
            raise LastOwnerRefused("An organization needs at least one Owner; add another first.")
        role.role_name = role_name
        self.db.flush()
        organization.record_event(
            tag,
            self.request,
            {"username": role.user.username, "role": str(role_name), "old_role": str(old)},
        )

    def remove_role(
        self, role: OrganizationRole, *, tag: EventTag = EventTag.OrganizationRoleRemove
    ) -> None:
        organization = role.organization
        self._lock(organization)
        role = self._reload(role)
        if role.role_name == OrganizationRoleType.Owner and not self._other_owner_count(role):
            raise LastOwnerRefused("An organization needs at least one Owner; add another first.")
        username, old = role.user.username, role.role_name
        self.db.delete(role)
        self.db.flush()
        organization.record_event(tag, self.request, {"username": username, "role": old})

    def _check_role_allowed(self, organization: Organization, role_name: Any) -> None:
        role_name = OrganizationRoleType(role_name)
        if (
            role_name == OrganizationRoleType.BillingManager
            and organization.orgtype != OrganizationType.Company
        ):
            raise OrganizationError("Billing Manager exists only in Company organizations.")

    def sole_owned_organizations(self, user: User) -> list[str]:
        """Names of the active organizations whose only Owner is ``user``."""
        owners = aliased(OrganizationRole)
        owner_counts = (
            select(func.count())
            .select_from(owners)
            .where(
                owners.organization_id == Organization.id,
                owners.role_name == OrganizationRoleType.Owner,
            )
            .scalar_subquery()
        )
        return list(
            self.db.scalars(
                select(Organization.name)
                .join(OrganizationRole, OrganizationRole.organization_id == Organization.id)
                .where(
                    OrganizationRole.user_id == user.id,
                    OrganizationRole.role_name == OrganizationRoleType.Owner,
                    Organization.is_active,
                    owner_counts == 1,
                )
                .order_by(Organization.normalized_name)
            )
        )

    # Invitations
    def invite(
        self, organization: Organization, user: User, role_name: OrganizationRoleType
    ) -> tuple[OrganizationInvitation, str]:
        """Invite ``user``; returns the invitation and the token to mail (never stored)."""
        self._check_role_allowed(organization, role_name)
        if not user.has_verified_primary_email:
            raise InvitationRefused(f"{user.username} has no verified email address yet.")
        if self.role_of(organization, user) is not None:
            raise InvitationRefused(f"{user.username} is already a member.")
        self.expire_invitations(organization)
        pending = self._pending_invitation(organization, user)
        if pending is not None:
            raise InvitationRefused(f"{user.username} already has a pending invitation.")
        token = secrets.token_urlsafe(32)
        invitation = OrganizationInvitation(
            organization=organization,
            user=user,
            invited_by_id=self.request.user.id if self.request.user else None,
            role_name=role_name,
            token_hash=hash_token(token),
            expires_at=_now() + self._lifetime(),
        )
        self.db.add(invitation)
        self.db.flush()
        organization.record_event(
            EventTag.OrganizationRoleInvite,
            self.request,
            {"username": user.username, "role": str(role_name)},
        )
        return invitation, token

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

    def invitations(self, organization: Organization) -> list[OrganizationInvitation]:
        return list(
            self.db.scalars(
                select(OrganizationInvitation)
                .where(
                    OrganizationInvitation.organization_id == organization.id,
                    OrganizationInvitation.status.in_(
                        [OrganizationInvitationStatus.Pending, OrganizationInvitationStatus.Expired]
                    ),
                )
                .options(selectinload(OrganizationInvitation.user))
                .order_by(OrganizationInvitation.created.desc())
            )
        )

    def invitation_for_token(self, token: str, user: User) -> OrganizationInvitation:
        """The live invitation this token stands for, or InvitationRefused saying why not."""
        invitation = self.db.scalars(
            select(OrganizationInvitation)
            .where(OrganizationInvitation.token_hash == hash_token(token[:200]))
            .with_for_update()
        ).one_or_none()
        if invitation is None:
            raise InvitationRefused("This invitation link is not valid.")
        return self._live(invitation, user)

    def invitation_for_invitee(self, invitation_id: Any, user: User) -> OrganizationInvitation:
        """The same, for a signed-in invitee answering from their own invitations list: the
        session proves who they are, as the token does for a link from the email."""
        try:
            key = uuid.UUID(str(invitation_id))
        except ValueError:
            raise InvitationRefused("There is no such invitation.") from None
        invitation = self.db.scalars(
            select(OrganizationInvitation)
            .where(OrganizationInvitation.id == key, OrganizationInvitation.user_id == user.id)
            .with_for_update()
        ).one_or_none()
        if invitation is None:
            raise InvitationRefused("There is no such invitation.")
        return self._live(invitation, user)

    def _live(self, invitation: OrganizationInvitation, user: User) -> OrganizationInvitation:
        if invitation.user_id != user.id:
            raise InvitationRefused("This invitation is for another account.")
        if invitation.is_expired_at(_now()):
            raise InvitationRefused("This invitation has expired. Ask an owner to send a new one.")
        if not invitation.is_pending:
            raise InvitationRefused(f"This invitation was already {invitation.status}.")
        return invitation

    def accept_invitation(self, invitation: OrganizationInvitation) -> OrganizationRole:
        organization, user = invitation.organization, invitation.user
        invitation.status = OrganizationInvitationStatus.Accepted
        self.db.flush()
        role = OrganizationRole(
            organization=organization, user=user, role_name=invitation.role_name
        )
        self.db.add(role)
        self.db.flush()
        organization.record_event(
            EventTag.OrganizationRoleInviteAccept,
            self.request,
            {"username": user.username, "role": invitation.role_name},
        )
        return role

    def decline_invitation(self, invitation: OrganizationInvitation, message: str = "") -> None:
        invitation.status = OrganizationInvitationStatus.Declined
        self.db.flush()
        invitation.organization.record_event(
            EventTag.OrganizationRoleInviteDecline,
            self.request,
            {"username": invitation.user.username, "message": message},
        )

    def revoke_invitation(self, invitation: OrganizationInvitation) -> None:
        if not invitation.is_pending:
            raise InvitationRefused("Only a pending invitation can be revoked.")
        invitation.status = OrganizationInvitationStatus.Revoked
        self.db.flush()
        invitation.organization.record_event(
            EventTag.OrganizationRoleInviteRevoke,
            self.request,
            {"username": invitation.user.username},
        )

    def resend_invitation(self, invitation: OrganizationInvitation) -> str:
        """A new token and a new week; the old token stops working."""
        if invitation.status not in (
            OrganizationInvitationStatus.Pending,
            OrganizationInvitationStatus.Expired,
        ):
            raise InvitationRefused("Only a pending or expired invitation can be sent again.")
        token = secrets.token_urlsafe(32)
        invitation.token_hash = hash_token(token)
        invitation.status = OrganizationInvitationStatus.Pending
        invitation.expires_at = _now() + self._lifetime()
        self.db.flush()
        invitation.organization.record_event(
            EventTag.OrganizationRoleInviteResend,
            self.request,
            {"username": invitation.user.username},
        )
        return token

    def get_invitation(
        self, organization: Organization, invitation_id: Any
    ) -> OrganizationInvitation | None:
        try:
            invitation_id = uuid.UUID(str(invitation_id))
        except ValueError:
            return None
        return self.db.scalars(
            select(OrganizationInvitation).where(
                OrganizationInvitation.id == invitation_id,
                OrganizationInvitation.organization_id == organization.id,
            )
        ).one_or_none()

    def expire_invitations(self, organization: Organization | None = None) -> int:
        """Mark overdue pending invitations expired, with an event each; returns how many."""
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
            .with_for_update(skip_locked=True)
        )
        if organization is not None:
            query = query.where(OrganizationInvitation.organization_id == organization.id)
        overdue = list(self.db.scalars(query))
        for invitation in overdue:
            invitation.status = OrganizationInvitationStatus.Expired
            invitation.organization.record_event(
                EventTag.OrganizationRoleInviteExpire,
                self.request,
                {"username": invitation.user.username},
            )
        self.db.flush()
        return len(overdue)
