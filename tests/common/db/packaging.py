import factory

from tests.common.db import ModelFactory
from tests.common.db.accounts import UserFactory
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role


class ProjectFactory(ModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"project-{n}")
    description = ""


class RoleFactory(ModelFactory):
    """An Owner by default; ``RoleFactory(role_name=ProjectRoleName.Maintainer)`` for the other."""

    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    role_name = ProjectRoleName.Owner
