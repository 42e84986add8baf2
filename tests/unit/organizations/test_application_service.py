"""IOrganizationApplicationService: applying, the conversation with staff, and the review."""

import datetime

import pytest
from sqlalchemy import func, select, text

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationApplicationFactory, OrganizationFactory
from tests.common.events import event_tags
from tests.unit.organizations.conftest import application_details
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    ApplicationRefused,
    OrganizationError,
    TooManyApplications,
)
from warehouse_orgs.organizations.models import (
    ApplicationMessageKind,
    Organization,
    OrganizationApplicationMessage,
    OrganizationNameCatalog,
    OrganizationRole,
)


def _message_count(db_session, application) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(OrganizationApplicationMessage)
        .where(OrganizationApplicationMessage.application_id == application.id)
    )


def test_approval_creates_the_organization_and_declines_competitors(
    applications, service, db_session, actor
):
    application = applications.submit_application(actor, **application_details("Shared_Name"))
    rival = OrganizationApplicationFactory.create(name="shared.name")
    organization, declined = applications.approve_application(application)
    assert organization.normalized_name == "shared-name"
    assert declined == [rival]
    assert rival.status == "declined"
    role = db_session.scalars(select(OrganizationRole)).one()
    assert (role.user_id, role.role_name) == (actor.id, "Owner")
    assert db_session.scalars(select(OrganizationNameCatalog.normalized_name)).all() == [
        "shared-name"
    ]
    assert event_tags(db_session, organization) == [
        EventTag.OrganizationCreate,
        EventTag.OrganizationRoleAdd,
    ]


def test_at_most_three_undecided_applications(applications, actor):
    for n in range(3):
        applications.submit_application(actor, **application_details(f"app-{n}"))
    with pytest.raises(TooManyApplications):
        applications.submit_application(actor, **application_details("app-3"))


def test_withdrawing_frees_the_name_and_the_slot(applications, service, actor):
    application = applications.submit_application(actor, **application_details("free-me"))
    applications.withdraw_application(application)
    again = applications.submit_application(actor, **application_details("free-me"))
    assert again.status == "submitted"
    with pytest.raises(OrganizationError, match="already withdrawn"):
        applications.withdraw_application(application)


def test_queue_position_counts_older_undecided_applications(applications, actor):
    older = OrganizationApplicationFactory.create()
    mine = applications.submit_application(actor, **application_details("queued"))
    db_session = applications.db
    db_session.execute(
        text(
            "UPDATE organization_applications SET submitted = now() - interval '1 day' "
            "WHERE id = :id"
        ),
        {"id": older.id},
    )
    db_session.expire_all()
    assert applications.queue_position(mine) == 1
    assert applications.queue_position(older) == 0


# The conversation


def test_an_answer_when_no_question_waits_is_refused_and_changes_nothing(
    applications, db_session, actor
):
    application = applications.submit_application(actor, **application_details("unasked"))
    before = event_tags(db_session, application)

    with pytest.raises(ApplicationRefused, match=r"There is no question waiting for an answer\."):
        applications.add_message(application, ApplicationMessageKind.Answer, "Here you go.")

    db_session.expire_all()
    assert application.status == "submitted"
    assert _message_count(db_session, application) == 0
    assert event_tags(db_session, application) == before


def test_an_answer_to_a_waiting_question_sends_it_back_to_review(applications, db_session, actor):
    application = applications.submit_application(actor, **application_details("asked"))
    applications.add_message(application, ApplicationMessageKind.Question, "Who are you?")
    assert application.status == "moreinformationneeded"
    applications.add_message(application, ApplicationMessageKind.Answer, "We are us.")
    assert application.status == "submitted"
    # The question was answered: a second answer has nothing to answer.
    with pytest.raises(ApplicationRefused, match="no question waiting"):
        applications.add_message(application, ApplicationMessageKind.Answer, "And again.")
    assert _message_count(db_session, application) == 2


@pytest.mark.parametrize("decision", ["approve_application", "decline_application"])
def test_a_question_on_a_decided_application_is_refused(applications, db_session, decision):
    application = OrganizationApplicationFactory.create()
    getattr(applications, decision)(application)
    status = application.status
    before = event_tags(db_session, application)

    with pytest.raises(ApplicationRefused, match=f"This application is already {status}"):
        applications.add_message(application, ApplicationMessageKind.Question, "One more thing?")

    db_session.expire_all()
    assert application.status == status
    assert _message_count(db_session, application) == 0
    assert event_tags(db_session, application) == before


def test_editing_after_approval_is_refused(applications, db_session, actor):
    application = applications.submit_application(actor, **application_details("settled"))
    applications.approve_application(application)

    with pytest.raises(ApplicationRefused, match="this one is approved"):
        applications.edit_application(application, name="unsettled", display_name="Unsettled")

    db_session.expire_all()
    assert (application.name, application.display_name) == ("settled", "New Org")
    organization = db_session.get(Organization, application.organization_id)
    assert organization.name == "settled"
    assert EventTag.OrganizationApplicationEdit not in event_tags(db_session, application)


def test_editing_an_application_waiting_for_review_saves_it(applications, db_session, actor):
    application = applications.submit_application(actor, **application_details("draft"))
    applications.edit_application(application, name="final", display_name="Final")
    db_session.expire_all()
    assert (application.name, application.display_name) == ("final", "Final")
    assert EventTag.OrganizationApplicationEdit in event_tags(db_session, application)


# --- What staff weigh ---------------------------------------------------------------------------


def _aged(db_session, application, days):
    application.submitted = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    db_session.flush()
    return application


def test_the_review_lists_each_application_for_each_reason_in_four_statements(
    applications, db_session, query_recorder
):
    applicant = UserFactory.create()
    application = OrganizationApplicationFactory.create(name="river-tools", submitted_by=applicant)
    # The applicant's own, one of them also competing for the name and so also similar.
    own_rival = _aged(
        db_session,
        OrganizationApplicationFactory.create(name="River.Tools", submitted_by=applicant),
        3,
    )
    own_other = _aged(
        db_session, OrganizationApplicationFactory.create(name="boats", submitted_by=applicant), 1
    )
    rival = _aged(db_session, OrganizationApplicationFactory.create(name="river_tools"), 5)
    declined = OrganizationApplicationFactory.create(name="river-tools", status="declined")
    look_alikes = [OrganizationApplicationFactory.create(name=f"river-tools{n}") for n in range(12)]
    OrganizationFactory.create(name="river-tool")
    OrganizationApplicationFactory.create(name="unrelated")
    db_session.flush()
    with query_recorder:
        review = applications.review(application, 1)
    assert query_recorder.count == 4
    assert review.name_taken is False
    assert review.competing == [rival, own_rival]
    assert review.other_applications == [own_other, own_rival]
    similar = [other for other, _ in review.similar_applications]
    # The same name first (oldest first among equals), then the closest look-alikes: ten.
    assert similar[:3] == [rival, own_rival, declined]
    assert len(similar) == 10
    assert set(similar[3:]) <= set(look_alikes)
    scores = [score for _, score in review.similar_applications]
    assert scores == sorted(scores, reverse=True)
    assert [organization.name for organization, _ in review.similar_organizations] == ["river-tool"]


def test_a_decided_application_has_no_competitors_and_its_name_is_not_asked(
    applications, db_session
):
    OrganizationFactory.create(name="taken-name")
    application = OrganizationApplicationFactory.create(name="taken-name", status="declined")
    OrganizationApplicationFactory.create(name="taken.name")
    review = applications.review(application, 1)
    assert (review.name_taken, review.competing) == (False, [])
    assert applications.name_taken(application) is True


def test_an_undecided_application_whose_name_is_taken_says_so(applications):
    OrganizationFactory.create(name="taken-name")
    application = OrganizationApplicationFactory.create(name="Taken_Name")
    assert applications.review(application, 1).name_taken is True
