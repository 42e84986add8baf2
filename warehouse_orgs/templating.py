"""Jinja2 for pages: one search path (templates/), strict undefined, autoescaping on."""

from pyramid.config import Configurator

from warehouse_orgs.forms import error_summary
from warehouse_orgs.labels import label
from warehouse_orgs.paths import TEMPLATES_DIR


def includeme(config: Configurator) -> None:
    config.add_jinja2_renderer(".html")
    config.add_jinja2_search_path(str(TEMPLATES_DIR), name=".html")

    def add_globals() -> None:
        environment = config.get_jinja2_environment(".html")
        environment.globals["site_environment"] = str(
            config.registry.settings["warehouse_orgs.env"]
        )
        environment.globals["error_summary"] = error_summary
        environment.filters["label"] = label

    # The environment exists only once pyramid_jinja2's own actions have run.
    config.action(None, add_globals, order=999)
