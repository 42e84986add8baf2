"""Telling other features that the number of people in an organization may have changed.

Billing charges per seat (everyone with a role), but organizations know nothing of billing:
a feature registers ``config.add_seat_change_listener(listener)``, and the membership service
calls ``seats_changed(request, organization)`` after every change that adds or removes a role.
A listener must not fail the change: it queues its work for after the commit.
"""

from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.request import Request

from warehouse_orgs.organizations.models import Organization

SeatChangeListener = Callable[[Request, Organization], None]
LISTENERS_KEY = "organizations.seat_change_listeners"


def seats_changed(request: Request, organization: Organization) -> None:
    for listener in request.registry.get(LISTENERS_KEY, []):
        listener(request, organization)


def _add_seat_change_listener(config: Configurator, listener: SeatChangeListener) -> None:
    config.registry.setdefault(LISTENERS_KEY, []).append(listener)


def includeme(config: Configurator) -> None:
    config.add_directive("add_seat_change_listener", _add_seat_change_listener)
