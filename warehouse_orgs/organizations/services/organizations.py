"""The organization itself: names, lookups, details, renaming and deletion.

A name once used by any organization is never handed to another: the name catalog keeps every
normalized name an organization has had, and is unique in the database.
"""

import uuid
from typing import Any

from pyramid.request import Request
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.deletion import before_deletion
from warehouse_orgs.organizations.interfaces import (
    Authority,
    IOrganizationService,
    IOrganizationStanding,
    NameUnavailable,
    OrganizationError,
    OrganizationHasProjects,
    OrganizationRecord,
)
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import (
    UNDECIDED_STATUSES,
    Organization,
    OrganizationApplication,
    OrganizationHandover,
    OrganizationInvitation,
    OrganizationInvitationStatus,
    OrganizationNameCatalog,
    OrganizationProject,
    OrganizationRole,
    OrganizationType,
    select_organization_by_name,
)
from warehouse_orgs.organizations.owner_rule import guard_owner_change
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.ownership import delete_in_one_statement
from warehouse_orgs.packaging.models import Project
from warehouse_orgs.pagination import DEFAULT_PAGE_SIZE, Page, page_of

# Names that would mislead if an organization held them.
RESERVED_NAMES = frozenset(
    {"admin", "administrator", "pypi", "psf", "python", "root", "staff", "support", "security",
     "sponsors", "organizations", "org", "manage", "account", "help", "api", "www"}
)  # fmt: skip
NAME_RESERVED = "This name is reserved."
NAME_TAKEN = "This name is taken, or was used by an organization before."
NAME_ALREADY_APPLIED = "You already have an application for this name."
STAFF_PAGE_SIZE = DEFAULT_PAGE_SIZE
# The invitations staff see: those that can still be answered, and those that expired
# unanswered (a reason to invite again).
STAFF_LISTED_INVITATIONS = (
    OrganizationInvitationStatus.Pending,
    OrganizationInvitationStatus.Expired,
)


def as_uuid(value: Any) -> uuid.UUID | None:
    """An id from a URL or a form: junk is None, so it looks up nothing."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def refuse_unless_in_good_standing(
    request: Request, organization: Organization, refusal: type[OrganizationError]
) -> None:
    """Invariant 8: an organization out of good standing does not grow (no invitation sent or
    accepted, no new team, no project moving in). The caller holds the organization's lock,
    which every change to the billing mirror takes too, so a subscription ending meanwhile is
    seen. The rule is billing's, asked through ``IOrganizationStanding`` (organizations never
    imports billing); the refusal is the caller's own kind, so its views say it beside the
    field as they say the feature's other refusals."""
    standing = request.find_service(IOrganizationStanding).standing(organization)
    if not standing.in_good_standing:
        raise refusal(standing.reason or f"{organization.name} is not in good standing.")


def page_of_members(
    db: Session, organization_id: uuid.UUID, number: int, total: int, size: int = DEFAULT_PAGE_SIZE
) -> Page[OrganizationRole]:
    """A page of an organization's roles with their users, in username order: the members
    lists of the people page and of staff's organization page.

    The page's roles are picked from ix_organization_roles_organization_id_member_username
    first and only those are joined to their users: joined before the LIMIT, PostgreSQL chose
    to join and sort every member for a page deep in a big organization (65 ms at 10,000).
    A member's username is unique within the organization, so the order is total.
    """
    picked = (
        select(OrganizationRole.id)
        .where(OrganizationRole.organization_id == organization_id)
        .order_by(OrganizationRole.member_username)
        .limit(size)
        .offset((number - 1) * size)
    )
    roles = db.scalars(
        select(OrganizationRole)
        .join(User, User.id == OrganizationRole.user_id)
        .options(contains_eager(OrganizationRole.user))
        .where(OrganizationRole.id.in_(picked))
        .order_by(OrganizationRole.member_username)
    ).all()
    return Page(items=list(roles), number=number, size=size, total=total)


@implementer(IOrganizationService)
class DatabaseOrganizationService(RequestDatabaseService):
    def normalize(self, name: str) -> str:
        return self.db.scalar(select(func.normalize_pep503_name(name)))

    def name_unavailable_reason(
        self, name: str, *, ignore_application: OrganizationApplication | None = None
    ) -> str | None:
        normalized = self.normalize(name)
        if normalized in RESERVED_NAMES:
            return NAME_RESERVED
        used = self.db.scalar(
            select(OrganizationNameCatalog.id).where(
                OrganizationNameCatalog.normalized_name == normalized
            )
        )
        if used is not None:
            return NAME_TAKEN
        user = self.request.user
        if user is None:
            return None
        pending = select(OrganizationApplication.id).where(
            OrganizationApplication.normalized_name == normalized,
            OrganizationApplication.status.in_(UNDECIDED_STATUSES),
            OrganizationApplication.submitted_by_id == user.id,
        )
        if ignore_application is not None:
            pending = pending.where(OrganizationApplication.id != ignore_application.id)
        if self.db.scalar(pending) is not None:
            return NAME_ALREADY_APPLIED
        return None

    def get_organization(self, organization_id: uuid.UUID | str) -> Organization | None:
        key = as_uuid(organization_id)
        return self.db.get(Organization, key) if key is not None else None

    def get_organization_by_name(self, name: str) -> Organization | None:
        return self.db.scalars(
            select_organization_by_name(name).options(selectinload(Organization.roles))
        ).one_or_none()

    # The staff page's lists are read in the order of their (organization_id, ...) indexes.

    def record_for_staff(
        self,
        organization_id: uuid.UUID | str,
        *,
        members_page: int = 1,
        invitations_page: int = 1,
        projects_page: int = 1,
        applications_page: int = 1,
        events_page: int = 1,
    ) -> OrganizationRecord | None:
        key = as_uuid(organization_id)
        if key is None:
            return None
        size = STAFF_PAGE_SIZE
        listed_invitations = (
            OrganizationInvitation.organization_id == key,
            OrganizationInvitation.status.in_(STAFF_LISTED_INVITATIONS),
        )

        def count(*where: Any) -> Any:
            return select(func.count()).where(*where).scalar_subquery()

        # Only names are shown: the page of them comes as one JSON array beside the counts.
        projects = (
            select(Project.name, OrganizationProject.project_normalized_name.label("key"))
            .join(OrganizationProject, OrganizationProject.project_id == Project.id)
            .where(OrganizationProject.organization_id == key)
            .order_by(OrganizationProject.project_normalized_name)
            .limit(size)
            .offset((projects_page - 1) * size)
            .subquery()
        )
        row = self.db.execute(
            select(
                Organization,
                count(
                    OrganizationRole.organization_id == key,
                    OrganizationRole.role_name == OrganizationRoleType.Owner,
                ).label("owners"),
                count(*listed_invitations).label("invitations"),
                count(OrganizationApplication.organization_id == key).label("applications"),
                count(Organization.Event.source_id == key).label("events"),
                select(func.json_agg(aggregate_order_by(projects.c.name, projects.c.key)))
                .scalar_subquery()
                .label("project_names"),
            )
            # The latest handover, in the same statement (its index on organization_id and
            # started_at finds it).
            .outerjoin(
                OrganizationHandover,
                OrganizationHandover.id
                == select(OrganizationHandover.id)
                .where(OrganizationHandover.organization_id == key)
                .order_by(OrganizationHandover.started_at.desc(), OrganizationHandover.id)
                .limit(1)
                .scalar_subquery(),
            )
            .add_columns(OrganizationHandover)
            .where(Organization.id == key)
            # The member and project counts the database keeps, as they are now.
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is None:
            return None
        organization = row.Organization
        return OrganizationRecord(
            organization=organization,
            owner_count=row.owners,
            latest_handover=row.OrganizationHandover,
            members=page_of_members(
                self.db, organization.id, members_page, organization.member_count, size
            ),
            invitations=page_of(
                self.db,
                select(OrganizationInvitation)
                # Outer: an invitation to an address has no account.
                .outerjoin(User, User.id == OrganizationInvitation.user_id)
                .options(contains_eager(OrganizationInvitation.user))
                .where(*listed_invitations)
                .order_by(OrganizationInvitation.created.desc(), OrganizationInvitation.id),
                invitations_page,
                row.invitations,
                size,
            ),
            project_names=Page(
                items=row.project_names or [],
                number=projects_page,
                size=size,
                total=organization.project_count,
            ),
            applications=page_of(
                self.db,
                select(OrganizationApplication)
                .join(User, User.id == OrganizationApplication.submitted_by_id)
                .options(contains_eager(OrganizationApplication.submitted_by))
                .where(OrganizationApplication.organization_id == key)
                .order_by(OrganizationApplication.submitted, OrganizationApplication.id),
                applications_page,
                row.applications,
                size,
            ),
            events=page_of(
                self.db,
                select(Organization.Event)
                .where(Organization.Event.source_id == key)
                .order_by(Organization.Event.time.desc(), Organization.Event.id),
                events_page,
                row.events,
                size,
            ),
        )

    def staff_members_page_of(self, organization: Organization, role_id: Any) -> int:
        key = as_uuid(role_id)
        username = (
            select(OrganizationRole.member_username)
            .where(OrganizationRole.id == key)
            .scalar_subquery()
        )
        before = self.db.scalar(
            select(func.count())
            .select_from(OrganizationRole)
            .where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.member_username < username,
            )
        )
        return (before or 0) // STAFF_PAGE_SIZE + 1

    def update_details(self, organization: Organization, **details: Any) -> list[str]:
        lock_organization(self.db, organization)
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
        lock_organization(self.db, organization)
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
            # Another request took the name between the check and the insert.
            raise NameUnavailable(NAME_TAKEN) from error
        organization.record_event(
            EventTag.OrganizationRename, self.request, {"old_name": old_name, "new_name": new_name}
        )

    def delete(
        self, organization: Organization, *, authority: Authority = Authority.OneOwner
    ) -> None:
        lock_organization(self.db, organization)
        # Under the lock: a project added meanwhile (which takes the same lock) counts.
        has_projects = self.db.scalar(
            select(
                select(OrganizationProject.id)
                .where(OrganizationProject.organization_id == organization.id)
                .exists()
            )
        )
        if has_projects:
            raise OrganizationHasProjects(
                "This organization still has projects. Remove or transfer them first."
            )
        guard_owner_change(self.request, organization, authority, touches_owner=True)
        # Billing cancels its subscriptions here, or refuses (the provider did not answer).
        before_deletion(self.request, organization)
        members = self.db.scalars(
            select(User)
            .join(OrganizationRole, OrganizationRole.user_id == User.id)
            .where(OrganizationRole.organization_id == organization.id)
        )
        # The organization's own history goes with it; each member's keeps the deletion.
        for user in members:
            user.record_event(
                EventTag.OrganizationDelete, self.request, {"organization": organization.name}
            )
        delete_in_one_statement(self.db, organization)
