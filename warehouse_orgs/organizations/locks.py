"""One lock per aggregate. Every path that changes an aggregate takes its lock first, so two
requests changing the same one queue up and the later one judges by the earlier one's result.

- An organization's members, roles and invitations, its names and its deletion: the
  organization's row (``lock_organization``).
- One invitation: the organization first, then the invitation's row (``lock_invitation``),
  always in that order, so answering and revoking cannot deadlock.
- One application: its row (``lock_application``).
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationInvitation,
)
from warehouse_orgs.ownership import lock_rows, reload_for_update


def lock_organization(db: Session, organization: Organization) -> None:
    """Lock the organization and read its columns again as committed now (another request
    may have changed them while this one waited). Loaded relationships are left alone."""
    lock_rows(db, Organization, [organization.id])
    db.refresh(organization, [column.key for column in sa_inspect(Organization).column_attrs])


def lock_organizations(db: Session, organization_ids: Iterable[uuid.UUID]) -> None:
    """Several at once (an account deletion), in id order."""
    lock_rows(db, Organization, organization_ids)


def lock_invitation(db: Session, invitation: OrganizationInvitation) -> OrganizationInvitation:
    """Lock the invitation's organization and the invitation; returns it as committed now."""
    lock_rows(db, Organization, [invitation.organization_id])
    lock_rows(db, OrganizationInvitation, [invitation.id])
    return reload_for_update(db, OrganizationInvitation, invitation.id)


def lock_application(db: Session, application: OrganizationApplication) -> OrganizationApplication:
    """Lock the application; returns it as committed now."""
    lock_rows(db, OrganizationApplication, [application.id])
    return reload_for_update(db, OrganizationApplication, application.id)


def lock_applications(db: Session, application_ids: Iterable[uuid.UUID]) -> None:
    """Several applications at once (an approval and its competitors), in id order."""
    lock_rows(db, OrganizationApplication, application_ids)
