"""The public project page's context does not load the project's roles; its ACL must still say
of everyone what the manage pages' context says (which loads them all)."""

import pytest
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from sqlalchemy import inspect

from tests.common.db.accounts import UserFactory
from tests.common.db.packaging import ProjectFactory, RoleFactory
from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.packaging.models import ProjectFactory as ProjectTraversal
from warehouse_orgs.packaging.models import ProjectRoleName
from warehouse_orgs.tasks import run_task

PERMISSIONS = (Permissions.ProjectsRead, Permissions.ProjectsUpload, Permissions.ProjectsWrite)


class Route:
    def __init__(self, name):
        self.name = name


def _permits(request, route_name, project_name, user_ids):
    request.matched_route = Route(route_name)
    project = ProjectTraversal(request)[project_name]
    roles_loaded_before_asking = "roles" not in inspect(project).unloaded
    acl = ACLHelper()
    permits = {
        (user_id, str(permission)): bool(
            acl.permits(project, [Everyone, Authenticated, user_principal(user_id)], permission)
        )
        for user_id in user_ids
        for permission in PERMISSIONS
    }
    return roles_loaded_before_asking, permits


@pytest.fixture
def people(db_session):
    project = ProjectFactory.create(name="widget")
    owner = RoleFactory.create(project=project, role_name=ProjectRoleName.Owner).user
    maintainer = RoleFactory.create(project=project, role_name=ProjectRoleName.Maintainer).user
    stranger = UserFactory.create()
    return owner.id, maintainer.id, stranger.id


def test_the_public_pages_acl_reads_every_role_when_asked(app_registry, people):
    owner, maintainer, stranger = people
    public_loaded, public = run_task(
        app_registry, _permits, ("packaging.project", "widget", people), {}
    )
    manage_loaded, manage = run_task(
        app_registry, _permits, ("manage.project.settings", "widget", people), {}
    )
    # The public page's statement brought no roles; the manage page's brought them all.
    assert not public_loaded
    assert manage_loaded
    assert public == manage
    assert public == {
        (owner, "projects:read"): True,
        (owner, "projects:upload"): True,
        (owner, "projects:write"): True,
        (maintainer, "projects:read"): True,
        (maintainer, "projects:upload"): True,
        (maintainer, "projects:write"): False,
        (stranger, "projects:read"): False,
        (stranger, "projects:upload"): False,
        (stranger, "projects:write"): False,
    }
