import datetime

from tests.common.concurrency import service_request
from tests.common.db.organizations import OrganizationInvitationFactory
from tests.common.events import event_tags
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.tasks import expire_organization_invitations
from warehouse_orgs.tasks import task_name


def test_the_task_is_registered(app_config):
    assert task_name(expire_organization_invitations) in app_config.registry["tasks"].tasks


def test_overdue_invitations_are_marked_expired_with_an_event(app_registry, db_session):
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    overdue = OrganizationInvitationFactory.create(expires_at=past)
    live = OrganizationInvitationFactory.create()
    request = service_request(app_registry, db_session)
    assert expire_organization_invitations(request) == 1
    db_session.expire_all()
    assert (overdue.status, live.status) == ("expired", "pending")
    assert event_tags(db_session, overdue.organization) == [EventTag.OrganizationRoleInviteExpire]
    assert expire_organization_invitations(request) == 0
