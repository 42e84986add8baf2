from typing import Any

from zope.interface import Interface


class IOrganizationService(Interface):
    """Organizations; see services.DatabaseOrganizationService for each method's contract."""

    def name_unavailable_reason(name: str) -> str | None:
        """Why ``name`` cannot be applied for (reserved, taken, once used), or None."""

    def get_organization_by_name(name: str) -> Any:
        """The organization with this current or former name, roles loaded, or None."""

    def submit_application(submitter: Any, **details: Any) -> Any:
        """Apply for an organization; at most three undecided applications per user."""

    def approve_application(application: Any) -> Any:
        """Create the organization with the applicant as Owner; decline competing ones."""

    def add_role(organization: Any, user: Any, role_name: Any) -> Any:
        """Make ``user`` a member directly (staff, approval)."""

    def change_role(role: Any, role_name: Any) -> None:
        """Change a member's role; never leaves the organization without an Owner."""

    def remove_role(role: Any) -> None:
        """Remove a member; never leaves the organization without an Owner."""

    def invite(organization: Any, user: Any, role_name: Any) -> Any:
        """Invite a verified user; returns the invitation and its one-time token."""

    def invitation_for_token(token: str, user: Any) -> Any:
        """The live invitation for this token and user, or InvitationRefused."""

    def expire_invitations(organization: Any = None) -> int:
        """Mark overdue invitations expired, recording an event for each."""

    def sole_owned_organizations(user: Any) -> list[str]:
        """Active organizations whose only Owner is ``user``."""
