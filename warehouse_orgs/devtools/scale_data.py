"""A database at PyPI's scale, built in seconds with set-based SQL, for ``make bench`` and for
tests that must hold a page's cost on large data.

``build_scale_data(connection, sizes)`` fills a database migrated to head (and otherwise empty)
inside the caller's transaction, with one ``INSERT ... SELECT generate_series`` per table: no
ORM objects, no services, so ten thousand organizations take seconds, not hours. The rows are
what the app itself would leave: names that pass the CHECKs and normalize as the database
does, every organization in the name catalog with an Owner, every project with an Owner,
users with a verified primary email and two-factor authentication, team members that are
members of the team's organization, events whose details name what they are about.

Ids are derived from a row's number (``md5('bench-org:' || n)::uuid``), so a later statement
refers to organization ``n`` without looking it up. Names are fixed, so a benchmark or a test
knows its pages' URLs in advance:

- ``bench-big``: the one organization with ``big_organization_members`` members and
  ``big_organization_projects`` projects;
- ``bench-org-1`` … ``bench-org-<organizations - 1>``: the typical organizations, members and
  ``projects_per_organization`` projects spread evenly over them;
- ``bench-project-<n>``: projects, the big organization's first, then the typical ones', then
  projects of no organization;
- ``bench-owner``: an Owner of ``bench-big`` and of the first few typical organizations, with
  applications of their own (the logged-in pages' user);
- ``bench-admin``: a superuser (the staff pages' user);
- ``bench-app-<n>``: the pending applications.
"""

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

BIG_ORGANIZATION = "bench-big"
OWNER_USERNAME = "bench-owner"
ADMIN_USERNAME = "bench-admin"
# How many typical organizations the owner also owns (their /manage/organizations/ lists them).
OWNER_EXTRA_ORGANIZATIONS = 5
# The owner's own pending applications, shown on /manage/organizations/.
OWNER_APPLICATIONS = 2
# Share of the events each events table gets; the applications' table takes the rest.
EVENT_SHARES = {
    "organization_events": 0.30,
    "project_events": 0.40,
    "user_events": 0.20,
    "team_events": 0.05,
}
UNDECIDED = ("submitted", "moreinformationneeded", "deferred")

Progress = Callable[[str, int, float], None]


def typical_organization(number: int = 1) -> str:
    return f"bench-org-{number}"


def project_name(number: int) -> str:
    return f"bench-project-{number}"


def application_name(number: int) -> str:
    return f"bench-app-{number}"


def user_name(number: int) -> str:
    return f"bench-user-{number}"


@dataclasses.dataclass(frozen=True)
class ScaleSizes:
    """How much of everything. The defaults are the scale ``make bench`` measures at."""

    organizations: int = 10_000
    projects: int = 100_000
    organization_roles: int = 200_000
    team_roles: int = 100_000
    users: int = 50_000
    big_organization_members: int = 10_000
    big_organization_projects: int = 10_000
    projects_per_organization: int = 4
    pending_applications: int = 10_000
    # Pending invitations to the big organization (its people page lists them).
    big_organization_invitations: int = 100
    events: int = 1_000_000

    def scaled(self, divisor: int) -> "ScaleSizes":
        """Every size divided by ``divisor`` (at least what the shape needs), e.g. the 1k-org
        database a benchmark compares the full one with."""
        smaller = {
            field.name: max(1, getattr(self, field.name) // divisor)
            for field in dataclasses.fields(self)
        }
        smaller["organizations"] = max(2, smaller["organizations"])
        smaller["projects_per_organization"] = self.projects_per_organization
        return ScaleSizes(**smaller)

    @property
    def typical_organizations(self) -> int:
        return self.organizations - 1

    @property
    def owner_extra_organizations(self) -> int:
        return min(OWNER_EXTRA_ORGANIZATIONS, self.typical_organizations)

    @property
    def typical_roles(self) -> int:
        """Organization roles in the typical organizations (the big one and the owner's extra
        roles take the rest)."""
        return (
            self.organization_roles - self.big_organization_members - self.owner_extra_organizations
        )

    @property
    def typical_organization_projects(self) -> int:
        return min(
            self.projects_per_organization * self.typical_organizations,
            self.projects - self.big_organization_projects,
        )

    @property
    def organization_projects(self) -> int:
        return self.big_organization_projects + self.typical_organization_projects

    @property
    def invitations(self) -> int:
        # Invitees are users who are not yet members of the big organization.
        return max(0, min(self.big_organization_invitations, self.users - self.big_members_users))

    @property
    def big_members_users(self) -> int:
        """Generated users in the big organization (the owner is its first member)."""
        return self.big_organization_members - 1

    def problems(self) -> list[str]:
        """What makes these sizes impossible, in words."""
        found = []
        if self.organizations < 2:
            found.append("organizations must be at least 2 (the big one and a typical one)")
        if self.big_organization_members < 1:
            found.append("the big organization needs at least its Owner")
        if self.big_members_users > self.users:
            found.append("users must be at least big_organization_members - 1")
        if self.big_organization_projects > self.projects:
            found.append("big_organization_projects must not exceed projects")
        if self.typical_roles < self.typical_organizations:
            found.append(
                "organization_roles must leave every typical organization an Owner: at least "
                f"{self.organization_roles - self.typical_roles + self.typical_organizations}"
            )
        elif self.typical_roles > self.typical_organizations * self.users:
            found.append("organization_roles is more than the users can hold")
        if self.users < 1:
            found.append("users must be at least 1")
        if self.team_roles > self.organization_roles:
            found.append("team_roles must not exceed organization_roles")
        return found

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


# Ids derived from a kind and a number, so a statement refers to organization ``n`` without
# looking it up; temporary functions, so every statement below is a constant string. Both are
# simple enough for the planner to inline.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.bench_id(kind text, n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE AS $$ SELECT md5('bench-' || kind || ':' || n)::uuid $$;
-- The organization of the n-th project (0: the big one), NULL for a project of no organization.
CREATE OR REPLACE FUNCTION pg_temp.bench_project_organization(
    p bigint, big bigint, typical bigint, typical_orgs bigint
) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p <= big THEN 0 WHEN p <= big + typical THEN 1 + (p - big - 1) % typical_orgs
           END
$$;
"""


def _steps(sizes: ScaleSizes, password_hash: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(what, SQL, extra binds) for each step, in order."""
    event_counts = {table: int(sizes.events * share) for table, share in EVENT_SHARES.items()}
    event_counts["organization_application_events"] = sizes.events - sum(event_counts.values())
    return [
        (
            "users",
            """
            INSERT INTO users (id, username, name, password, date_joined, totp_secret,
                               is_superuser)
            SELECT pg_temp.bench_id('user', i), 'bench-user-' || i, 'Bench User ' || i, :password,
                   now() - make_interval(mins => i), substring(sha256(i::text::bytea) FOR 20),
                   false
              FROM generate_series(1, :users) AS i
            UNION ALL
            SELECT md5('bench-owner')::uuid, :owner, 'Bench Owner', :password,
                   now() - interval '3 years',
                   substring(sha256('bench-owner'::bytea) FOR 20), false
            UNION ALL
            SELECT md5('bench-admin')::uuid, :admin, 'Bench Admin', :password,
                   now() - interval '3 years',
                   substring(sha256('bench-admin'::bytea) FOR 20), true
            """,
            {"password": password_hash, "owner": OWNER_USERNAME, "admin": ADMIN_USERNAME},
        ),
        (
            "user emails (primary, verified)",
            """
            INSERT INTO user_emails (user_id, email, "primary", verified)
            SELECT id, username || '@example.com', true, true FROM users
            """,
            {},
        ),
        (
            "organizations",
            """
            INSERT INTO organizations (id, name, display_name, orgtype, link_url, description,
                                       created)
            SELECT pg_temp.bench_id('org', o),
                   CASE WHEN o = 0 THEN :big ELSE 'bench-org-' || o END,
                   CASE WHEN o = 0 THEN 'Bench Big Organization'
                        ELSE 'Bench Organization ' || o END,
                   CASE WHEN o % 10 = 9 THEN 'Company' ELSE 'Community' END,
                   'https://' || CASE WHEN o = 0 THEN :big ELSE 'bench-org-' || o END
                       || '.example.org/',
                   'Organization number ' || o || ' of the scale database.',
                   now() - make_interval(hours => o)
              FROM generate_series(0, :orgs - 1) AS o
            """,
            {"big": BIG_ORGANIZATION},
        ),
        (
            "organization name catalog",
            """
            INSERT INTO organization_name_catalog (normalized_name, organization_id)
            SELECT normalized_name, id FROM organizations
            """,
            {},
        ),
        (
            "manual activations (Company organizations)",
            """
            INSERT INTO organization_manual_activations (organization_id, seat_limit, expires)
            SELECT id, 100, current_date + 365 FROM organizations WHERE orgtype = 'Company'
            """,
            {},
        ),
        (
            "organization roles",
            """
            INSERT INTO organization_roles (organization_id, user_id, role_name)
            -- The big organization: the owner, then generated users 1 .. big_members - 1.
            SELECT pg_temp.bench_id('org', 0), md5('bench-owner')::uuid, 'Owner'
            UNION ALL
            SELECT pg_temp.bench_id('org', 0), pg_temp.bench_id('user', u),
                   CASE WHEN u = 1 THEN 'Owner' WHEN u % 50 = 0 THEN 'Manager'
                        ELSE 'Member' END
              FROM generate_series(1, :big_members - 1) AS u
            UNION ALL
            -- The owner also owns the first few typical organizations.
            SELECT pg_temp.bench_id('org', o), md5('bench-owner')::uuid, 'Owner'
              FROM generate_series(1, :owner_orgs) AS o
            UNION ALL
            -- Typical roles, round-robin over the organizations: each one's first is its
            -- Owner; a member's user is a run of consecutive users, so never twice in one.
            SELECT pg_temp.bench_id('org', 1 + r % :typical_orgs),
                   pg_temp.bench_id(
                       'user', ((1 + r % :typical_orgs) * 7919 + r / :typical_orgs) % :users + 1
                   ),
                   CASE WHEN r / :typical_orgs = 0 THEN 'Owner'
                        WHEN r / :typical_orgs % 7 = 1 THEN 'Manager'
                        WHEN r / :typical_orgs % 7 = 2 THEN 'Billing Manager'
                        ELSE 'Member' END
              FROM generate_series(0, :typical_roles - 1) AS r
            """,
            {},
        ),
        (
            "teams (one per organization)",
            """
            INSERT INTO teams (id, organization_id, name)
            SELECT pg_temp.bench_id('team', o), pg_temp.bench_id('org', o), 'Maintainers'
              FROM generate_series(0, :orgs - 1) AS o
            """,
            {},
        ),
        (
            "team roles",
            """
            INSERT INTO team_roles (team_id, organization_role_id, organization_id,
                                    organization_role_name)
            SELECT t.id, r.id, r.organization_id, r.role_name
              FROM (SELECT id, organization_id, role_name,
                           row_number() OVER (PARTITION BY organization_id ORDER BY user_id) AS rn
                      FROM organization_roles WHERE role_name <> 'Billing Manager') AS r
              JOIN teams AS t ON t.organization_id = r.organization_id
             ORDER BY r.rn, r.organization_id
             LIMIT :team_roles
            """,
            {},
        ),
        (
            "projects",
            """
            INSERT INTO projects (id, name, description, created, total_size)
            SELECT pg_temp.bench_id('project', p), 'bench-project-' || p,
                   'Project number ' || p || ' of the scale database.',
                   now() - make_interval(mins => p), p * 1024
              FROM generate_series(1, :projects) AS p
            """,
            {},
        ),
        (
            "project roles (an Owner each)",
            """
            INSERT INTO project_roles (project_id, user_id, role_name)
            SELECT pg_temp.bench_id('project', p), pg_temp.bench_id('user', (p * 31) % :users + 1),
                   'Owner'
              FROM generate_series(1, :projects) AS p
            """,
            {},
        ),
        (
            "organization projects",
            """
            INSERT INTO organization_projects (organization_id, project_id)
            SELECT pg_temp.bench_id('org', pg_temp.bench_project_organization(
                       p, :big_projects, :typical_projects, :typical_orgs)),
                   pg_temp.bench_id('project', p)
              FROM generate_series(1, :big_projects + :typical_projects) AS p
            """,
            {},
        ),
        (
            "team project roles",
            """
            INSERT INTO team_project_roles (team_id, project_id, role_name)
            SELECT pg_temp.bench_id('team', pg_temp.bench_project_organization(
                       p, :big_projects, :typical_projects, :typical_orgs)),
                   pg_temp.bench_id('project', p), 'Maintainer'
              FROM generate_series(1, :big_projects + :typical_projects) AS p
            """,
            {},
        ),
        (
            "invitations (pending, to the big organization)",
            """
            INSERT INTO organization_invitations (organization_id, user_id, invited_by_id,
                                                  role_name, token_hash, expires_at)
            SELECT pg_temp.bench_id('org', 0), pg_temp.bench_id('user', u),
                   md5('bench-owner')::uuid,
                   'Member', encode(sha256(('bench-invitation:' || u)::bytea), 'hex'),
                   now() + interval '6 days'
              FROM generate_series(:big_members, :big_members + :invitations - 1) AS u
            """,
            {},
        ),
        (
            "applications (approved, one per organization)",
            """
            INSERT INTO organization_applications (name, display_name, orgtype, link_url,
                description, status, usage, membership_size, submitted_by_id, submitted,
                updated, organization_id)
            SELECT o.name, o.display_name, o.orgtype, o.link_url, o.description, 'approved',
                   'What we publish.', '11-25', r.user_id, o.created - interval '1 day',
                   o.created, o.id
              FROM organizations AS o
              JOIN LATERAL (SELECT user_id FROM organization_roles
                             WHERE organization_id = o.id AND role_name = 'Owner'
                             ORDER BY user_id <> md5('bench-owner')::uuid, user_id
                             LIMIT 1) AS r ON true
            """,
            {},
        ),
        (
            "applications (pending)",
            """
            INSERT INTO organization_applications (name, display_name, orgtype, link_url,
                description, status, usage, membership_size, submitted_by_id, submitted,
                updated)
            SELECT 'bench-app-' || a, 'Bench Application ' || a,
                   CASE WHEN a % 4 = 0 THEN 'Company' ELSE 'Community' END,
                   'https://bench-app-' || a || '.example.org/',
                   'Application number ' || a || ' waiting for review.',
                   (ARRAY['submitted', 'moreinformationneeded', 'deferred'])[1 + a % 3],
                   'We publish packages.', '2-5',
                   CASE WHEN a <= :owner_applications THEN md5('bench-owner')::uuid
                        ELSE pg_temp.bench_id('user', (a * 13) % :users + 1) END,
                   now() - make_interval(mins => :pending - a),
                   now() - make_interval(mins => :pending - a)
              FROM generate_series(1, :pending) AS a
            """,
            {"owner_applications": OWNER_APPLICATIONS},
        ),
        (
            "organization events",
            """
            INSERT INTO organization_events (source_id, tag, time, actor_id, ip_address,
                                             additional)
            SELECT pg_temp.bench_id('org', i % :orgs), 'organization:role:add',
                   now() - make_interval(secs => i), pg_temp.bench_id('user', i % :users + 1),
                   '192.0.2.1',
                   jsonb_build_object(
                       'organization', CASE WHEN i % :orgs = 0 THEN :big
                                            ELSE 'bench-org-' || i % :orgs END,
                       'actor', 'bench-user-' || i % :users + 1,
                       'username', 'bench-user-' || (i * 7) % :users + 1, 'role', 'Member')
              FROM generate_series(1, :n_events) AS i
            """,
            {"n_events": event_counts["organization_events"], "big": BIG_ORGANIZATION},
        ),
        (
            "project events",
            """
            INSERT INTO project_events (source_id, tag, time, actor_id, ip_address, additional)
            SELECT pg_temp.bench_id('project', i % :projects + 1), 'project:role:add',
                   now() - make_interval(secs => i), pg_temp.bench_id('user', i % :users + 1),
                   '192.0.2.1',
                   jsonb_build_object('project', 'bench-project-' || i % :projects + 1,
                                      'actor', 'bench-user-' || i % :users + 1,
                                      'username', 'bench-user-' || (i * 7) % :users + 1,
                                      'role', 'Maintainer')
              FROM generate_series(1, :n_events) AS i
            """,
            {"n_events": event_counts["project_events"]},
        ),
        (
            "user events",
            """
            INSERT INTO user_events (source_id, tag, time, actor_id, ip_address, additional)
            SELECT pg_temp.bench_id('user', i % :users + 1), 'account:login:success',
                   now() - make_interval(secs => i), pg_temp.bench_id('user', i % :users + 1),
                   '192.0.2.1',
                   jsonb_build_object('actor', 'bench-user-' || i % :users + 1,
                                      'two_factor_method', 'totp')
              FROM generate_series(1, :n_events) AS i
            """,
            {"n_events": event_counts["user_events"]},
        ),
        (
            "team events",
            """
            INSERT INTO team_events (source_id, tag, time, actor_id, ip_address, additional)
            SELECT pg_temp.bench_id('team', i % :orgs), 'team:team_role:add',
                   now() - make_interval(secs => i), md5('bench-owner')::uuid, '192.0.2.1',
                   jsonb_build_object('team', 'Maintainers', 'actor', CAST(:owner AS text),
                                      'username', 'bench-user-' || (i * 7) % :users + 1)
              FROM generate_series(1, :n_events) AS i
            """,
            {"n_events": event_counts["team_events"], "owner": OWNER_USERNAME},
        ),
        (
            "application events",
            """
            INSERT INTO organization_application_events (source_id, tag, time, actor_id,
                                                         ip_address, additional)
            SELECT a.id, 'organization_application:submit', a.submitted, a.submitted_by_id,
                   '192.0.2.1', jsonb_build_object('organization', a.name)
              FROM (SELECT id, name, submitted, submitted_by_id,
                           row_number() OVER (ORDER BY id) AS rn
                      FROM organization_applications) AS a
              JOIN generate_series(1, :n_events) AS i
                ON a.rn = 1 + (i - 1) % (SELECT count(*) FROM organization_applications)
            """,
            {"n_events": event_counts["organization_application_events"]},
        ),
    ]


def build_scale_data(
    connection: Connection,
    sizes: ScaleSizes,
    progress: Progress | None = None,
    password_hash: str = "!bench: no password logs in",  # noqa: S107 (not a usable hash)
) -> None:
    """Fill an empty, migrated database with ``sizes``' rows, in ``connection``'s transaction
    (the caller commits). ``progress(step, rows, seconds)`` is called after each step."""
    problems = sizes.problems()
    if problems:
        raise ValueError("Impossible sizes: " + "; ".join(problems) + ".")
    binds = {
        "orgs": sizes.organizations,
        "typical_orgs": sizes.typical_organizations,
        "users": sizes.users,
        "big_members": sizes.big_organization_members,
        "owner_orgs": sizes.owner_extra_organizations,
        "typical_roles": sizes.typical_roles,
        "team_roles": sizes.team_roles,
        "projects": sizes.projects,
        "big_projects": sizes.big_organization_projects,
        "typical_projects": sizes.typical_organization_projects,
        "invitations": sizes.invitations,
        "pending": sizes.pending_applications,
    }
    # Nothing here needs to survive a crash of the server mid-build; the caller's COMMIT
    # still makes it durable.
    connection.execute(text("SET LOCAL synchronous_commit = off"))
    connection.execute(text("SET LOCAL work_mem = '256MB'"))
    connection.execute(text(FUNCTIONS))
    for what, statement, extra in _steps(sizes, password_hash):
        started = time.monotonic()
        rows = connection.execute(text(statement), {**binds, **extra}).rowcount
        if progress is not None:
            progress(what, rows, time.monotonic() - started)
    started = time.monotonic()
    # Fresh statistics, so the planner sees the scale it is benchmarked at.
    connection.execute(text("ANALYZE"))
    if progress is not None:
        progress("statistics (ANALYZE)", 0, time.monotonic() - started)
