"""Organizations, the applications that create them, their members and invitations.

An organization's name is unique by its normalized form (the same PEP 503 function projects
use), computed by the database. Every name an organization ever had stays in the name catalog,
so no other organization can take it and old URLs keep redirecting.
"""

import datetime
import enum
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyramid.authorization import Allow
from pyramid.request import Request
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.db import Model
from warehouse_orgs.events.models import HasEvents
from warehouse_orgs.labels import LabelledEnum
from warehouse_orgs.organizations.permissions import ROLE_PERMISSIONS, OrganizationRoleType
from warehouse_orgs.search import TRIGRAM_INDEX

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.packaging.models import Project

NAME_MAX_LENGTH = 50
NAME_PATTERN = r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$"
# What applying, renaming and the database refuse, said the same way everywhere.
NAME_RULE = "Use letters, numbers, and . _ - between them; start and end with a letter or number."
DISPLAY_NAME_MAX_LENGTH = 100
LINK_URL_MAX_LENGTH = 400
DESCRIPTION_MAX_LENGTH = 400
USAGE_MAX_LENGTH = 1024
# An email address's longest form (RFC 5321), as accounts' addresses.
INVITED_ADDRESS_MAX_LENGTH = 254


def _values_check(column: str, values: type[enum.Enum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v.value)) for v in values)})"


class OrganizationType(enum.StrEnum):
    Community = "Community"
    Company = "Company"


class OrganizationApplicationStatus(LabelledEnum):
    Submitted = ("submitted", "Waiting for review")
    MoreInformationNeeded = ("moreinformationneeded", "More information needed")
    Deferred = ("deferred", "Deferred")
    Approved = ("approved", "Approved")
    Declined = ("declined", "Declined")
    Withdrawn = ("withdrawn", "Withdrawn")


# Applications still waiting for a decision; they count against the per-user limit and hold
# their name against other applicants' approval.
UNDECIDED_STATUSES = (
    OrganizationApplicationStatus.Submitted,
    OrganizationApplicationStatus.MoreInformationNeeded,
    OrganizationApplicationStatus.Deferred,
)


class OrganizationMembershipSize(enum.StrEnum):
    Solo = "1"
    Small = "2-5"
    Medium = "6-10"
    Larger = "11-25"
    Large = "26-50"
    Larger_still = "51-100"
    Huge = "100+"


class OrganizationInvitationStatus(LabelledEnum):
    Pending = ("pending", "Pending")
    Accepted = ("accepted", "Accepted")
    Declined = ("declined", "Declined")
    Revoked = ("revoked", "Revoked")
    Expired = ("expired", "Expired")


class OrganizationDetails:
    """Columns an application and the organization it becomes have in common."""

    name: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX_LENGTH))
    orgtype: Mapped[str] = mapped_column(String(20))
    link_url: Mapped[str] = mapped_column(String(LINK_URL_MAX_LENGTH))
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX_LENGTH))


def _details_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint(
            f"length(name) <= {NAME_MAX_LENGTH} AND name ~* '{NAME_PATTERN}'", name="valid_name"
        ),
        CheckConstraint("link_url ~* '^https?://'", name="valid_link_url"),
        CheckConstraint(_values_check("orgtype", OrganizationType), name="valid_orgtype"),
    )


def _similar_name_index(table: str) -> Index:
    """A trigram index, so staff's look-alike name search (pg_trgm's ``%``) need not read
    every row."""
    return Index(
        f"ix_{table}_normalized_name_trgm",
        "normalized_name",
        postgresql_ops={"normalized_name": "gin_trgm_ops"},
        **TRIGRAM_INDEX,
    )


def _directory_indexes() -> tuple[Index, ...]:
    """The public directory (/organizations/) lists active organizations only, in one of three
    orders; each order has an index of the active rows in it, so a page is read in order and
    stops after its rows, and the total is counted from the smallest of them. Its search
    matches the display name too, through a trigram index of its own."""
    active = text("is_active")
    return (
        Index(
            "ix_organizations_active_normalized_name", "normalized_name", postgresql_where=active
        ),
        Index(
            "ix_organizations_active_created",
            text("created DESC"),
            "normalized_name",
            postgresql_where=active,
        ),
        Index(
            "ix_organizations_active_project_count",
            text("project_count DESC"),
            "normalized_name",
            postgresql_where=active,
        ),
        Index(
            "ix_organizations_display_name_trgm",
            "display_name",
            postgresql_ops={"display_name": "gin_trgm_ops"},
            **TRIGRAM_INDEX,
        ),
    )


class Organization(OrganizationDetails, HasEvents, Model):
    __tablename__ = "organizations"
    __table_args__ = (
        *_details_checks(),
        _similar_name_index("organizations"),
        *_directory_indexes(),
    )

    normalized_name: Mapped[str] = mapped_column(
        Text, Computed("normalize_pep503_name(name)", persisted=True), unique=True
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    # NULL means the index-wide default applies.
    upload_limit: Mapped[int | None] = mapped_column(BigInteger)
    total_size_limit: Mapped[int | None] = mapped_column(BigInteger)
    # Kept by the database (triggers on organization_roles and organization_projects), so a
    # page shows them without counting; the ORM never writes them.
    member_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    project_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Changes to who owns it wait for a second Owner's approval (issue 13; see
    # owner_approval_models.py). Turned on only with two Owners or more.
    owner_changes_need_approval: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    roles: Mapped[list["OrganizationRole"]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )
    invitations: Mapped[list["OrganizationInvitation"]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )

    # The roles of the person asking, as (user id, role name), set by the traversal factory
    # in the statement that finds the organization. The policy can match no one else's role,
    # so a page of an organization with ten thousand members need not load them all.
    # (Not annotated: SQLAlchemy would take an annotation for a column.)
    viewer_roles = None

    # No __parent__: the root's grants (staff among them) never reach an organization.
    def __acl__(self) -> list[tuple[str, str, list[str]]]:
        roles: Iterable[tuple[uuid.UUID, str]]
        if self.viewer_roles is not None and "roles" in inspect(self).unloaded:
            roles = self.viewer_roles
        else:
            # A service that loaded every role (to judge a change) has the latest word.
            roles = ((role.user_id, role.role_name) for role in self.roles)
        return [
            (
                Allow,
                user_principal(user_id),
                [str(p) for p in ROLE_PERMISSIONS[OrganizationRoleType(role_name)]],
            )
            for user_id, role_name in roles
        ]

    def record_event(self, tag: Any, request: Request, additional: dict | None = None) -> Any:
        # The name is copied in, so the history reads right after a rename or deletion.
        return super().record_event(tag, request, {"organization": self.name, **(additional or {})})


class OrganizationNameCatalog(Model):
    """Every normalized name an organization has had; a name here is never given out again."""

    __tablename__ = "organization_name_catalog"

    normalized_name: Mapped[str] = mapped_column(Text, unique=True)
    # Kept after a rename (old URLs redirect); set to NULL when the organization is deleted,
    # which keeps the name burned.
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )


class OrganizationApplication(OrganizationDetails, HasEvents, Model):
    __tablename__ = "organization_applications"
    __table_args__ = (
        *_details_checks(),
        CheckConstraint(
            _values_check("status", OrganizationApplicationStatus), name="valid_status"
        ),
        CheckConstraint(
            "membership_size IS NULL OR "
            + _values_check("membership_size", OrganizationMembershipSize),
            name="valid_membership_size",
        ),
        # The review queue: undecided applications, oldest first.
        Index("ix_organization_applications_status_submitted", "status", "submitted"),
        # An organization's applications, oldest first, on its admin page.
        Index(
            "ix_organization_applications_organization_id_submitted", "organization_id", "submitted"
        ),
        _similar_name_index("organization_applications"),
        # Staff's search of the review queue by any part of the name or display name.
        Index(
            "ix_organization_applications_name_display_name_trgm",
            "name",
            "display_name",
            postgresql_ops={"name": "gin_trgm_ops", "display_name": "gin_trgm_ops"},
            **TRIGRAM_INDEX,
        ),
    )

    normalized_name: Mapped[str] = mapped_column(
        Text, Computed("normalize_pep503_name(name)", persisted=True), index=True
    )
    status: Mapped[str] = mapped_column(
        String(30), server_default=OrganizationApplicationStatus.Submitted.value
    )
    usage: Mapped[str] = mapped_column(String(USAGE_MAX_LENGTH), server_default="")
    membership_size: Mapped[str | None] = mapped_column(String(10))
    submitted_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    submitted: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )

    submitted_by: Mapped["User"] = relationship("User")
    organization: Mapped[Organization | None] = relationship()

    @property
    def is_undecided(self) -> bool:
        return self.status in UNDECIDED_STATUSES

    def __acl__(self) -> list[tuple[str, str, list[str]]]:
        return [
            (
                Allow,
                user_principal(self.submitted_by_id),
                [str(Permissions.OrganizationApplicationsManage)],
            )
        ]


class ApplicationMessageKind(LabelledEnum):
    Question = ("question", "Question from PyPI")  # staff ask the applicant
    Answer = ("answer", "Answer")  # the applicant answers a question
    Note = ("note", "Internal note")  # staff only; never shown to the applicant


class OrganizationApplicationMessage(Model):
    """The conversation on an application: staff questions, answers, and internal notes."""

    __tablename__ = "organization_application_messages"
    __table_args__ = (
        CheckConstraint(_values_check("kind", ApplicationMessageKind), name="valid_kind"),
        Index(
            "ix_organization_application_messages_application_id_created",
            "application_id",
            "created",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization_applications.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(USAGE_MAX_LENGTH))
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )

    author: Mapped["User | None"] = relationship("User")


class OrganizationRole(Model):
    __tablename__ = "organization_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "organization_id"),
        CheckConstraint(_values_check("role_name", OrganizationRoleType), name="valid_role_name"),
        # What a team membership's foreign key points at (see TeamRole): the role, its
        # organization and its role name together.
        UniqueConstraint("id", "organization_id", "role_name"),
        # An organization's members in name order, a page at a time (the people page): the
        # page's role ids are read from the index alone.
        Index(
            "ix_organization_roles_organization_id_member_username",
            "organization_id",
            "member_username",
            postgresql_include=["id"],
        ),
        # An organization's few Owners, without reading its other members.
        Index(
            "ix_organization_roles_owners",
            "organization_id",
            postgresql_where=text("role_name = 'Owner'"),
        ),
    )

    role_name: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # The member's username, set and kept by the database (a trigger on this table, another on
    # users' renames); the ORM never writes it.
    member_username: Mapped[str] = mapped_column(CITEXT, server_default=FetchedValue())
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    user: Mapped["User"] = relationship("User")
    organization: Mapped[Organization] = relationship(back_populates="roles")


class OrganizationInvitation(Model):
    """An invitation to join, answered through a link with a random token.

    Only the token's SHA-256 is stored. The token works for its invitee, once, before
    ``expires``, and only while the row is pending; resending makes a new token and the old
    one stops working.

    The invitee is an account (``user_id``) or an email address (``email``), never both: an
    address invitation is answered by whichever account has that address verified at the
    moment it answers, so an address removed, or never verified, carries nothing.

    ``invited_address`` is the address the inviter typed, for either kind: an account is
    invited by its address only when it has that address verified (see
    ``invite_address``), and the inviter's page, flashes, emails and history name the
    invitation by this address, never by the account's username, so they read the same
    whether or not an account exists.
    """

    __tablename__ = "organization_invitations"
    __table_args__ = (
        CheckConstraint(_values_check("status", OrganizationInvitationStatus), name="valid_status"),
        CheckConstraint(_values_check("role_name", OrganizationRoleType), name="valid_role_name"),
        # Exactly one invitee: an account or an address.
        CheckConstraint("num_nonnulls(user_id, email) = 1", name="one_invitee"),
        # An address invitation is named by its own address; addresses are stored trimmed
        # (citext compares them without case) and as long as an account's may be.
        CheckConstraint("email IS NULL OR invited_address = email", name="named_by_its_address"),
        CheckConstraint(
            f"invited_address IS NULL OR (invited_address = btrim(invited_address) "
            f"AND length(invited_address) BETWEEN 3 AND {INVITED_ADDRESS_MAX_LENGTH})",
            name="valid_invited_address",
        ),
        # At most one pending invitation per person per organization.
        Index(
            "organization_invitations_one_pending_per_user",
            "organization_id",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        # And per address typed, whichever kind it became: an address invitation's
        # ``invited_address`` is its ``email`` (named_by_its_address), so this is also at most
        # one pending invitation per (organization, address). Covering account invitations made
        # by address too is what makes typing a known address twice answer exactly as typing
        # an unknown one twice.
        Index(
            "organization_invitations_one_pending_per_address",
            "organization_id",
            "invited_address",
            unique=True,
            postgresql_where=text("status = 'pending' AND invited_address IS NOT NULL"),
        ),
        # A person's list of invitations finds those to their verified addresses.
        Index(
            "ix_organization_invitations_email_pending",
            "email",
            postgresql_where=text("status = 'pending' AND email IS NOT NULL"),
        ),
        # An organization's invitations, newest first, on its admin page.
        Index("ix_organization_invitations_organization_id_created", "organization_id", "created"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str | None] = mapped_column(CITEXT)
    invited_address: Mapped[str | None] = mapped_column(CITEXT)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    role_name: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(
        String(20), server_default=OrganizationInvitationStatus.Pending.value
    )
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), index=True)

    organization: Mapped[Organization] = relationship(back_populates="invitations")
    user: Mapped["User | None"] = relationship("User", foreign_keys=[user_id])
    invited_by: Mapped["User | None"] = relationship("User", foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == OrganizationInvitationStatus.Pending

    @property
    def is_by_address(self) -> bool:
        return self.invited_address is not None

    @property
    def invitee_name(self) -> str:
        """How the organization's side names the invitee: the address typed, else the
        username."""
        if self.invited_address is not None:
            return self.invited_address
        assert self.user is not None  # one_invitee: no address, so an account
        return self.user.username

    def is_expired_at(self, moment: datetime.datetime) -> bool:
        return self.status == OrganizationInvitationStatus.Expired or (
            self.is_pending and moment >= self.expires_at
        )


class OrganizationProject(Model):
    """A project's organization. ``project_id`` is unique: a project belongs to at most one."""

    __tablename__ = "organization_projects"
    __table_args__ = (
        # An organization's projects in name order, a page at a time, read from the index.
        Index(
            "ix_organization_projects_organization_id_name",
            "organization_id",
            "project_normalized_name",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), unique=True
    )
    # The project's normalized name, set and kept by the database (a trigger on this table,
    # another on projects' renames); the ORM never writes it.
    project_normalized_name: Mapped[str] = mapped_column(Text, server_default=FetchedValue())
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


TEAM_NAME_MAX_LENGTH = 50
# Anything printable, but not starting or ending with a space or one of / . _ - (a team's name
# is a path segment of its pages), as in Warehouse.
TEAM_NAME_PATTERN = r"^([^\s/._-]|[^\s/._-].*[^\s/._-])$"
TEAM_NAME_RULE = (
    f"Use at most {TEAM_NAME_MAX_LENGTH} characters; do not start or end with a space or "
    "one of / . _ -."
)


class TeamProjectRoleType(enum.StrEnum):
    Owner = "Owner"
    Maintainer = "Maintainer"


class Team(HasEvents, Model):
    """A named group of an organization's members, given Owner or Maintainer on some of the
    organization's projects. Its name is unique in the organization by its normalized form
    (``normalize_team_name``: case, and runs of spaces and . _ / -, do not count), computed
    and enforced by the database."""

    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint(
            f"length(name) <= {TEAM_NAME_MAX_LENGTH} AND name ~ '{TEAM_NAME_PATTERN}' "
            "AND name !~ '[[:cntrl:]]'",
            name="valid_name",
        ),
        # Also serves every lookup of an organization's teams (its leading column).
        UniqueConstraint("organization_id", "normalized_name"),
        # What a team membership's foreign key points at: the team and its organization
        # together, so a membership cannot join a team to another organization's member.
        UniqueConstraint("id", "organization_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Text)
    normalized_name: Mapped[str] = mapped_column(
        Text, Computed("normalize_team_name(name)", persisted=True)
    )
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    organization: Mapped[Organization] = relationship()

    def __acl__(self) -> list[tuple[str, str, list[str]]]:
        # A team's pages are its organization's: the same roles decide who may see and change
        # them (OrganizationTeamsRead, OrganizationTeamsManage, OrganizationsRoleRemove).
        return self.organization.__acl__()

    def record_event(self, tag: Any, request: Request, additional: dict | None = None) -> Any:
        # Names copied in, so the team's history reads right after a rename.
        return super().record_event(
            tag,
            request,
            {"organization": self.organization.name, "team": self.name, **(additional or {})},
        )


class TeamRole(Model):
    """One member of a team. It hangs off the member's organization role, not the user:
    removing someone from the organization (or their leaving, or their account going)
    deletes their organization role, and ON DELETE CASCADE takes every team membership with it
    in the same statement. PyPI's April 2025 incident was team rights outliving the
    organization membership because the row pointed at the user.

    Both foreign keys are composite and share ``organization_id``, so the database itself
    guarantees the team and the organization role belong to the same organization (a trigger
    could check the same, but a key is declarative, cannot be forgotten on some path, and is
    checked under the right row locks by PostgreSQL itself).

    The organization role's ``role_name`` is part of its key too, copied here with ON UPDATE
    CASCADE, and a CHECK refuses Billing Manager: a Billing Manager can never be on a team, and
    making a team member a Billing Manager fails unless their memberships end first (the
    membership service ends them, with events, before changing the role).
    """

    __tablename__ = "team_roles"
    __table_args__ = (
        UniqueConstraint("team_id", "organization_role_id"),
        ForeignKeyConstraint(
            ["team_id", "organization_id"],
            ["teams.id", "teams.organization_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["organization_role_id", "organization_id", "organization_role_name"],
            [
                "organization_roles.id",
                "organization_roles.organization_id",
                "organization_roles.role_name",
            ],
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        CheckConstraint(
            f"organization_role_name <> '{OrganizationRoleType.BillingManager.value}'",
            name="no_billing_managers",
        ),
    )

    team_id: Mapped[uuid.UUID] = mapped_column()
    # The cascade from organization_roles looks memberships up by this.
    organization_role_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    organization_role_name: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    # Read-only: rows are made by ids (the keys are composite and share organization_id).
    team: Mapped[Team] = relationship(
        primaryjoin="Team.id == foreign(TeamRole.team_id)", viewonly=True
    )
    organization_role: Mapped[OrganizationRole] = relationship(
        primaryjoin="OrganizationRole.id == foreign(TeamRole.organization_role_id)",
        viewonly=True,
    )


class TeamProjectRole(Model):
    """A team's role on a project. It counts only while the project belongs to the team's
    organization: the project's access joins organization_projects on the team's
    organization, so a row left behind by a transfer grants nothing."""

    __tablename__ = "team_project_roles"
    __table_args__ = (
        UniqueConstraint("team_id", "project_id"),
        CheckConstraint(_values_check("role_name", TeamProjectRoleType), name="valid_role_name"),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    # A project's access is looked up by this.
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    role_name: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    team: Mapped[Team] = relationship()
    project: Mapped["Project"] = relationship("Project")


def select_organization_by_name(name: str) -> Any:
    """The organization whose current or former normalized name matches ``name``'s."""
    return (
        select(Organization)
        .join(
            OrganizationNameCatalog,
            OrganizationNameCatalog.organization_id == Organization.id,
        )
        .where(OrganizationNameCatalog.normalized_name == func.normalize_pep503_name(name))
    )


# Succession's tables belong to this feature too; importing them here puts them in the metadata
# wherever the feature's models are loaded (migrations among them).
from warehouse_orgs.organizations.owner_approval_models import (  # noqa: E402, F401
    OrganizationOwnerChange,
)
from warehouse_orgs.organizations.succession_models import (  # noqa: E402, F401
    OrganizationHandover,
    OrganizationSuccessionRisk,
)
