"""Every URL the application answers, in one place (see ARCHITECTURE.md, URL contract)."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("index", "/")
    config.add_route("health", "/_health/")
