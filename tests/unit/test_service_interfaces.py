"""Every service the app registers keeps its interface's contract, and offers nothing beyond it.

The services are read from the app's own registrations (pyramid_services records each one in
the introspector), not from a list kept here, so a new service is checked the day it is added.
Views depend on interfaces; a public method an interface does not declare is one a view could
call outside the contract, so it is refused here too.
"""

import inspect
from typing import Any

from zope.interface import Interface, implementedBy
from zope.interface.verify import verifyClass, verifyObject

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory

# Public names an implementation may have without its interface declaring them: the factory
# the registration calls.
NOT_PART_OF_THE_CONTRACT = frozenset({"create_service"})


def registered_services(registry: Any) -> list[tuple[type[Interface], Any, str]]:
    """(interface, context, name) of each pyramid_services registration, in a stable order."""
    found = [
        (intr["type"], intr["context"], intr["name"])
        for intr in (
            entry["introspectable"]
            for entry in registry.introspector.get_category("pyramid_services")
        )
    ]
    return sorted(found, key=lambda entry: (entry[0].__identifier__, entry[2]))


def undeclared_public_methods(implementation: type) -> list[str]:
    """Public methods no interface the class implements declares (a sender that also keeps
    what it sends may declare that in a second interface of its own)."""
    declared = {
        name for interface in implementedBy(implementation).flattened() for name in interface
    }
    undeclared = []
    for name, value in inspect.getmembers(implementation):
        if name.startswith("_") or name in declared or name in NOT_PART_OF_THE_CONTRACT:
            continue
        if isinstance(inspect.getattr_static(implementation, name), property):
            continue
        if callable(value):
            undeclared.append(name)
    return undeclared


def test_every_registered_service_implements_its_interface_and_nothing_more(
    app_registry, db_session
):
    services = registered_services(app_registry)
    # The organizations feature alone registers three; an empty list would prove nothing.
    assert len(services) >= 3, services
    request = service_request(app_registry, db_session, UserFactory.create())

    problems: list[str] = []
    for interface, context, name in services:
        label = f"{interface.__identifier__}{f' name={name!r}' if name else ''}"
        service = request.find_service(interface, context=context, name=name)
        implementation = type(service)
        checks = [(verifyClass, interface, implementation), (verifyObject, interface, service)]
        # Any further interface the class claims must be kept too.
        checks += [(verifyObject, other, service) for other in implementedBy(implementation)]
        for verify, contract, target in checks:
            try:
                verify(contract, target)
            except Exception as error:
                problems.append(f"{label}: {verify.__name__}({contract.__name__}): {error}")
        extra = undeclared_public_methods(implementation)
        if extra:
            problems.append(
                f"{label}: {implementation.__qualname__} has public methods the interface "
                f"does not declare: {', '.join(extra)}"
            )

    assert not problems, "\n".join(problems)


def test_the_team_service_is_among_those_checked(app_registry):
    from warehouse_orgs.organizations.interfaces import ITeamService

    assert ITeamService in {interface for interface, _, _ in registered_services(app_registry)}
