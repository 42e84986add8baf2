"""The member and project counts, and the project names organization_projects keeps, are
kept by the database's triggers whatever writes the rows: the ORM, a bulk INSERT ... SELECT,
a cascade from a deleted account or organization, a project moved between organizations."""

from sqlalchemy import select, text

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from warehouse_orgs.organizations.models import Organization, OrganizationProject, OrganizationRole
from warehouse_orgs.packaging.models import Project


def counts(db_session, *organizations):
    """What the database holds now, and what counting the rows says it should hold."""
    db_session.flush()
    ids = [organization.id for organization in organizations]
    kept = db_session.execute(
        select(Organization.id, Organization.member_count, Organization.project_count)
        .where(Organization.id.in_(ids))
        .execution_options(populate_existing=True)
    ).all()
    counted = db_session.execute(
        text(
            "SELECT o.id,"
            " (SELECT count(*) FROM organization_roles r WHERE r.organization_id = o.id),"
            " (SELECT count(*) FROM organization_projects p WHERE p.organization_id = o.id)"
            " FROM organizations o WHERE o.id = ANY(:ids)"
        ),
        {"ids": ids},
    ).all()
    assert sorted(kept) == sorted(counted)
    by_id = {row[0]: (row[1], row[2]) for row in kept}
    return [by_id[organization_id] for organization_id in ids]


def test_members_and_projects_added_one_at_a_time_and_removed(db_session):
    organization = OrganizationFactory.create()
    assert counts(db_session, organization) == [(0, 0)]
    roles = OrganizationRoleFactory.create_batch(3, organization=organization)
    links = OrganizationProjectFactory.create_batch(2, organization=organization)
    assert counts(db_session, organization) == [(3, 2)]

    db_session.delete(roles[0])
    # A project leaves only with an Owner of its own (the database's owner rule).
    RoleFactory.create(project=db_session.get(Project, links[0].project_id), role_name="Owner")
    db_session.delete(links[0])
    assert counts(db_session, organization) == [(2, 1)]


def test_a_new_role_name_changes_no_count(db_session):
    organization = OrganizationFactory.create()
    role = OrganizationRoleFactory.create(organization=organization, role_name="Member")
    role.role_name = "Manager"
    assert counts(db_session, organization) == [(1, 0)]


def test_a_bulk_insert_counts_every_row_once(db_session):
    first, second = OrganizationFactory.create(), OrganizationFactory.create()
    db_session.flush()
    db_session.execute(
        text(
            "INSERT INTO users (username, password)"
            " SELECT 'bulk-' || n, '!' FROM generate_series(1, 250) AS n"
        )
    )
    db_session.execute(
        text(
            "INSERT INTO organization_roles (role_name, user_id, organization_id)"
            " SELECT 'Member', u.id, CASE WHEN right(u.username, 1) IN ('0', '5')"
            " THEN CAST(:second AS uuid) ELSE CAST(:first AS uuid) END"
            " FROM users u WHERE u.username LIKE 'bulk-%'"
        ),
        {"first": first.id, "second": second.id},
    )
    assert counts(db_session, first, second) == [(200, 0), (50, 0)]


def test_a_project_moved_between_organizations_counts_in_its_new_one(db_session):
    source, target = OrganizationFactory.create(), OrganizationFactory.create()
    link = OrganizationProjectFactory.create(organization=source)
    OrganizationProjectFactory.create(organization=source)
    assert counts(db_session, source, target) == [(0, 2), (0, 0)]
    link.organization_id = target.id
    assert counts(db_session, source, target) == [(0, 1), (0, 1)]


def test_a_deleted_account_leaves_every_organization_it_was_in(db_session):
    user = UserFactory.create()
    first, second = OrganizationFactory.create(), OrganizationFactory.create()
    for organization in (first, second):
        OrganizationRoleFactory.create(organization=organization)
        OrganizationRoleFactory.create(organization=organization, user=user)
    assert counts(db_session, first, second) == [(2, 0), (2, 0)]
    db_session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    assert counts(db_session, first, second) == [(1, 0), (1, 0)]


def test_a_deleted_organization_takes_its_rows_without_error(db_session):
    organization = OrganizationFactory.create()
    OrganizationRoleFactory.create_batch(2, organization=organization)
    link = OrganizationProjectFactory.create(organization=organization)
    # Its project leaves with it, with an Owner of its own (the database's owner rule).
    RoleFactory.create(project=db_session.get(Project, link.project_id), role_name="Owner")
    other = OrganizationFactory.create()
    OrganizationRoleFactory.create(organization=other)
    db_session.flush()
    db_session.execute(text("DELETE FROM organizations WHERE id = :id"), {"id": organization.id})
    assert counts(db_session, other) == [(1, 0)]


def test_an_organization_project_keeps_its_projects_name_through_renames(db_session):
    project = ProjectFactory.create(name="Old_Name")
    link = OrganizationProjectFactory.create(project=project)
    db_session.flush()

    def kept():
        return db_session.scalar(
            select(OrganizationProject.project_normalized_name).where(
                OrganizationProject.id == link.id
            )
        )

    assert kept() == "old-name"
    project.name = "New.Name"
    db_session.flush()
    assert kept() == "new-name"
    other = ProjectFactory.create(name="other")
    db_session.flush()
    db_session.execute(
        text("UPDATE organization_projects SET project_id = :other WHERE id = :id"),
        {"other": other.id, "id": link.id},
    )
    assert kept() == "other"


def test_an_organization_role_keeps_its_members_username_through_renames(db_session):
    # The people page lists members in the order of this copy; a stale one would misplace them.
    user = UserFactory.create(username="Carol")
    role = OrganizationRoleFactory.create(user=user)
    bulk = OrganizationFactory.create()
    db_session.flush()
    db_session.execute(
        text(
            "INSERT INTO organization_roles (organization_id, user_id, role_name)"
            " VALUES (:organization, :user, 'Member')"
        ),
        {"organization": bulk.id, "user": user.id},
    )

    def kept():
        return db_session.scalars(
            select(OrganizationRole.member_username)
            .where(OrganizationRole.user_id == user.id)
            .order_by(OrganizationRole.organization_id)
        ).all()

    assert kept() == ["Carol", "Carol"]
    user.username = "Caroline"
    db_session.flush()
    assert kept() == ["Caroline", "Caroline"]
    other = UserFactory.create(username="dave")
    db_session.flush()
    db_session.execute(
        text("UPDATE organization_roles SET user_id = :other WHERE id = :id"),
        {"other": other.id, "id": role.id},
    )
    moved = db_session.scalar(
        select(OrganizationRole.member_username).where(OrganizationRole.id == role.id)
    )
    assert (moved, kept()) == ("dave", ["Caroline"])
