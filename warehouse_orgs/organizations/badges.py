"""Badges another feature shows beside an organization on its public page (and, when the
directory reads them, in the directory), without organizations importing that feature.

A feature registers ``config.add_organization_badge(name, kind, column)``: ``column()`` returns
a SQL expression, correlated to ``Organization``, whose value is JSON text of the badge words
(``'["example.org"]'``, ``'[]'`` for none). The page adds it to the one statement that finds the
organization, so badges cost no statement of their own, and its ETag covers the text, so a
badge that appears or goes changes the tag. The feature purges the page's surrogate key when
its badges change (``config.register_origin_cache_keys``).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry

REGISTRY_KEY = "organizations.badges"


@dataclass(frozen=True)
class BadgeSource:
    # The statement's column label is ``badges_<name>``.
    name: str
    # What the words are, read before them by screen readers and shown as the badge's title
    # ("Verified domain").
    kind: str
    column: Callable[[], Any]

    @property
    def label(self) -> str:
        return f"badges_{self.name}"


@dataclass(frozen=True)
class Badge:
    kind: str
    text: str


def badge_sources(registry: Registry) -> tuple[BadgeSource, ...]:
    return tuple(registry.get(REGISTRY_KEY, ()))


def badges_of(sources: tuple[BadgeSource, ...], values: dict[str, Any]) -> list[Badge]:
    """The badges a row of the page's statement holds, source by source."""
    return [
        Badge(source.kind, str(text))
        for source in sources
        for text in json.loads(values.get(source.label) or "[]")
    ]


def _add_organization_badge(
    config: Configurator, name: str, kind: str, column: Callable[[], Any]
) -> None:
    sources = config.registry.setdefault(REGISTRY_KEY, [])
    if any(source.name == name for source in sources):
        raise ValueError(f"an organization badge named {name!r} is registered already")
    sources.append(BadgeSource(name, kind, column))


def includeme(config: Configurator) -> None:
    config.registry.setdefault(REGISTRY_KEY, [])
    config.add_directive("add_organization_badge", _add_organization_badge)
