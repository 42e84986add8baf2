"""The application's routes as Pyramid's introspector knows them, so tests that must cover
every page or every form enumerate the real route table rather than a list kept by hand."""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pyramid.registry import Registry

_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class AppRoute:
    name: str
    pattern: str
    # The request methods its views accept; None in the set means "any method".
    methods: frozenset[str | None]

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.pattern))

    @property
    def answers_get(self) -> bool:
        return "GET" in self.methods or None in self.methods

    @property
    def answers_post(self) -> bool:
        return "POST" in self.methods or None in self.methods

    def path(self, **values: str) -> str:
        """The path with each ``{placeholder}`` replaced by an already-quoted value."""
        path = _PLACEHOLDER.sub(lambda match: values[match.group(1)], self.pattern)
        return path if path.startswith("/") else "/" + path


def _methods(view: Any) -> set[str | None]:
    methods = view["request_methods"]
    if methods is None:
        return {None}
    if isinstance(methods, str):
        return {methods}
    return set(methods)


def app_routes(registry: Registry) -> list[AppRoute]:
    """Every route that has a view, in the order the app registered them (static files are not
    pages and are left out)."""
    routes = []
    for entry in registry.introspector.get_category("routes"):
        route = entry["introspectable"]
        if route["static"] or route["name"].startswith("__"):
            continue
        views = [related for related in entry["related"] if related.category_name == "views"]
        if not views:
            continue
        methods: set[str | None] = set()
        for view in views:
            methods |= _methods(view)
        routes.append(AppRoute(route["name"], route["pattern"], frozenset(methods)))
    return routes


@cache
def production_routes() -> tuple[AppRoute, ...]:
    """The routes of the app as the tests configure it, without the test-only probe views:
    cheap enough to call while pytest collects, since nothing connects to the database."""
    from tests.conftest import TEST_SETTINGS
    from warehouse_orgs.config import configure

    config = configure(
        {**TEST_SETTINGS, "database.url": "postgresql://unused@127.0.0.1/unused"}, environ={}
    )
    config.commit()
    try:
        return tuple(app_routes(config.registry))
    finally:
        config.registry["sqlalchemy.engine"].dispose()
