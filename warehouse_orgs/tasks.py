"""Work that runs after the request's transaction commits, and never when it fails.

A task is a plain function ``task(request, *args, **kwargs)`` registered by its feature's
``includeme`` with ``config.register_task(func)``. A view queues it with
``request.enqueue_task(func, *args)``, or ``request.enqueue_task_later(seconds, func, *args)``
to run it that long after the commit; arguments must be JSON-serialisable, because with
``REDIS_URL`` set they travel to a Celery worker through Redis. Without a broker the task runs in
this process right after the commit, which is what ``make serve`` and the tests use.

Either way the task gets its own request with its own transaction, so what it writes commits or
rolls back on its own, and it carries the id of the request that queued it, so its log lines
(on a Celery worker too) can be followed back to that request.

A task marked with ``@retry_on(SomeError)`` that fails with that error is tried again later by
Celery, a few times with growing pauses. Without a broker there is no later: the failure is
logged with the request id and the request's own work stays committed.
"""

import datetime
import logging
import threading
from collections.abc import Callable
from typing import Any

import transaction
from celery import Celery, signals
from celery import Task as CeleryTask
from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request, apply_request_extensions
from pyramid.threadlocal import RequestContext

from warehouse_orgs.request_logging import REQUEST_ID_HEADER, configure_logging, current_request_id

logger = logging.getLogger(__name__)

Task = Callable[..., Any]
# How often Celery tries a failed @retry_on task again, and the first pause (then 2x, 4x, ...).
MAX_RETRIES = 5
DEFAULT_RETRY_DELAY_SECONDS = 60.0
# The originating request's id travels in this Celery message header.
REQUEST_ID_MESSAGE_HEADER = "request_id"


def task_name(func: Task) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def retry_on(*errors: type[BaseException]) -> Callable[[Task], Task]:
    """Mark a task whose failure with one of ``errors`` is passing (a mail server that is down)."""

    def mark(func: Task) -> Task:
        func.retry_on = errors  # type: ignore[attr-defined]
        return func

    return mark


def make_task_request(registry: Registry, request_id: str | None = None) -> Request:
    """A request for code running outside HTTP: the app's extensions, its own transaction."""
    headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
    request = Request.blank("/", base_url=registry.settings["site.url"], headers=headers)
    request.registry = registry
    apply_request_extensions(request)
    request.tm = transaction.TransactionManager(explicit=True)
    return request


def run_task(
    registry: Registry, func: Task, args: tuple, kwargs: dict, request_id: str | None = None
) -> Any:
    """Run ``func`` in a request of its own, under the id of the request that queued it."""
    request = make_task_request(registry, request_id)
    id_token = current_request_id.set(request.id)
    try:
        with RequestContext(request):
            try:
                with request.tm:
                    return func(request, *args, **kwargs)
            finally:
                request._process_finished_callbacks()
    finally:
        current_request_id.reset(id_token)


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
            self.celery_app.task(
                name=name, bind=True, acks_late=True, ignore_result=True, shared=False
            )(self._celery_entry_point(func))

    def _celery_entry_point(self, func: Task) -> Callable[..., Any]:
        retryable: tuple[type[BaseException], ...] = getattr(func, "retry_on", ())
        first_delay = float(
            self.registry.settings.get("tasks.retry_delay_seconds", DEFAULT_RETRY_DELAY_SECONDS)
        )

        def run(celery_task: CeleryTask, *args: Any, **kwargs: Any) -> Any:
            request_id = getattr(celery_task.request, REQUEST_ID_MESSAGE_HEADER, None)
            try:
                return run_task(self.registry, func, args, kwargs, request_id=request_id)
            except retryable as exc:
                attempt = celery_task.request.retries + 1
                token = current_request_id.set(request_id or "-")
                try:
                    if attempt > MAX_RETRIES:
                        logger.error("task %s failed %d times; giving up", task_name(func), attempt)
                        raise
                    delay = first_delay * 2 ** (attempt - 1)
                    logger.warning(
                        "task %s failed (%s); retry %d of %d in %gs",
                        task_name(func),
                        exc,
                        attempt,
                        MAX_RETRIES,
                        delay,
                    )
                finally:
                    current_request_id.reset(token)
                # The message keeps its headers, so the retry still carries the request id.
                raise celery_task.retry(exc=exc, countdown=delay, max_retries=MAX_RETRIES) from exc

        return run

    def enqueue(
        self, request: Request, func: Task, *args: Any, delay_seconds: float = 0, **kwargs: Any
    ) -> None:
        """Run ``func`` after the request's transaction commits, ``delay_seconds`` later."""
        name = task_name(func)
        if name not in self.tasks:
            raise LookupError(f"{name} is not a registered task; call config.register_task()")
        request.tm.get().addAfterCommitHook(
            self._after_commit,
            args=(name, args, kwargs, current_request_id.get(), delay_seconds),
        )

    def _after_commit(
        self,
        committed: bool,
        name: str,
        args: tuple,
        kwargs: dict,
        request_id: str,
        delay_seconds: float,
    ) -> None:
        if not committed:
            return
        if self.celery_app is not None:
            self.celery_app.send_task(
                name,
                args=args,
                kwargs=kwargs,
                headers={REQUEST_ID_MESSAGE_HEADER: request_id},
                countdown=delay_seconds or None,
            )
            return
        if delay_seconds:
            # No broker to hold it: a timer of this process runs it (lost if the process stops
            # first, as any work of a development server is).
            timer = threading.Timer(
                delay_seconds, self._run_here, args=(name, args, kwargs, request_id)
            )
            timer.daemon = True
            timer.start()
            return
        self._run_here(name, args, kwargs, request_id)

    def _run_here(self, name: str, args: tuple, kwargs: dict, request_id: str) -> None:
        try:
            run_task(self.registry, self.tasks[name], args, kwargs, request_id=request_id)
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


@signals.setup_logging.connect(weak=False, dispatch_uid="warehouse_orgs.tasks.setup_logging")
def _celery_uses_our_logging(**kwargs: Any) -> None:
    """A Celery worker logs like the web app, with request ids and without tokens. Answering
    this signal makes Celery leave the root logger's handlers alone instead of replacing them."""
    configure_logging()


def _register_task(config: Configurator, func: Task) -> None:
    config.registry["tasks"].register(func)


def _add_periodic_task(config: Configurator, func: Task, every: datetime.timedelta) -> None:
    config.registry["tasks"].schedule(func, every)


def _enqueue_task(request: Request, func: Task, *args: Any, **kwargs: Any) -> None:
    request.registry["tasks"].enqueue(request, func, *args, **kwargs)


def _enqueue_task_later(
    request: Request, delay_seconds: float, func: Task, *args: Any, **kwargs: Any
) -> None:
    request.registry["tasks"].enqueue(request, func, *args, delay_seconds=delay_seconds, **kwargs)


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    broker_url = settings.get("celery.broker_url", settings.get("redis.url"))
    celery_app = make_celery_app(broker_url) if broker_url else None
    config.registry["celery.app"] = celery_app
    config.registry["tasks"] = TaskQueue(config.registry, celery_app)
    config.add_directive("register_task", _register_task)
    config.add_directive("add_periodic_task", _add_periodic_task)
    config.add_request_method(_enqueue_task, name="enqueue_task")
    config.add_request_method(_enqueue_task_later, name="enqueue_task_later")
