"""Organizations tell packaging which team members a project's public page lists."""

from warehouse_orgs.organizations.project_maintainers import opted_in_team_members


def test_the_team_members_source_is_registered_with_packaging(app_config):
    sources = app_config.registry["packaging.project_maintainer_sources"]
    assert opted_in_team_members in sources
