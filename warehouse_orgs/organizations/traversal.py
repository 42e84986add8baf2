"""Traversal: names and ids in URLs resolve to rows, which carry their ACLs."""

import uuid
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPPermanentRedirect
from pyramid.request import Request
from sqlalchemy import JSON, bindparam, func, literal, select
from sqlalchemy.orm.attributes import set_committed_value

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.interfaces import ITeamService
from warehouse_orgs.organizations.models import (
    NAME_MAX_LENGTH,
    Organization,
    OrganizationApplication,
    OrganizationRole,
    Team,
    select_organization_by_name,
)
from warehouse_orgs.organizations.owner_approval_models import (
    OrganizationOwnerChange,
    OwnerChangeStatus,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.succession_models import HandoverStatus, OrganizationHandover


class OrganizationFactory:
    """``/{organization_name}``: the current name resolves to the organization; another case,
    spelling or a former name answers 308 to the current URL.

    One statement finds the organization and the asker's own role in it (what its ACL needs),
    plus whatever ``page_columns`` a page adds, so no page loads every member to check one.
    """

    def __init__(self, request: Request) -> None:
        self.request = request

    def page_columns(self) -> dict[str, Any]:
        """Values a page needs besides the organization, computed in the same statement from
        ``Organization``'s columns; the page reads them from ``request.organization_page``.
        Built once per factory class: what varies per request is a ``bindparam`` whose value
        ``page_parameters`` gives.

        Every manage page shows its Owners the succession notice (issue 13), so the base
        factory brings what it needs."""
        return {"succession": _succession_notice()}

    def page_parameters(self) -> dict[str, Any]:
        return {}

    def statement_key(self) -> Any:
        """What besides the class decides ``page_columns`` (the badges an app registered)."""
        return None

    def __getitem__(self, name: str) -> Organization:
        if len(name) > NAME_MAX_LENGTH:
            raise KeyError(name)
        user = self.request.user
        statement, labels = self._statement(signed_in=user is not None)
        parameters = {
            "organization_name": name,
            "viewer_id": user.id if user is not None else None,
            **self.page_parameters(),
        }
        row = self.request.db.execute(statement, parameters).one_or_none()
        if row is None:
            raise KeyError(name)
        organization = row[0]
        if name != organization.name:
            matchdict = {**self.request.matchdict, "organization_name": organization.name}
            raise HTTPPermanentRedirect(
                self.request.route_path(
                    self.request.matched_route.name, _query=self.request.GET, **matchdict
                )
            )
        values = row._mapping
        organization.viewer_roles = [
            (uuid.UUID(user_id), role_name) for user_id, role_name in values["viewer_roles"] or ()
        ]
        self.request.organization_page = {label: values[label] for label in labels}
        return organization

    def _statement(self, signed_in: bool) -> tuple[Any, list[str]]:
        # Building a statement costs more than running it on a warm connection; every page of
        # every organization shares one per factory class and kind of visitor.
        key = (type(self), self.statement_key(), signed_in)
        if key not in _STATEMENTS:
            columns = {"viewer_roles": _viewer_roles(signed_in), **self.page_columns()}
            statement = select_organization_by_name(bindparam("organization_name")).add_columns(
                *(column.label(label) for label, column in columns.items())
            )
            _STATEMENTS[key] = (statement, list(columns))
        return _STATEMENTS[key]


_STATEMENTS: dict[tuple[type, Any, bool], tuple[Any, list[str]]] = {}


def _succession_notice() -> Any:
    """The Owner count (from the Owners' partial index), the pending handover, if any (from
    the one-pending index), and how many owner changes wait for a second Owner, as one JSON
    object."""
    owners = (
        select(func.count())
        .where(
            OrganizationRole.organization_id == Organization.id,
            OrganizationRole.role_name == OrganizationRoleType.Owner,
        )
        .scalar_subquery()
    )
    handover = (
        select(
            func.json_build_object(
                "candidate",
                OrganizationHandover.candidate_username,
                "takes_effect_at",
                func.to_char(
                    func.timezone("UTC", OrganizationHandover.takes_effect_at),
                    "YYYY-MM-DD HH24:MI",
                ),
            )
        )
        .where(
            OrganizationHandover.organization_id == Organization.id,
            OrganizationHandover.status == HandoverStatus.Pending,
        )
        .scalar_subquery()
    )
    # Owner changes waiting for a second Owner (from the one-waiting-per-subject index).
    waiting = (
        select(func.count())
        .where(
            OrganizationOwnerChange.organization_id == Organization.id,
            OrganizationOwnerChange.status == OwnerChangeStatus.Waiting,
        )
        .scalar_subquery()
    )
    return func.json_build_object(
        "owners", owners, "handover", handover, "owner_changes_waiting", waiting
    )


def _viewer_roles(signed_in: bool) -> Any:
    """The signed-in person's roles in the organization, as [user id, role name] pairs."""
    if not signed_in:
        return literal(None, JSON)
    pair = func.json_build_array(OrganizationRole.user_id, OrganizationRole.role_name)
    return (
        select(func.json_agg(pair))
        .where(
            OrganizationRole.organization_id == Organization.id,
            OrganizationRole.user_id == bindparam("viewer_id"),
        )
        .scalar_subquery()
    )


class ApplicationFactory:
    def __init__(self, request: Request) -> None:
        self.request = request

    def __getitem__(self, application_id: str) -> Any:
        try:
            key = uuid.UUID(application_id)
        except ValueError:
            raise KeyError(application_id) from None
        application = self.request.db.scalars(
            select(OrganizationApplication).where(OrganizationApplication.id == key)
        ).one_or_none()
        if application is None:
            raise KeyError(application_id)
        return application


def team_factory(request: Request) -> Team:
    """``/manage/organization/{organization_name}/team/{team_name}/...``: the organization as
    ``OrganizationFactory`` resolves it, then its team by the team's normalized name (as the
    database compares them); another spelling answers 308 to the team's current name. The team
    is the context, and its ACL is its organization's.

    A route factory rather than a traversal path, because a team's name may hold a "/", which
    traversal would split in two; the route's pattern takes the name whole."""
    matchdict = request.matchdict or {}
    try:
        organization = OrganizationFactory(request)[matchdict.get("organization_name", "")]
    except KeyError:
        raise HTTPNotFound() from None
    # Whoever may not see the organization's teams is refused alike for every name, so a
    # team's existence tells an outsider nothing.
    allowed = request.has_permission(Permissions.OrganizationTeamsRead, organization)
    if not allowed:
        raise HTTPForbidden(result=allowed)
    name = matchdict.get("team_name", "")
    team = request.find_service(ITeamService).get_team(organization, name)
    if team is None:
        raise HTTPNotFound()
    # The organization as loaded above, with the roles its ACL (and so the team's) reads: the
    # session holds it only weakly, and a lazy load would come without them.
    set_committed_value(team, "organization", organization)
    if name != team.name:
        raise HTTPPermanentRedirect(
            request.route_path(
                request.matched_route.name,
                _query=request.GET,
                **{**matchdict, "team_name": team.name},
            )
        )
    return team
