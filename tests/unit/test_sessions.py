import datetime

from sqlalchemy import select, text

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in
from warehouse_orgs.sessions import SESSION_COOKIE_NAME, ServerSideSession
from warehouse_orgs.sessions.models import BrowserSession
from warehouse_orgs.sessions.services import DatabaseSessionStore, hash_key
from warehouse_orgs.tasks import make_task_request


def test_flash_messages_queue_and_pop_once():
    session = ServerSideSession()
    session.flash("one")
    session.flash("one", allow_duplicate=False)
    session.flash("bad", queue="error")
    assert session.peek_flash() == ["one"]
    assert session.pop_flash() == ["one"]
    assert session.pop_flash() == []
    assert session.pop_flash("error") == ["bad"]
    assert session.is_changed


def test_rotate_keeps_data_under_a_new_key_and_invalidate_empties():
    session = ServerSideSession({"a": 1}, key="old")
    session.rotate()
    assert session["a"] == 1
    assert session.key is None
    assert session.retired_keys == ["old"]
    session.invalidate()
    assert dict(session) == {}


def test_only_a_hash_of_the_key_is_stored(webtest_app, db_session):
    webtest_app.get("/account/login/")
    key = webtest_app.cookies[SESSION_COOKIE_NAME]
    rows = db_session.scalars(select(BrowserSession.key_hash)).all()
    assert rows == [hash_key(key)]
    assert key not in rows


def test_an_expired_session_is_no_longer_honoured(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create())
    db_session.execute(text("UPDATE browser_sessions SET expires = now() - interval '1 second'"))
    assert webtest_app.get("/manage/account/", status=303).location.startswith(
        "http://localhost/account/login/"
    )


def test_expired_sessions_can_be_purged(app_registry, db_session):
    store = DatabaseSessionStore(make_task_request(app_registry))
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    future = past + datetime.timedelta(hours=1)
    store.request.tm.begin()
    store.save("gone", {"x": 1}, None, past)
    store.save("live", {"x": 2}, None, future)
    assert store.load("gone") is None
    assert store.load("live").data == {"x": 2}
    assert store.purge_expired() == 1
    store.request.tm.commit()
    assert db_session.scalars(select(BrowserSession.key_hash)).all() == [hash_key("live")]


def test_a_page_that_needs_no_session_makes_no_row(webtest_app, db_session):
    webtest_app.get("/")
    webtest_app.get("/_health/")
    assert db_session.scalars(select(BrowserSession)).all() == []


def test_expired_sessions_are_purged_on_a_schedule(app_registry, db_session, make_app_config):
    from warehouse_orgs.sessions.tasks import purge_expired_sessions
    from warehouse_orgs.tasks import run_task

    schedule = (
        make_app_config(**{"celery.broker_url": "memory://"})
        .registry["celery.app"]
        .conf.beat_schedule
    )
    assert schedule["warehouse_orgs.sessions.tasks.purge_expired_sessions"]["schedule"] == 21600

    store = DatabaseSessionStore(make_task_request(app_registry))
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    store.save("old", {}, None, past)
    store.save("new", {}, None, past + datetime.timedelta(hours=2))
    assert run_task(app_registry, purge_expired_sessions, (), {}) == 1
    assert db_session.scalars(select(BrowserSession.key_hash)).all() == [hash_key("new")]
