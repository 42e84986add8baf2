"""Work that runs after the request's transaction commits, and never when it fails.

A task is a plain function ``task(request, *args, **kwargs)`` registered by its feature's
``includeme`` with ``config.register_task(func)``. A view queues it with
``request.enqueue_task(func, *args)``; arguments must be JSON-serialisable, because with
``REDIS_URL`` set they travel to a Celery worker through Redis. Without a broker the task runs in
this process right after the commit, which is what ``make serve`` and the tests use.

Either way the task gets its own request with its own transaction, so what it writes commits or
rolls back on its own.
"""

import datetime
import logging
from collections.abc import Callable
from typing import Any

import transaction
from celery import Celery
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request, apply_request_extensions
from pyramid.threadlocal import RequestContext

logger = logging.getLogger(__name__)

Task = Callable[..., Any]


def task_name(func: Task) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def make_task_request(registry: Registry) -> Request:
    """A request for code running outside HTTP: the app's extensions, its own transaction."""
    request = Request.blank("/", base_url=registry.settings["site.url"])
    request.registry = registry
    apply_request_extensions(request)
    request.tm = transaction.TransactionManager(explicit=True)
    return request


def run_task(registry: Registry, func: Task, args: tuple, kwargs: dict) -> Any:
    request = make_task_request(registry)
    with RequestContext(request):
        try:
            with request.tm:
                return func(request, *args, **kwargs)
        finally:
            request._process_finished_callbacks()


class TaskQueue:
    """Holds the registered tasks and sends queued ones on after commit."""

    def __init__(self, registry: Registry, celery_app: Celery | None) -> None:
        self.registry = registry
        self.celery_app = celery_app
        self.tasks: dict[str, Task] = {}

    def schedule(self, func: Task, every: datetime.timedelta) -> None:
        """Run ``func`` every so often on Celery beat (``celery -A warehouse_orgs.worker beat``).

        Without a broker nothing runs on a timer; the task's CLI command does the same work.
        """
        self.register(func)
        if self.celery_app is not None:
            self.celery_app.conf.beat_schedule[task_name(func)] = {
                "task": task_name(func),
                "schedule": every.total_seconds(),
            }

    def register(self, func: Task) -> None:
        name = task_name(func)
        self.tasks[name] = func
        if self.celery_app is not None:
            # Not shared: another app in the same process (tests) must not see this one's tasks.
            self.celery_app.task(name=name, acks_late=True, ignore_result=True, shared=False)(
                self._celery_entry_point(func)
            )

    def _celery_entry_point(self, func: Task) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            return run_task(self.registry, func, args, kwargs)

        return run

    def enqueue(self, request: Request, func: Task, *args: Any, **kwargs: Any) -> None:
        name = task_name(func)
        if name not in self.tasks:
            raise LookupError(f"{name} is not a registered task; call config.register_task()")
        request.tm.get().addAfterCommitHook(self._after_commit, args=(name, args, kwargs))

    def _after_commit(self, committed: bool, name: str, args: tuple, kwargs: dict) -> None:
        if not committed:
            return
        if self.celery_app is not None:
            self.celery_app.send_task(name, args=args, kwargs=kwargs)
            return
        try:
            run_task(self.registry, self.tasks[name], args, kwargs)
        except Exception:
            # The request's own work has already committed; a failed follow-up is logged with
            # the request id rather than turned into an error page for work that succeeded.
            logger.exception("task %s failed", name)


def make_celery_app(broker_url: str) -> Celery:
    app = Celery("warehouse_orgs", set_as_current=False)
    app.conf.update(
        broker_url=broker_url,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        broker_connection_retry_on_startup=True,
        beat_schedule={},
    )
    return app


def _register_task(config: Configurator, func: Task) -> None:
    config.registry["tasks"].register(func)


def _add_periodic_task(config: Configurator, func: Task, every: datetime.timedelta) -> None:
    config.registry["tasks"].schedule(func, every)


def _enqueue_task(request: Request, func: Task, *args: Any, **kwargs: Any) -> None:
    request.registry["tasks"].enqueue(request, func, *args, **kwargs)


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    broker_url = settings.get("celery.broker_url", settings.get("redis.url"))
    celery_app = make_celery_app(broker_url) if broker_url else None
    config.registry["celery.app"] = celery_app
    config.registry["tasks"] = TaskQueue(config.registry, celery_app)
    config.add_directive("register_task", _register_task)
    config.add_directive("add_periodic_task", _add_periodic_task)
    config.add_request_method(_enqueue_task, name="enqueue_task")
