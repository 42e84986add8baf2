"""Letting other features act before an organization is deleted, and refuse it.

Billing must cancel a deleted Company organization's live subscriptions, but organizations
know nothing of billing: a feature registers ``config.add_organization_deletion_listener``,
and the organization service calls ``before_deletion(request, organization)`` under the
organization's lock, just before the row goes. A listener that cannot do its part raises
``OrganizationError`` with words for the person, and the organization stays.
"""

from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.request import Request

from warehouse_orgs.organizations.models import Organization

DeletionListener = Callable[[Request, Organization], None]
LISTENERS_KEY = "organizations.deletion_listeners"


def before_deletion(request: Request, organization: Organization) -> None:
    for listener in request.registry.get(LISTENERS_KEY, []):
        listener(request, organization)


def _add_organization_deletion_listener(config: Configurator, listener: DeletionListener) -> None:
    config.registry.setdefault(LISTENERS_KEY, []).append(listener)


def includeme(config: Configurator) -> None:
    config.add_directive("add_organization_deletion_listener", _add_organization_deletion_listener)
