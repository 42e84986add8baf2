"""Grows the permission world (tests/common/permission_world.py) to PyPI's scale in a few
set-based INSERTs, so a test can ask whether a page does the same work with one row behind it
as with ten thousand.

Everything is written with ``INSERT ... SELECT generate_series`` on the world's connection (no
ORM objects, no round trip per row), inside the caller's transaction, and is undone with it.
What grows is what the pages list or count:

- each of the world's organizations: ``rows`` Members (new accounts), each on the
  organization's team, ``rows`` pending invitations to other new accounts, ``rows`` projects it
  owns (each granted to its team), and ``rows`` events on the organization and on its team;
- each of the world's projects: ``rows`` collaborators and ``rows`` events;
- each of ``people`` (the accounts the pages are asked as or about): a Member role in ``rows``
  other organizations, a pending invitation from ``rows`` more, ``rows`` projects they own
  alone, ``rows`` decided applications and ``rows`` events on their account;
- the review queue: ``rows`` pending applications from the new Members, and ``rows`` events and
  messages on the application the pages are asked about;
- sponsors: ``rows`` active PSF sponsors, ``rows`` inquiries, and ``rows`` events on the
  world's sponsor, level and inquiry.

Every event names one of the new accounts as its actor, so a history that looked each actor up
alone would show it.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from tests.common.permission_world import World, fresh

# More than SQLAlchemy's selectin batch of 500, so a relationship loaded in batches shows.
ROWS = 10_000

# Tags whose sentences read only what ``additional`` holds below (events/tags.py).
ORGANIZATION_EVENT = "organization:details:change"
TEAM_EVENT = "team:team_role:add"
PROJECT_EVENT = "project:role:add"
USER_EVENT = "account:name:change"
APPLICATION_EVENT = "organization_application:note"
SPONSOR_EVENT = "sponsor:update"
LEVEL_EVENT = "sponsor_level:update"
INQUIRY_EVENT = "sponsor_inquiry:update"


def _ids(values: Iterable[Any]) -> list[uuid.UUID]:
    return [value.id for value in values]


def grow(connection: Connection, world: World, people: Iterable[Any], rows: int = ROWS) -> None:
    """Add ``rows`` of everything listed above to ``world`` (already flushed)."""
    tag = fresh("bulk") + "-"
    kinds = list(world.organizations)
    params: dict[str, Any] = {
        "rows": rows,
        "tag": tag,
        "organizations": _ids(world.organizations[kind] for kind in kinds),
        "teams": _ids(world.teams[kind] for kind in kinds),
        "projects": _ids(world.projects.values()),
        "people": _ids(people),
        "inviter": world.co_owner.id,
    }

    def run(sql: str, **extra: Any) -> None:
        connection.execute(text(sql), {**params, **extra})

    # These inserts go from a handful of rows to tens of thousands inside one transaction, so
    # no statistics describe them, and plans made for the small world stay cached on this
    # connection (foreign-key checks are plans too). A plan that scans a table once per new
    # row ran past the 30 s statement timeout in CI now and then. Index look-ups are what
    # production plans with fresh statistics: ask for them while growing, and make every plan
    # anew; the ANALYZE at the end gives the pages real statistics.
    connection.execute(text("SET enable_seqscan = off"))
    connection.execute(text("DISCARD PLANS"))

    # The new accounts: Members of every world organization (and its team), and invitees.
    run(
        """
        INSERT INTO users (username, name, password)
        SELECT :tag || kind || n, 'Bulk ' || kind || n, '!'
        FROM generate_series(1, :rows) AS n, unnest(ARRAY['m', 'i']) AS kind
        """
    )
    run(
        """
        WITH roles AS (
            INSERT INTO organization_roles (role_name, user_id, organization_id)
            SELECT 'Member', users.id, organization.id
            FROM users, unnest(CAST(:organizations AS uuid[])) AS organization(id)
            WHERE users.username LIKE :tag || 'm%'
            RETURNING id, organization_id, role_name
        )
        INSERT INTO team_roles (team_id, organization_role_id, organization_id,
                                organization_role_name)
        SELECT teams.id, roles.id, roles.organization_id, roles.role_name
        FROM roles JOIN teams ON teams.organization_id = roles.organization_id
        WHERE teams.id = ANY(CAST(:teams AS uuid[]))
        """
    )
    run(
        """
        INSERT INTO organization_invitations (organization_id, user_id, invited_by_id,
                                              role_name, token_hash, expires_at)
        SELECT organization.id, users.id, :inviter, 'Member',
               md5(organization.id::text || users.id::text), now() + interval '7 days'
        FROM users, unnest(CAST(:organizations AS uuid[])) AS organization(id)
        WHERE users.username LIKE :tag || 'i%'
        """
    )
    # Each world organization's projects, granted to its team.
    run(
        """
        WITH organization AS (
            SELECT id, ordinality FROM unnest(CAST(:organizations AS uuid[]))
                WITH ORDINALITY AS organization(id, ordinality)
        ), made AS (
            INSERT INTO projects (name)
            SELECT :tag || 'o' || organization.ordinality || '-' || n
            FROM organization, generate_series(1, :rows) AS n
            RETURNING id, name
        ), placed AS (
            INSERT INTO organization_projects (organization_id, project_id)
            SELECT organization.id, made.id
            FROM made JOIN organization
                ON made.name LIKE :tag || 'o' || organization.ordinality || '-%'
            RETURNING organization_id, project_id
        )
        INSERT INTO team_project_roles (team_id, project_id, role_name)
        SELECT teams.id, placed.project_id, 'Maintainer'
        FROM placed JOIN teams ON teams.organization_id = placed.organization_id
        WHERE teams.id = ANY(CAST(:teams AS uuid[]))
        """
    )
    # Collaborators on each world project.
    run(
        """
        INSERT INTO project_roles (role_name, user_id, project_id)
        SELECT 'Maintainer', users.id, project.id
        FROM users, unnest(CAST(:projects AS uuid[])) AS project(id)
        WHERE users.username LIKE :tag || 'm%'
        """
    )
    # The people's own organizations, invitations, projects and applications.
    run(
        """
        INSERT INTO organizations (name, display_name, orgtype, link_url, description)
        SELECT :tag || kind || n, 'Bulk organization ' || n, 'Community',
               'https://example.com/', 'Made by tests/common/large_world.py.'
        FROM generate_series(1, :rows) AS n, unnest(ARRAY['member-of-', 'inviting-']) AS kind
        """
    )
    run(
        """
        INSERT INTO organization_name_catalog (normalized_name, organization_id)
        SELECT normalized_name, id FROM organizations WHERE name LIKE :tag || '%'
        """
    )
    # The roles' statement-level trigger joins the new roles to organizations to keep their
    # member counts: statistics that count this transaction's organizations.
    connection.execute(text("ANALYZE organizations"))
    run(
        """
        INSERT INTO organization_roles (role_name, user_id, organization_id)
        SELECT 'Member', person.id, organizations.id
        FROM organizations, unnest(CAST(:people AS uuid[])) AS person(id)
        WHERE organizations.name LIKE :tag || 'member-of-%'
        """
    )
    run(
        """
        INSERT INTO organization_invitations (organization_id, user_id, invited_by_id,
                                              role_name, token_hash, expires_at)
        SELECT organizations.id, person.id, :inviter, 'Member',
               md5(organizations.id::text || person.id::text), now() + interval '7 days'
        FROM organizations, unnest(CAST(:people AS uuid[])) AS person(id)
        WHERE organizations.name LIKE :tag || 'inviting-%'
        """
    )
    run(
        """
        WITH person AS (
            SELECT id, ordinality FROM unnest(CAST(:people AS uuid[]))
                WITH ORDINALITY AS person(id, ordinality)
        ), made AS (
            INSERT INTO projects (name)
            SELECT :tag || 'u' || person.ordinality || '-' || n
            FROM person, generate_series(1, :rows) AS n
            RETURNING id, name
        )
        INSERT INTO project_roles (role_name, user_id, project_id)
        SELECT 'Owner', person.id, made.id
        FROM made JOIN person ON made.name LIKE :tag || 'u' || person.ordinality || '-%'
        """
    )
    run(
        """
        INSERT INTO organization_applications (name, display_name, orgtype, link_url,
                                               description, submitted_by_id, status, submitted)
        SELECT :tag || 'declined-' || person.ordinality || '-' || n, 'Declined ' || n,
               'Community', 'https://example.com/', 'Declined long ago.', person.id,
               'declined', now() - n * interval '1 minute'
        FROM unnest(CAST(:people AS uuid[])) WITH ORDINALITY AS person(id, ordinality),
             generate_series(1, :rows) AS n
        """
    )
    # The review queue: one pending application from each new Member.
    run(
        """
        INSERT INTO organization_applications (name, display_name, orgtype, link_url,
                                               description, submitted_by_id, submitted)
        SELECT users.username || '-applies', 'Pending ' || users.username, 'Company',
               'https://example.com/', 'Waiting for review.', users.id,
               now() - interval '1 day' + row_number() OVER () * interval '1 second'
        FROM users WHERE users.username LIKE :tag || 'm%'
        """
    )
    application = world.applications["non-member"].id
    run(
        """
        INSERT INTO organization_application_messages (application_id, kind, body, author_id,
                                                       created)
        SELECT :application, 'note', 'Note ' || users.username, users.id,
               now() - interval '2 days' + row_number() OVER () * interval '1 second'
        FROM users WHERE users.username LIKE :tag || 'm%'
        """,
        application=application,
    )
    # Histories: every event's actor is a different new account.
    histories = [
        ("organization_events", "organizations", ORGANIZATION_EVENT, params["organizations"]),
        ("team_events", "teams", TEAM_EVENT, params["teams"]),
        ("project_events", "projects", PROJECT_EVENT, params["projects"]),
        ("user_events", "people", USER_EVENT, params["people"]),
        ("organization_application_events", "application", APPLICATION_EVENT, [application]),
        ("sponsor_events", "sponsor", SPONSOR_EVENT, [world.sponsor.id]),
        ("sponsor_level_events", "level", LEVEL_EVENT, [world.sponsor_level.id]),
        ("sponsor_inquiry_events", "inquiry", INQUIRY_EVENT, [world.sponsor_inquiry.id]),
    ]
    # The table names are the constants above, never input.
    for table, _, event_tag, sources in histories:
        run(
            f"""
            INSERT INTO {table} (source_id, tag, time, actor_id, additional)
            SELECT source.id, :event_tag, now() - interval '3 days'
                       + row_number() OVER () * interval '1 second',
                   users.id,
                   jsonb_build_object(
                       'actor', users.username, 'username', users.username,
                       'role_name', 'Maintainer', 'team', 'Bulk team',
                       'name', users.name, 'fields', jsonb_build_array('description'),
                       'status', 'contacted', 'company', 'Bulk Company')
            FROM users, unnest(CAST(:sources AS uuid[])) AS source(id)
            WHERE users.username LIKE :tag || 'm%'
            """,
            event_tag=event_tag,
            sources=sources,
        )
    # Sponsors and inquiries.
    run(
        """
        INSERT INTO sponsors (name, slug, link_url, color_logo_url, psf_sponsor, level_name)
        SELECT 'Bulk Sponsor ' || n, :tag || 'sponsor-' || n, 'https://example.com/',
               'https://example.com/logo.png', true, 'Bulk'
        FROM generate_series(1, :rows) AS n
        """
    )
    run(
        """
        INSERT INTO sponsor_inquiries (company, contact_name, contact_email, message, created)
        SELECT 'Bulk Company ' || n, 'Contact ' || n, 'contact' || n || '@example.com',
               'We would like to sponsor.', now() - n * interval '1 minute'
        FROM generate_series(1, :rows) AS n
        """
    )
    # What autovacuum does in production after a change this size: fresh statistics. Without
    # them the planner believes tables it last saw empty still are, and a join it would answer
    # from an index becomes a scan per row (minutes instead of milliseconds).
    connection.execute(text("RESET enable_seqscan"))
    connection.execute(text("ANALYZE"))
    connection.execute(text("DISCARD PLANS"))
