"""Which kind of deployment this is. Kept apart from ``config`` (which assembles the whole app)
so that the pieces it assembles can ask without importing the assembly."""

import enum

from pyramid.registry import Registry


class Environment(enum.StrEnum):
    production = "production"
    development = "development"


def is_production(registry: Registry) -> bool:
    return registry.settings["warehouse_orgs.env"] == Environment.production


def is_development(registry: Registry) -> bool:
    return registry.settings["warehouse_orgs.env"] == Environment.development
