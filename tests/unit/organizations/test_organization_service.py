"""IOrganizationService: names, lookups, details, renaming and deletion."""

import pytest
from pyramid.authorization import ACLHelper
from sqlalchemy import text

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
)
from tests.common.events import event_tags
from tests.unit.organizations.conftest import application_details
from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    NameUnavailable,
    OrganizationError,
    OrganizationHasProjects,
)
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.permissions import ROLE_PERMISSIONS, OrganizationRoleType


def test_names_reserved_taken_or_once_used_are_refused(applications, service, db_session, actor):
    OrganizationFactory.create(name="taken")
    with pytest.raises(NameUnavailable, match="reserved"):
        applications.submit_application(actor, **application_details("PyPI"))
    with pytest.raises(NameUnavailable, match="taken, or was used"):
        applications.submit_application(actor, **application_details("Taken"))
    gone = OrganizationFactory.create(name="gone")
    service.delete(gone)
    with pytest.raises(NameUnavailable, match="taken, or was used"):
        applications.submit_application(actor, **application_details("gone"))


def test_the_acl_follows_the_permission_table(service, db_session):
    organization = OrganizationFactory.create()
    people = {role: UserFactory.create() for role in OrganizationRoleType}
    for role_name, user in people.items():
        OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)
    db_session.expire_all()
    organization = service.get_organization_by_name(organization.name)
    helper = ACLHelper()
    for role_name, user in people.items():
        principals = [user_principal(user.id)]
        granted = {p for p in Permissions if helper.permits(organization, principals, p)}
        assert granted == set(ROLE_PERMISSIONS[role_name]), role_name
    # Staff hold nothing on an organization they are not members of.
    assert not any(helper.permits(organization, ["group:admins"], p) for p in Permissions)


def test_company_never_becomes_community(service):
    company = OrganizationFactory.create(orgtype="Company")
    with pytest.raises(OrganizationError, match="cannot become a Community"):
        service.update_details(company, orgtype="Community")
    community = OrganizationFactory.create()
    assert service.update_details(community, orgtype="Company") == ["orgtype"]


def test_company_never_becomes_community_even_when_the_loaded_row_is_stale(service, db_session):
    # Another request made it a Company after this one loaded it as a Community: the rule is
    # judged by the row as committed, read again under the lock, not by what was loaded.
    organization = OrganizationFactory.create(orgtype="Community", display_name="Before")
    db_session.execute(
        text("UPDATE organizations SET orgtype = 'Company' WHERE id = :id"),
        {"id": organization.id},
    )
    assert organization.orgtype == "Community"  # what this request still believes

    with pytest.raises(OrganizationError, match="cannot become a Community"):
        service.update_details(organization, orgtype="Community", display_name="After")

    db_session.expire_all()
    assert (organization.orgtype, organization.display_name) == ("Company", "Before")
    assert EventTag.OrganizationDetailsChange not in event_tags(db_session, organization)


def test_rename_keeps_the_old_name_for_redirects(service, db_session):
    organization = OrganizationFactory.create(name="before")
    service.rename(organization, "After")
    assert service.get_organization_by_name("before") is organization
    assert service.get_organization_by_name("after") is organization
    other = OrganizationFactory.create(name="other")
    with pytest.raises(NameUnavailable):
        service.rename(other, "before")


def test_an_organization_with_projects_is_not_deleted(service, db_session):
    organization = OrganizationFactory.create(name="keeper")
    OrganizationProjectFactory.create(organization=organization)

    with pytest.raises(OrganizationHasProjects, match="still has projects"):
        service.delete(organization)
    db_session.expire_all()
    assert db_session.get(Organization, organization.id) is not None
