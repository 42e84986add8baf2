"""An Owner's objection and the periodic completion of the same handover, at the same moment,
on two real connections committing for real (issue 13): exactly one of them is applied."""

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import race
from tests.unit.organizations.test_races import _load_user, _members, _organization, _user
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationHandover,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.succession import (
    NONE_PENDING,
    DatabaseSuccessionService,
)
from warehouse_orgs.organizations.succession_interfaces import HandoverRefused

OWNER = OrganizationRoleType.Owner
MEMBER = OrganizationRoleType.Member
NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture
def due_handover(committed_database: Engine) -> uuid.UUID:
    """An organization with a quiet Owner and a member, and a handover to the member that is
    due now."""
    with Session(committed_database) as setup:
        owner, member = _user(setup, "quiet"), _user(setup, "keen")
        organization = _organization(setup, "handed")
        setup.flush()
        setup.add(OrganizationRole(organization_id=organization.id, user=owner, role_name=OWNER))
        role = OrganizationRole(organization_id=organization.id, user=member, role_name=MEMBER)
        setup.add(role)
        setup.flush()
        setup.add(
            OrganizationHandover(
                organization_id=organization.id,
                candidate_role_id=role.id,
                candidate_username="keen",
                reason="The Owner is gone.",
                takes_effect_at=NOW - datetime.timedelta(minutes=1),
            )
        )
        setup.commit()
        return organization.id


def _object(registry: Any, organization_id: uuid.UUID) -> Any:
    def work(session: Session) -> Any:
        owner = _load_user(session, "quiet")
        service = DatabaseSuccessionService(service_request(registry, session, owner))
        organization = session.get(Organization, organization_id)
        return service.object_to_handover(organization, owner, "Still here.")

    return work


def _complete(registry: Any) -> Any:
    def work(session: Session) -> Any:
        service = DatabaseSuccessionService(service_request(registry, session))
        return [outcome.completed for outcome in service.complete_due_handovers()]

    return work


def _status(engine: Engine) -> str:
    with Session(engine) as check:
        return check.scalars(select(OrganizationHandover.status)).one()


def test_an_objection_first_stops_the_completion_waiting_for_it(
    app_registry, committed_database, due_handover
):
    objection, completion = race(
        committed_database, _object(app_registry, due_handover), _complete(app_registry)
    )
    assert objection.succeeded
    # The completion waited for the lock, then found the handover no longer pending.
    assert completion.succeeded
    assert completion.result == []
    assert _status(committed_database) == "objected"
    assert _members(committed_database, due_handover) == {"quiet": OWNER, "keen": MEMBER}


def test_a_completion_first_refuses_the_objection_waiting_for_it(
    app_registry, committed_database, due_handover
):
    completion, objection = race(
        committed_database, _complete(app_registry), _object(app_registry, due_handover)
    )
    assert completion.result == [True]
    assert isinstance(objection.error, HandoverRefused), repr(objection.error)
    assert str(objection.error) == NONE_PENDING
    assert _status(committed_database) == "completed"
    assert _members(committed_database, due_handover) == {"quiet": OWNER, "keen": OWNER}
