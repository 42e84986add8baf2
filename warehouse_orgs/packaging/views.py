"""/project/<name>/: a project's public page."""

from typing import Any

from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.request import Request
from pyramid.view import view_config

from warehouse_orgs.packaging import project_owner, public_maintainers
from warehouse_orgs.packaging.cache_keys import project_page_key
from warehouse_orgs.packaging.models import Project
from warehouse_orgs.sessions import SESSION_COOKIE_NAME

PUBLIC_MAX_AGE = 60


@view_config(
    route_name="packaging.project",
    context=Project,
    renderer="packaging/project.html",
    request_method="GET",
)
def project_detail(project: Project, request: Request) -> Any:
    if request.matchdict["project_name"] != project.name:
        # One URL per project, whatever spelling was typed or linked.
        return HTTPMovedPermanently(
            request.route_path("packaging.project", project_name=project.name),
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
    return {
        "project": project,
        "owner": project_owner(request, project),
        # People a team reaches the project through, who chose to be named.
        "public_maintainers": public_maintainers(request, project),
    }
