"""The three organization services on the test's own transaction, acting as one signed-in user."""

from typing import Any

import pytest

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationApplicationService,
    DatabaseOrganizationMembershipService,
    DatabaseOrganizationService,
)


@pytest.fixture
def actor(db_session: Any) -> User:
    return UserFactory.create(username="actor")


@pytest.fixture
def request_(app_registry: Any, db_session: Any, actor: User) -> Any:
    return service_request(app_registry, db_session, actor)


@pytest.fixture
def service(request_: Any) -> DatabaseOrganizationService:
    return DatabaseOrganizationService(request_)


@pytest.fixture
def applications(request_: Any) -> DatabaseOrganizationApplicationService:
    return DatabaseOrganizationApplicationService(request_)


@pytest.fixture
def membership(request_: Any) -> DatabaseOrganizationMembershipService:
    return DatabaseOrganizationMembershipService(request_)


def application_details(name: str = "new-org", **overrides: Any) -> dict[str, Any]:
    """What the apply form hands the service."""
    return {
        "name": name,
        "display_name": "New Org",
        "orgtype": "Community",
        "link_url": "https://example.com/",
        "description": "d",
        "usage": "u" * 40,
        "membership_size": "2-5",
        **overrides,
    }
