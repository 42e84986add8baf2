import threading

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import text

from warehouse_orgs.email import send_email
from warehouse_orgs.tasks import make_task_request, run_task, task_name


def record_call(request, value, *, seen):
    seen.append((value, request.db.execute(text("SELECT 1")).scalar()))


def test_task_names_are_their_dotted_paths():
    assert task_name(record_call) == "tests.unit.test_tasks.record_call"


def test_unregistered_task_cannot_be_queued(app_registry):
    request = make_task_request(app_registry)
    request.tm.begin()
    with pytest.raises(LookupError, match="not a registered task"):
        request.enqueue_task(record_call, 1, seen=[])
    request.tm.abort()


def test_a_failing_task_is_logged_and_does_not_undo_the_commit(app_registry, caplog):
    def explode(request):
        raise ValueError("the task broke")

    registry_tasks = app_registry["tasks"]
    registry_tasks.tasks[task_name(explode)] = explode
    try:
        request = make_task_request(app_registry)
        with request.tm:
            request.enqueue_task(explode)
    finally:
        del registry_tasks.tasks[task_name(explode)]
    (record,) = [r for r in caplog.records if r.name == "warehouse_orgs.tasks"]
    assert record.getMessage() == f"task {task_name(explode)} failed"


def test_run_task_commits_its_own_transaction(app_registry):
    seen: list = []
    run_task(app_registry, record_call, ("x",), {"seen": seen})
    assert seen == [("x", 1)]


def test_with_a_broker_tasks_go_through_celery_after_commit(make_app_config, tmp_path):
    """With a broker configured, the task leaves through Celery and a worker runs it.

    Celery's in-memory transport stands in for Redis here so the test needs no Redis server;
    the code path (send_task, a worker consuming it, run_task) is the same.
    """
    config = make_app_config(**{"celery.broker_url": "memory://", "mail.path": str(tmp_path)})
    registry = config.registry
    celery_app = registry["celery.app"]
    assert celery_app is not None

    delivered = threading.Event()
    request = make_task_request(registry)
    with request.tm:
        send_email(request, "mail-check", "ops@example.com")
        # Nothing reaches the broker before the commit.
        assert not list(tmp_path.glob("*.eml"))

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for _ in range(100):
            if list(tmp_path.glob("*.eml")):
                delivered.set()
                break
            threading.Event().wait(0.05)
    assert delivered.is_set(), "the Celery worker never delivered the mail"


def test_invitation_expiry_is_on_the_celery_beat_schedule(make_app_config):
    config = make_app_config(**{"celery.broker_url": "memory://"})
    schedule = config.registry["celery.app"].conf.beat_schedule
    entry = schedule["warehouse_orgs.organizations.tasks.expire_organization_invitations"]
    assert entry["schedule"] == 3600
    assert entry["task"] in config.registry["celery.app"].tasks


def test_a_task_queued_for_later_runs_that_long_after_the_commit(app_registry):
    seen: list = []
    ran = threading.Event()

    def remember(request, value):
        seen.append(value)
        ran.set()

    registry_tasks = app_registry["tasks"]
    registry_tasks.tasks[task_name(remember)] = remember
    try:
        request = make_task_request(app_registry)
        with request.tm:
            request.enqueue_task_later(0.3, remember, "later")
        # Committed, but not yet due.
        assert seen == []
        assert ran.wait(5), "the delayed task never ran"
    finally:
        del registry_tasks.tasks[task_name(remember)]
    assert seen == ["later"]


DELIVERED_LATER: list[str] = []


def deliver_later(request, value):
    DELIVERED_LATER.append(value)


def test_with_a_broker_a_task_for_later_waits_on_celery(make_app_config):
    config = make_app_config(**{"celery.broker_url": "memory://"})
    registry = config.registry
    registry["tasks"].register(deliver_later)
    DELIVERED_LATER.clear()
    request = make_task_request(registry)
    with request.tm:
        request.enqueue_task_later(1.0, deliver_later, "through celery")
    with start_worker(
        registry["celery.app"], pool="solo", perform_ping_check=False, shutdown_timeout=10
    ):
        threading.Event().wait(0.4)
        # The worker has the message, and holds it until it is due.
        assert DELIVERED_LATER == []
        for _ in range(100):
            if DELIVERED_LATER:
                break
            threading.Event().wait(0.05)
    assert DELIVERED_LATER == ["through celery"]
