"""/project/<name>/: a project's public page."""

from typing import Any

from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from warehouse_orgs.accounts.models import User
from warehouse_orgs.packaging import MAINTAINERS_SHOWN, project_owner, public_maintainers
from warehouse_orgs.packaging.cache_keys import project_page_key
from warehouse_orgs.packaging.models import Project, Role
from warehouse_orgs.sessions import SESSION_COOKIE_NAME

PUBLIC_MAX_AGE = 60
PROJECT_PAGE_ROUTE = "packaging.project"


def project_page_columns(registry: Registry) -> dict[str, ColumnElement[Any]]:
    """What the page shows besides the project's own columns, read by ``ProjectFactory`` in
    the statement that finds it: the first ``MAINTAINERS_SHOWN`` individual roles (Owners
    first, then in the order they were added, as everywhere), how many there are, and each
    registered owner lookup's and maintainer source's column."""
    shown = (
        select(User.username, Role.role_name, Role.created, Role.id)
        .join(User, User.id == Role.user_id)
        .where(Role.project_id == Project.id)
        .order_by(Role.role_name.desc(), Role.created, Role.id)
        .limit(MAINTAINERS_SHOWN)
        .correlate(Project)
        .subquery()
    )
    in_order = aggregate_order_by(
        func.json_build_array(shown.c.username, shown.c.role_name),
        shown.c.role_name.desc(),
        shown.c.created,
        shown.c.id,
    )
    lookups = registry.get("packaging.project_owner_lookups", [])
    sources = registry.get("packaging.project_maintainer_sources", [])
    return {
        "roles_shown": select(func.json_agg(in_order)).scalar_subquery(),
        "roles_total": (
            select(func.count())
            .select_from(Role)
            .where(Role.project_id == Project.id)
            .correlate(Project)
            .scalar_subquery()
        ),
        **{f"owner_{n}": lookup.column() for n, lookup in enumerate(lookups)},
        **{f"maintainers_{n}": source.column() for n, source in enumerate(sources)},
    }


def _numbered(page: Any, prefix: str, count: int) -> list[Any]:
    return [page[f"{prefix}_{n}"] for n in range(count)]


@view_config(
    route_name=PROJECT_PAGE_ROUTE,
    context=Project,
    renderer="packaging/project.html",
    request_method="GET",
)
def project_detail(project: Project, request: Request) -> Any:
    if request.matchdict["project_name"] != project.name:
        # One URL per project, whatever spelling was typed or linked.
        return HTTPMovedPermanently(
            request.route_path(PROJECT_PAGE_ROUTE, project_name=project.name),
            cache_control=f"public, max-age={PUBLIC_MAX_AGE}",
            headers={"Surrogate-Key": project_page_key(project.normalized_name)},
        )
    if SESSION_COOKIE_NAME in request.cookies:
        # This copy carries the visitor's own header (username, logout token): no shared cache
        # may keep it.
        request.response.cache_control = "private, no-cache"
    else:
        request.response.cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    # Shared caches must not hand a signed-in visitor's copy to anyone else, nor the reverse.
    request.response.vary = ("Cookie",)
    request.response.headers["Surrogate-Key"] = project_page_key(project.normalized_name)
    # The traversal's statement brought everything below (project_page_columns).
    page = request.project_page
    registry = request.registry
    lookups = registry.get("packaging.project_owner_lookups", [])
    sources = registry.get("packaging.project_maintainer_sources", [])
    # People a team reaches the project through, who chose to be named.
    through_features, through_features_total = public_maintainers(
        request, _numbered(page, "maintainers", len(sources))
    )
    roles = page["roles_shown"] or []
    roles_total = page["roles_total"]
    return {
        "project": project,
        "owner": project_owner(request, _numbered(page, "owner", len(lookups))),
        "roles": roles,
        "roles_total": roles_total,
        "public_maintainers": through_features,
        "public_maintainers_total": through_features_total,
        "not_shown": roles_total - len(roles) + through_features_total - len(through_features),
    }
