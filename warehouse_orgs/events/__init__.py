"""Events: a history table for each model people care about (see models.HasEvents).

A change made through the staff pages (the ``admin.*`` routes) is recorded as a staff action.
Owners and members see that PyPI staff acted, never which staff member or from which address;
``history.HistoryEntry`` is the one place that decides what a reader sees.
"""

from pyramid.config import Configurator
from pyramid.request import Request

STAFF_ROUTE_PREFIX = "admin."


def acting_as_staff(request: Request) -> bool:
    """Whether this request is a staff member acting through the staff pages."""
    route = getattr(request, "matched_route", None)
    return route is not None and route.name.startswith(STAFF_ROUTE_PREFIX)


def includeme(config: Configurator) -> None:
    config.add_request_method(acting_as_staff, name="acting_as_staff", reify=True)
