"""Facts another feature adds to staff review of an application, without organizations
importing that feature.

A feature registers ``config.add_application_review_fact(name, fact)``: ``fact(application)``
returns a SQL expression of one value (or None to add nothing for this application). The review
reads it in the statement that reads its other one-row facts, so a fact costs no statement of
its own, and hands the value back in ``ApplicationReview.extra_facts[name]`` for the feature's
own code to interpret on the page.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyramid.config import Configurator
from pyramid.registry import Registry

if TYPE_CHECKING:
    from warehouse_orgs.organizations.models import OrganizationApplication

REGISTRY_KEY = "organizations.application_review_facts"

ReviewFact = Callable[["OrganizationApplication"], Any]


def review_facts(registry: Registry) -> dict[str, ReviewFact]:
    return registry.get(REGISTRY_KEY, {})


def _add_application_review_fact(config: Configurator, name: str, fact: ReviewFact) -> None:
    facts = config.registry.setdefault(REGISTRY_KEY, {})
    if name in facts:
        raise ValueError(f"an application review fact named {name!r} is registered already")
    facts[name] = fact


def includeme(config: Configurator) -> None:
    config.registry.setdefault(REGISTRY_KEY, {})
    config.add_directive("add_application_review_fact", _add_application_review_fact)
