from typing import TYPE_CHECKING, Any

from zope.interface import Interface

if TYPE_CHECKING:
    import uuid

    from warehouse_orgs.accounts.models import Email, User


USERNAME_TAKEN = "This username is already taken. Choose another."
EMAIL_TAKEN = "This address is already used by an account."


class NameOrAddressTaken(Exception):
    """Another account took the username or address a moment ago (the form checked first);
    ``field`` names which, and the message is the form's own."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class IUserService(Interface):
    def get_user(user_id: "uuid.UUID | str") -> "User | None":
        """The user with this id, emails loaded, or None."""

    def get_user_by_username(username: str) -> "User | None":
        """The user with this username, ignoring case, or None."""

    def get_user_by_email(email: str) -> "User | None":
        """The user owning this address, ignoring case, or None."""

    def create_user(username: str, name: str, password: str, email: str) -> "User":
        """Create an account with an unverified primary email; records account:create."""

    def check_password(user: "User", password: str) -> bool:
        """True if the password is the user's; upgrades an outdated hash on the way."""

    def update_password(user: "User", password: str) -> None:
        """Set a new password and end every other session of the user."""

    def password_reset_token(user: "User") -> str:
        """A signed link token to reset the user's password; it stops working once used."""

    def user_for_password_reset(token: str, *, lock: bool = False) -> "User":
        """The user a reset token is for; raises TokenExpired, TokenInvalid or TokenUsed. With
        ``lock``, the user's row stays locked until the transaction ends."""

    def reset_password(user: "User", password: str) -> None:
        """Set a password from a reset link, end every session and record the reset."""

    def update_name(user: "User", name: str) -> None:
        """Change the user's full name."""

    def add_email(user: "User", email: str) -> "Email":
        """Add an unverified, non-primary address."""

    def verify_email(email: "Email") -> None:
        """Mark the address verified (and primary, if the user has no verified primary)."""

    def set_primary_email(user: "User", email: "Email") -> None:
        """Make a verified address the primary one."""

    def remove_email(user: "User", email: "Email") -> None:
        """Remove a non-primary address."""

    def check_totp_value(user: "User", value: str, secret: bytes | None = None) -> bool:
        """True for a current code not used before; ``secret`` checks a secret being set up."""

    def enable_totp(user: "User", secret: bytes) -> list[str]:
        """Turn on two-factor authentication; returns fresh recovery codes to show once."""

    def disable_totp(user: "User") -> None:
        """Turn off two-factor authentication and burn the recovery codes."""

    def generate_recovery_codes(user: "User") -> list[str]:
        """Replace the user's recovery codes; returns them to show once."""

    def use_recovery_code(user: "User", code: str) -> bool:
        """Burn a matching unused recovery code; True if there was one."""

    def unused_recovery_code_count(user: "User") -> int:
        """How many of the user's recovery codes are still unused."""

    def record_login(user: "User") -> None:
        """Remember when the user last logged in."""

    def set_staff_flag(user: "User", flag: str, value: bool) -> None:
        """Grant or take away a staff role (is_superuser, is_support, ...)."""

    def deletion_blockers(user: "User", *, lock: bool = False) -> list[str]:
        """Reasons the account cannot be deleted now (for example, sole ownerships). With
        ``lock``, what the reasons depend on stays locked until the transaction ends."""

    def delete_user(user: "User") -> None:
        """Delete the account, or raise AccountDeletionRefused with the reasons."""


class ITokenService(Interface):
    def dumps(data: dict[str, Any]) -> str:
        """A signed, timestamped token carrying ``data``."""

    def loads(token: str) -> dict[str, Any]:
        """The data of a valid token; raises TokenExpired or TokenInvalid."""
