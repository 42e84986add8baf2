"""Users, their email addresses and their two-factor recovery codes."""

import datetime
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    cast,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warehouse_orgs.authnz import Principals, user_principal
from warehouse_orgs.db import Model
from warehouse_orgs.events.models import HasEvents
from warehouse_orgs.search import TRIGRAM_INDEX

USERNAME_MAX_LENGTH = 50
# Letters, digits, and . _ - between them; the same rule Warehouse applies.
USERNAME_PATTERN = r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$"
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254

# Staff flags, the group each one puts a user in, and how the pages name it.
STAFF_FLAGS: dict[str, tuple[Principals, str]] = {
    "is_superuser": (Principals.admins, "Admin"),
    "is_support": (Principals.support, "Support"),
    "is_moderator": (Principals.moderators, "Moderator"),
    "is_psf_staff": (Principals.psf_staff, "PSF staff"),
}


def _false() -> Mapped[bool]:
    return mapped_column(Boolean, server_default=text("false"))


class User(HasEvents, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            f"length(username) <= {USERNAME_MAX_LENGTH} AND username ~* '{USERNAME_PATTERN}'",
            name="valid_username",
        ),
    )

    username: Mapped[str] = mapped_column(CITEXT, unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), server_default="")
    password: Mapped[str] = mapped_column(String(200))
    # Sessions that began before this moment are no longer valid.
    password_date: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    date_joined: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_login: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    is_superuser: Mapped[bool] = _false()
    is_support: Mapped[bool] = _false()
    is_moderator: Mapped[bool] = _false()
    is_psf_staff: Mapped[bool] = _false()

    # Whether the public page of a project they reach through a team names them (the user's
    # own choice on /manage/account/; a team role alone publishes nobody).
    public_team_projects: Mapped[bool] = _false()

    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary(20))
    # The time step of the last accepted code, so a code cannot be replayed within its window.
    last_totp_step: Mapped[int | None]

    emails: Mapped[list["Email"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Email.primary.desc(), Email.email)",
    )
    recovery_codes: Mapped[list["RecoveryCode"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    @property
    def primary_email(self) -> "Email | None":
        return next((email for email in self.emails if email.primary), None)

    @property
    def has_verified_primary_email(self) -> bool:
        primary = self.primary_email
        return primary is not None and primary.verified

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def is_staff(self) -> bool:
        return any(getattr(self, flag) for flag in STAFF_FLAGS)

    @property
    def staff_roles(self) -> list[str]:
        return [label for flag, (_group, label) in STAFF_FLAGS.items() if getattr(self, flag)]

    def __principals__(self) -> list[str]:
        principals = [user_principal(self.id)]
        for flag, (group, _label) in STAFF_FLAGS.items():
            if getattr(self, flag):
                principals.append(str(group))
        return principals


# Staff find people by any part of their username: a trigram index on the name as text
# serves ILIKE (citext's own operators are not in the trigram operator class).
Index(
    "ix_users_username_trgm",
    cast(User.__table__.c.username, Text).label("username_text"),
    postgresql_ops={"username_text": "gin_trgm_ops"},
    **TRIGRAM_INDEX,
)


class Email(Model):
    __tablename__ = "user_emails"
    __table_args__ = (
        # At most one primary address per user; the service keeps it at exactly one.
        Index(
            "user_emails_one_primary_per_user",
            "user_id",
            unique=True,
            postgresql_where=text('"primary"'),
        ),
        CheckConstraint(f"length(email) <= {EMAIL_MAX_LENGTH}", name="valid_length"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(CITEXT, unique=True)
    primary: Mapped[bool] = _false()
    verified: Mapped[bool] = _false()
    added: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    user: Mapped[User] = relationship(back_populates="emails")

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


class RecoveryCode(Model):
    __tablename__ = "user_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(200))
    generated: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    burned: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="recovery_codes")
