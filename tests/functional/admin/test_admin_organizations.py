"""/admin/organizations/: searching, reading one, editing, renaming, and fixing its roles."""

import datetime

import pytest
from sqlalchemy import select

from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.db.packaging import ProjectFactory
from tests.common.events import event_tags, events_of
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services import DatabaseOrganizationService

Owner = OrganizationRoleType.Owner
Member = OrganizationRoleType.Member
Manager = OrganizationRoleType.Manager


@pytest.fixture
def admin(db_session):
    return UserFactory.create(username="the-admin", is_superuser=True)


@pytest.fixture
def app(webtest_app, admin):
    log_in(webtest_app, admin)
    return webtest_app


@pytest.fixture
def org(db_session):
    return OrganizationFactory.create(name="acme", display_name="Acme Widgets")


@pytest.fixture
def owner(db_session, org):
    return OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="olivia"), role_name=Owner
    )


def _names(page):
    return [row.find("a").text for row in page.html.select("main table tbody tr")]


def _at(days_ago):
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)


def _roles(db_session, org):
    db_session.expire_all()
    return {
        role.user.username: role.role_name
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == org.id)
        )
    }


def _detail(org):
    return f"/admin/organizations/{org.id}/"


def _add_events(db_session, org, count):
    db_session.add_all(
        Organization.Event(
            source_id=org.id, tag=EventTag.OrganizationRoleLeave, additional={"username": f"u{n}"}
        )
        for n in range(count)
    )
    db_session.flush()


# Searching


@pytest.fixture
def catalog(db_session):
    """Four organizations, newest first: delta, gamma, beta, alpha."""
    return {
        "alpha": OrganizationFactory.create(
            name="alpha_tools",
            display_name="Alpha Tools",
            link_url="https://alpha.example.org/",
            description="Open source tooling",
            created=_at(4),
        ),
        "beta": OrganizationFactory.create(
            name="beta-corp",
            display_name="Beta Corporation",
            orgtype="Company",
            link_url="https://beta.example.com/",
            description="We sell widgets",
            created=_at(3),
        ),
        "gamma": OrganizationFactory.create(
            name="gamma",
            display_name="The Alpha Society",
            link_url="https://gamma.example.net/",
            description="Open data",
            is_active=False,
            created=_at(2),
        ),
        "delta": OrganizationFactory.create(
            name="delta",
            display_name="Delta",
            orgtype="Company",
            link_url="https://delta.example.com/",
            description="Open widgets",
            created=_at(1),
        ),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["delta", "gamma", "beta-corp", "alpha_tools"]),
        ("alpha", ["gamma", "alpha_tools"]),  # free text: the name or the display name
        ("name:alpha", ["alpha_tools"]),
        ("name:Alpha.Tools", ["alpha_tools"]),  # compared normalized
        ("org:society", ["gamma"]),
        ("organization:BETA", ["beta-corp"]),
        ("url:example.com", ["delta", "beta-corp"]),
        ("desc:open", ["delta", "gamma", "alpha_tools"]),
        ('desc:"open source"', ["alpha_tools"]),
        ("type:company", ["delta", "beta-corp"]),
        ("type:Community", ["gamma", "alpha_tools"]),
        ("is:inactive", ["gamma"]),
        ("is:active", ["delta", "beta-corp", "alpha_tools"]),
        ("type:company desc:widgets url:delta", ["delta"]),
        ("desc:open is:active type:community", ["alpha_tools"]),
        ("alpha is:active", ["alpha_tools"]),
        ("%", []),
        ("name:%", []),  # wildcards are literal
        ("name:_", ["beta-corp", "alpha_tools"]),  # "_" is normalized to "-", as in names
    ],
)
def test_search_syntax(app, catalog, q, expected):
    page = app.get("/admin/organizations/", {"q": q})
    assert _names(page) == expected
    if not expected:
        assert "No organization matches." in main_text(page)


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("owner:bob", "Unknown search key owner:."),
        ("name:acme has:subscription", "Unknown search key has:."),
        ("type:charity", "type: is either company or community."),
        ("is:deleted", "is: is active, inactive or ownerless-risk."),
        ("name:", "Give a value after name:."),
        ('desc:"open', "A quotation mark is not closed."),
        ("a" * 201, "Use at most 200 characters."),
    ],
)
def test_a_search_that_cannot_be_understood_is_refused_beside_the_field(app, catalog, q, message):
    page = app.get("/admin/organizations/", {"q": q}, status=400)
    assert field_error(page, "q").startswith(message)
    assert page.html.find(id="q")["aria-invalid"] == "true"
    assert not page.html.select("main table")


def test_list_rows_show_badges_and_member_counts(app, db_session, org, owner):
    OrganizationRoleFactory.create_batch(2, organization=org, role_name=Member)
    OrganizationFactory.create(name="lonely", orgtype="Company", is_active=False, created=_at(9))
    page = app.get("/admin/organizations/")
    acme, lonely = page.html.select("main table tbody tr")
    assert [td.get_text(" ", strip=True) for td in acme.find_all("td")][:5] == [
        "acme",
        "Acme Widgets",
        "Community",
        "Active",
        "3",
    ]
    assert [td.get_text(" ", strip=True) for td in lonely.find_all("td")][2:5] == [
        "Company",
        "Inactive",
        "0",
    ]
    assert acme.find("a")["href"] == _detail(org)
    assert page.html.find("caption").text == "Organizations, newest first"


def test_organizations_come_in_pages_of_25_newest_first(app, db_session):
    for n in range(30):
        OrganizationFactory.create(name=f"page-org-{n:02}", created=_at(n))
    first = app.get("/admin/organizations/", {"q": "page-org"})
    assert _names(first) == [f"page-org-{n:02}" for n in range(25)]
    second = first.click("Next")
    assert _names(second) == [f"page-org-{n:02}" for n in range(25, 30)]
    assert "Showing 26\N{EN DASH}30 of 30" in main_text(second)
    assert second.request.GET["q"] == "page-org"
    app.get("/admin/organizations/", {"page": "0"}, status=400)


def test_organizations_created_together_are_ordered_by_name(app, db_session):
    moment = _at(1)
    for name in ("zed", "abc", "mid"):
        OrganizationFactory.create(name=name, created=moment)
    assert _names(app.get("/admin/organizations/")) == ["abc", "mid", "zed"]


# One organization


def test_detail_shows_members_invitations_projects_applications_and_history(
    app, db_session, org, owner
):
    OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="mark"), role_name=Manager
    )
    OrganizationInvitationFactory.create(organization=org, user=UserFactory.create(username="ivy"))
    OrganizationInvitationFactory.create(
        organization=org,
        user=UserFactory.create(username="old-ivy"),
        expires_at=_at(1),
    )
    OrganizationInvitationFactory.create(
        organization=org, user=UserFactory.create(username="accepted-al"), status="accepted"
    )
    project = ProjectFactory.create(name="rocket")
    ProjectFactory.create(name="not-ours")
    db_session.add(OrganizationProject(organization_id=org.id, project_id=project.id))
    OrganizationApplicationFactory.create(
        name="acme",
        organization_id=org.id,
        status="approved",
        submitted_by=UserFactory.create(username="applicant"),
    )
    _add_events(db_session, org, 1)

    page = app.get(_detail(org))
    text = main_text(page)
    assert page.html.find("h1").text == "acme"
    assert [h.text for h in page.html.select("main h2")] == [
        "Organization",
        "Edit details",
        "Rename",
        "Handover",
        "Members",
        "Invitations",
        "Projects",
        "Applications",
        "History",
    ]
    assert "Display name Acme Widgets" in text
    assert "Website https://acme.example.com/" in text
    assert "Owners 1" in text
    members = [r.find("a").text for r in page.html.select("#members-heading ~ table tbody tr")]
    assert members == ["mark", "olivia"]
    assert "ivy Member Pending" in text
    assert "old-ivy Member Expired" in text
    assert "accepted-al" not in text
    assert "rocket" in text
    assert "not-ours" not in text
    assert "acme applicant Approved" in text
    assert "u0 left the organization" in text


def test_detail_history_comes_in_pages(app, db_session, org):
    _add_events(db_session, org, 30)
    first = app.get(_detail(org))
    assert len(first.html.select("#events-heading ~ table tbody tr")) == 25
    second = first.click("Next", href="page=2")
    assert len(second.html.select("#events-heading ~ table tbody tr")) == 5


@pytest.mark.parametrize("organization_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_id_is_not_found(app, organization_id):
    app.get(f"/admin/organizations/{organization_id}/", status=404)
    token = app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]
    for suffix in ("", "rename/", "add_role/", f"update_role/{organization_id}/"):
        app.post(
            f"/admin/organizations/{organization_id}/{suffix}", {"csrf_token": token}, status=404
        )


def test_an_unknown_role_id_is_not_found(app, db_session, org, owner):
    other = OrganizationRoleFactory.create()  # a role in another organization
    token = app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]
    for role_id in ("junk", other.id):
        for action in ("update_role", "delete_role"):
            app.post(
                f"{_detail(org)}{action}/{role_id}/",
                {"csrf_token": token, "role_name": "Member", "username": "x"},
                status=404,
            )


# Editing details


def test_editing_details_saves_and_records_the_fields(app, db_session, org, admin):
    form = app.get(_detail(org)).forms["organization-details-form"]
    form["display_name"] = "Acme Inc."
    form["link_url"] = "https://acme.example.org/"
    form["orgtype"] = "Company"
    form["confirm_company"] = True
    page = form.submit(status=303).follow()
    assert "acme: Display name, Website, Type saved." in main_text(page)
    assert "changed the display name, the website, the type" in main_text(page)
    db_session.refresh(org)
    assert (org.display_name, org.link_url, org.orgtype) == (
        "Acme Inc.",
        "https://acme.example.org/",
        "Company",
    )
    (event,) = [
        e for e in events_of(db_session, org) if e.tag == EventTag.OrganizationDetailsChange
    ]
    assert event.actor_id == admin.id
    assert event.additional["fields"] == ["display_name", "link_url", "orgtype"]


def test_saving_unchanged_details_says_so(app, db_session, org):
    page = app.get(_detail(org)).forms["organization-details-form"].submit(status=303).follow()
    assert "Nothing changed for acme." in main_text(page)
    assert EventTag.OrganizationDetailsChange not in event_tags(db_session, org)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "x" * 101, "Use at most 100 characters."),
        ("display_name", " ", "Enter a display name."),
        (
            "link_url",
            "ftp://acme.example.com/",
            "Use an address starting with http:// or https://.",
        ),
        ("link_url", "https://" + "a" * 393, "Use at most 400 characters."),
        ("description", "d" * 401, "Use at most 400 characters."),
    ],
)
def test_bad_details_are_refused_beside_the_field(app, db_session, org, field, value, message):
    form = app.get(_detail(org)).forms["organization-details-form"]
    form[field] = value
    page = form.submit(status=400)
    assert field_error(page, field) == message
    db_session.refresh(org)
    assert (org.display_name, org.link_url) == ("Acme Widgets", "https://acme.example.com/")


def test_company_is_spelled_out_and_confirmed_before_the_change(app, db_session, org, outbox):
    page = app.get(_detail(org))
    warning = main_text(page)
    assert "Before you choose Company: A Company organization is billed for every member" in (
        warning
    )
    assert "it can never become a Community organization again" in warning
    form = page.forms["organization-details-form"]
    form["orgtype"] = "Company"
    refused = form.submit(status=400)
    assert field_error(refused, "confirm_company").startswith(
        "Tick this box to confirm the change to Company."
    )
    db_session.refresh(org)
    assert org.orgtype == "Community"
    assert EventTag.OrganizationDetailsChange not in event_tags(db_session, org)


def test_a_company_is_not_offered_community_and_a_forced_change_is_refused(app, db_session):
    company = OrganizationFactory.create(orgtype="Company")
    page = app.get(_detail(company))
    assert not page.html.select("select#orgtype")
    assert "Type: Company. A Company organization stays one." in main_text(page)
    form = page.forms["organization-details-form"]
    form["orgtype"].force_value("Community")
    form["display_name"] = "Renamed"
    page = form.submit(status=409)
    assert field_error(page, "orgtype") == "A Company organization cannot become a Community one."
    db_session.refresh(company)
    assert (company.orgtype, company.display_name) == ("Company", company.name.title())


# Renaming


def test_renaming_keeps_the_old_name_records_it_and_emails_the_owners(
    app, app_registry, db_session, org, owner, admin, outbox
):
    second = OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="oscar"), role_name=Owner
    )
    OrganizationRoleFactory.create(organization=org, role_name=Member)
    form = app.get(_detail(org)).forms["organization-rename-form"]
    form["new_organization_name"] = "Acme-Labs"
    form["confirm_organization_name"] = "acme"
    page = form.submit(status=303).follow()
    assert "acme is now called Acme-Labs." in main_text(page)
    assert page.html.find("h1").text == "Acme-Labs"
    assert "renamed the organization from acme to Acme-Labs" in main_text(page)

    service = DatabaseOrganizationService(_ServiceRequest(db_session))
    assert service.get_organization_by_name("acme").id == org.id
    assert service.get_organization_by_name("acme_labs").id == org.id
    (event,) = [e for e in events_of(db_session, org) if e.tag == EventTag.OrganizationRename]
    assert event.actor_id == admin.id
    assert event.additional["old_name"] == "acme"
    assert event.additional["new_name"] == "Acme-Labs"

    messages = outbox.messages()
    assert sorted(m.recipient for m in messages) == sorted(
        [owner.user.primary_email.email, second.user.primary_email.email]
    )
    assert {m.subject for m in messages} == {"Your organization acme is now called Acme-Labs"}
    assert "renamed the organization acme" in messages[0].body("plain")


class _ServiceRequest:
    def __init__(self, db_session):
        self.db = db_session
        self.user = None


@pytest.mark.parametrize(
    ("new_name", "status", "message"),
    [
        ("taken", 409, "This name is taken, or was used by an organization before."),
        ("Old.Name", 409, "This name is taken, or was used by an organization before."),
        ("admin", 409, "This name is reserved."),
        ("-bad-", 400, "Use letters, numbers"),
        ("n" * 51, 400, "Use at most 50 characters."),
        ("acme", 400, "This is already the organization's name."),
    ],
)
def test_a_refused_rename_changes_nothing(
    app, db_session, org, owner, outbox, new_name, status, message
):
    OrganizationFactory.create(name="taken")
    gone = OrganizationFactory.create(name="old-name")
    db_session.delete(gone)  # its name stays in the catalog
    db_session.flush()
    form = app.get(_detail(org)).forms["organization-rename-form"]
    form["new_organization_name"] = new_name
    form["confirm_organization_name"] = "acme"
    page = form.submit(status=status)
    assert field_error(page, "new_organization_name").startswith(message)
    db_session.expire_all()
    assert db_session.get(Organization, org.id).name == "acme"
    assert EventTag.OrganizationRename not in event_tags(db_session, org)
    assert outbox.messages() == []


def test_a_rename_needs_the_current_name_typed(app, db_session, org):
    form = app.get(_detail(org)).forms["organization-rename-form"]
    form["new_organization_name"] = "acme2"
    form["confirm_organization_name"] = "ACME"
    page = form.submit(status=400)
    assert field_error(page, "confirm_organization_name") == "Type acme exactly to confirm."
    db_session.refresh(org)
    assert org.name == "acme"


# Roles


def _add_role(app, org, username, role_name):
    form = app.get(_detail(org)).forms["add-role-form"]
    form["username"] = username
    # Forced: the page does not offer Billing Manager in a Community organization at all.
    form["role_name"].force_value(role_name)
    return form


def test_adding_a_member_directly_records_a_staff_event(app, db_session, org, owner, admin):
    UserFactory.create(username="newcomer")
    page = _add_role(app, org, "newcomer", "Manager").submit(status=303).follow()
    assert "newcomer added as Manager." in main_text(page)
    assert "PyPI staff (the-admin) added newcomer as Manager" in main_text(page)
    assert _roles(db_session, org) == {"olivia": "Owner", "newcomer": "Manager"}
    (event,) = [e for e in events_of(db_session, org) if e.tag == EventTag.AdminOrganizationRoleAdd]
    assert event.actor_id == admin.id
    assert event.additional["username"] == "newcomer"


@pytest.mark.parametrize(
    ("username", "role_name", "status", "field", "message"),
    [
        ("nobody", "Member", 400, "add-role-username", "There is no account named nobody."),
        ("olivia", "Member", 409, "add-role-role_name", "olivia is already a member."),
        (
            "newcomer",
            "Billing Manager",
            409,
            "add-role-role_name",
            "Billing Manager exists only in Company organizations.",
        ),
    ],
)
def test_a_refused_addition_changes_nothing(
    app, db_session, org, owner, username, role_name, status, field, message
):
    UserFactory.create(username="newcomer")
    page = _add_role(app, org, username, role_name).submit(status=status)
    assert field_error(page, field) == message
    assert _roles(db_session, org) == {"olivia": "Owner"}
    assert EventTag.AdminOrganizationRoleAdd not in event_tags(db_session, org)


def test_the_role_picker_starts_empty_and_adding_without_a_role_is_refused(
    app, db_session, org, owner, outbox
):
    UserFactory.create(username="newcomer")
    page = app.get(_detail(org))
    picker = page.html.find(id="add-role-role_name")
    options = [(option["value"], option.get_text()) for option in picker.find_all("option")]
    assert options[0] == ("", "Choose a role")
    chosen = [
        option["value"] for option in picker.find_all("option") if option.has_attr("selected")
    ]
    assert chosen == [""]
    form = page.forms["add-role-form"]
    assert form["role_name"].value == ""
    form["username"] = "newcomer"
    refused = form.submit(status=400)
    assert field_error(refused, "add-role-role_name") == "Choose a role."
    assert refused.forms["add-role-form"]["username"].value == "newcomer"
    assert _roles(db_session, org) == {"olivia": "Owner"}
    assert EventTag.AdminOrganizationRoleAdd not in event_tags(db_session, org)
    assert outbox.messages() == []


def test_changing_a_role_records_a_staff_event(app, db_session, org, owner, admin):
    OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="mark"), role_name=Member
    )
    form = app.get(_detail(org)).forms["update-role-form-mark"]
    form["role_name"] = "Owner"
    page = form.submit(status=303).follow()
    assert "mark is now Owner." in main_text(page)
    assert "PyPI staff (the-admin) changed mark from Member to Owner" in main_text(page)
    assert _roles(db_session, org) == {"olivia": "Owner", "mark": "Owner"}
    assert EventTag.AdminOrganizationRoleChange in event_tags(db_session, org)


def test_deleting_a_role_needs_the_username_and_records_a_staff_event(app, db_session, org, owner):
    OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="mark"), role_name=Manager
    )
    form = app.get(_detail(org)).forms["delete-role-form-mark"]
    form["username"] = "Mark"
    page = form.submit(status=400)
    assert field_error(page, "delete-role-mark-username") == "Type mark exactly to confirm."
    # The summary at the top links to that row's box, not to another row's.
    summary = page.html.find(id="error-summary")
    assert [a["href"] for a in summary.find_all("a")] == ["#delete-role-mark-username"]
    assert page.html.title.get_text().startswith("Error: ")
    assert _roles(db_session, org) == {"olivia": "Owner", "mark": "Manager"}

    form = page.forms["delete-role-form-mark"]
    form["username"] = "mark"
    page = form.submit(status=303).follow()
    assert "mark removed from acme." in main_text(page)
    assert "PyPI staff (the-admin) removed mark (Manager)" in main_text(page)
    assert _roles(db_session, org) == {"olivia": "Owner"}
    assert EventTag.AdminOrganizationRoleRemove in event_tags(db_session, org)


def test_staff_cannot_demote_or_remove_the_last_owner(app, db_session, org, owner):
    OrganizationRoleFactory.create(organization=org, role_name=Member)
    before = _roles(db_session, org)
    page = app.get(_detail(org))
    # Not offered, with the reason instead.
    assert "update-role-form-olivia" not in page.forms
    assert "delete-role-form-olivia" not in page.forms
    row = " ".join(page.html.find(id="sole-owner-olivia").find_parent("tr").get_text(" ").split())
    assert "The only Owner: make another member Owner before changing this role." in row
    assert "Cannot be removed: an organization needs at least one Owner." in row
    # Forced anyway: refused beside the field.
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    page = app.post(
        f"{_detail(org)}update_role/{owner.id}/",
        {"role_name": "Manager", "csrf_token": token},
        status=409,
    )
    assert field_error(page, "update-role-olivia-role_name") == (
        "An organization needs at least one Owner; make someone else an Owner first."
    )
    page = app.post(
        f"{_detail(org)}delete_role/{owner.id}/",
        {"username": "olivia", "csrf_token": token},
        status=409,
    )
    assert field_error(page, "delete-role-olivia-username") == (
        "An organization needs at least one Owner; make someone else an Owner first."
    )
    assert _roles(db_session, org) == before
    tags = event_tags(db_session, org)
    assert EventTag.AdminOrganizationRoleChange not in tags
    assert EventTag.AdminOrganizationRoleRemove not in tags


def test_a_post_without_the_csrf_token_changes_nothing(app, db_session, org, owner):
    mark = OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="mark"), role_name=Member
    )
    UserFactory.create(username="newcomer")
    posts = [
        (
            "",
            {
                "display_name": "X",
                "link_url": "https://x.example/",
                "description": "d",
                "orgtype": "Company",
            },
        ),
        ("rename/", {"new_organization_name": "x", "confirm_organization_name": "acme"}),
        ("add_role/", {"username": "newcomer", "role_name": "Owner"}),
        (f"update_role/{mark.id}/", {"role_name": "Owner"}),
        (f"delete_role/{mark.id}/", {"username": "mark"}),
    ]
    for suffix, data in posts:
        page = app.post(f"{_detail(org)}{suffix}", data, status=400)
        assert "security token was missing" in main_text(page)
    db_session.expire_all()
    org = db_session.get(Organization, org.id)
    assert (org.name, org.display_name, org.orgtype) == ("acme", "Acme Widgets", "Community")
    assert _roles(db_session, org) == {"olivia": "Owner", "mark": "Member"}


def test_a_change_asks_for_the_password_after_30_minutes(app, db_session, org, owner):
    OrganizationRoleFactory.create(organization=org, role_name=Owner)
    form = app.get(_detail(org)).forms["update-role-form-olivia"]
    form["role_name"] = "Member"
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    assert _roles(db_session, org)["olivia"] == "Owner"
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    confirm.submit(status=303)
    assert _roles(db_session, org)["olivia"] == "Member"


# Who may do what

KINDS = {
    "ordinary": {},
    "admin": {"is_superuser": True},
    "support": {"is_support": True},
    "moderator": {"is_moderator": True},
    "psf-staff": {"is_psf_staff": True},
}
READERS = {"admin", "support", "moderator"}
WRITERS = {"admin", "support"}


def _routes(org, mark):
    """(method, path, form data, the kinds allowed) for every route of this page."""
    base = _detail(org)
    return [
        ("GET", "/admin/organizations/", {}, READERS),
        ("GET", base, {}, READERS),
        (
            "POST",
            base,
            {
                "display_name": "New",
                "link_url": "https://n.example/",
                "description": "d",
                "orgtype": "Community",
            },
            WRITERS,
        ),
        (
            "POST",
            f"{base}rename/",
            {"new_organization_name": "acme-new", "confirm_organization_name": "acme"},
            WRITERS,
        ),
        ("POST", f"{base}add_role/", {"username": "newcomer", "role_name": "Member"}, WRITERS),
        ("POST", f"{base}update_role/{mark.id}/", {"role_name": "Manager"}, WRITERS),
        ("POST", f"{base}delete_role/{mark.id}/", {"username": "mark"}, WRITERS),
    ]


@pytest.fixture
def targets(db_session, org, owner):
    UserFactory.create(username="newcomer")
    return OrganizationRoleFactory.create(
        organization=org, user=UserFactory.create(username="mark"), role_name=Member
    )


ROUTE_IDS = ["list", "detail", "edit", "rename", "add_role", "update_role", "delete_role"]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("route", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_each_route_answers_only_the_staff_it_is_for(
    webtest_app, db_session, org, targets, kind, route
):
    method, path, data, allowed = _routes(org, targets)[route]
    log_in(webtest_app, UserFactory.create(**KINDS[kind]))
    if method == "GET":
        response = webtest_app.get(path, expect_errors=True)
    else:
        token = webtest_app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]
        response = webtest_app.post(path, {**data, "csrf_token": token}, expect_errors=True)
    if kind not in allowed:
        assert response.status_int == 403
        assert "You do not have permission to see this page." in main_text(response)
        assert _roles(db_session, org) == {"olivia": "Owner", "mark": "Member"}
        assert db_session.get(Organization, org.id).name == "acme"
    elif method == "GET":
        assert response.status_int == 200
    else:
        assert response.status_int == 303
        assert response.location == f"http://localhost{_detail(org)}"


@pytest.mark.parametrize("route", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_log_in_or_refused(webtest_app, org, targets, route):
    method, path, data, _ = _routes(org, targets)[route]
    if method == "GET":
        response = webtest_app.get(path, status=303)
        assert response.location.startswith("http://localhost/account/login/?next=%2Fadmin%2F")
    else:
        response = webtest_app.post(path, {**data, "csrf_token": "x"}, status=403)
        assert "Log in to do this." in main_text(response)


@pytest.mark.parametrize(
    ("kind", "forms"),
    [
        ("admin", 5),
        ("support", 5),
        ("moderator", 0),
    ],
)
def test_forms_are_shown_only_to_those_who_may_send_them(
    webtest_app, db_session, org, targets, kind, forms
):
    log_in(webtest_app, UserFactory.create(**KINDS[kind]))
    page = webtest_app.get(_detail(org))
    ids = {
        "organization-details-form",
        "organization-rename-form",
        "add-role-form",
        "update-role-form-mark",
        "delete-role-form-mark",
    }
    assert len(ids & set(page.forms)) == forms


def test_the_dashboard_and_menu_link_to_organizations(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(is_moderator=True))
    dashboard = webtest_app.get("/admin/")
    links = [a.text for a in dashboard.html.select('main a[href="/admin/organizations/"]')]
    assert links == ["Organizations", "Organizations"]


# A fixed number of SQL statements, however many organizations, members or events


def test_organization_list_has_a_fixed_query_count(app, db_session):
    OrganizationRoleFactory.create()
    few = app.get("/admin/organizations/")
    for organization in OrganizationFactory.create_batch(19):
        OrganizationRoleFactory.create_batch(2, organization=organization)
    many = app.get("/admin/organizations/")
    assert len(_names(few)) == 1
    assert len(_names(many)) == 20
    # Session, signed-in user and their emails, the count, the page with member counts.
    assert len(few.sql_statements) == len(many.sql_statements) == 4


def _fill(db_session, org, count):
    """``count`` more of every kind of row the page lists."""
    for _ in range(count):
        OrganizationRoleFactory.create(organization=org, role_name=Member)
        OrganizationInvitationFactory.create(organization=org)
        project = ProjectFactory.create()
        db_session.add(OrganizationProject(organization_id=org.id, project_id=project.id))
        OrganizationApplicationFactory.create(organization_id=org.id)
    _add_events(db_session, org, count)


LISTS = ("members", "invitations", "projects", "applications", "events")


def _shown(page, heading):
    if heading == "projects":
        return page.html.select("#projects-heading ~ ul li")
    return page.html.select(f"#{heading}-heading ~ table tbody tr")


def test_organization_detail_has_a_fixed_query_count(app, db_session, org, owner):
    _fill(db_session, org, 1)
    few = app.get(_detail(org))
    _fill(db_session, org, 59)
    many = app.get(_detail(org))
    assert [len(_shown(few, heading)) for heading in LISTS] == [2, 1, 1, 1, 1]
    assert [len(_shown(many, heading)) for heading in LISTS] == [25] * 5
    assert "Members 61 Owners 1 Projects 60" in main_text(many)
    assert len(few.sql_statements) == len(many.sql_statements)
    # Session, signed-in user and emails, the organization with the counts and its page of
    # project names, a page of members with their users, of invitations with their invitees,
    # of applications with their applicants, of events.
    assert len(many.sql_statements) == 7


def test_each_list_has_pages_of_its_own(app, db_session, org, owner):
    _fill(db_session, org, 30)
    first = app.get(_detail(org))
    for heading in LISTS:
        label, parameter = (
            ("history", "page") if heading == "events" else (heading, f"{heading}_page")
        )
        nav = first.html.find("nav", attrs={"aria-label": f"Pages of {label}"})
        assert nav.find("a", rel="next")["href"].endswith(f"?{parameter}=2#{heading}-heading")
    members_2 = first.click("Next", href="members_page=2")
    assert len(_shown(members_2, "members")) == 6  # 31 members: olivia and the 30
    assert len(_shown(members_2, "projects")) == 25
    # The page of one list is kept while another's changes.
    both = members_2.click("Next", href="projects_page=2")
    assert both.request.GET["members_page"] == "2"
    assert len(_shown(both, "members")) == 6
    assert len(_shown(both, "projects")) == 5
    for heading in ("invitations", "applications"):
        page = app.get(_detail(org), {f"{heading}_page": "2"})
        assert len(_shown(page, heading)) == 5
        assert len(_shown(page, "members")) == 25


@pytest.mark.parametrize(
    "parameter", ["members_page", "invitations_page", "projects_page", "applications_page"]
)
@pytest.mark.parametrize("value", ["0", "x", "10001"])
def test_a_bad_page_number_is_refused(app, org, parameter, value):
    page = app.get(f"{_detail(org)}?{parameter}={value}", status=400)
    assert "The page number must be a whole number" in page.text


def test_the_owner_count_counts_owners_on_every_page(app, db_session, org, owner):
    for n in range(30):
        OrganizationRoleFactory.create(
            organization=org, user=UserFactory.create(username=f"z-owner-{n:02}"), role_name=Owner
        )
    page = app.get(_detail(org))
    assert len(_shown(page, "members")) == 25
    assert "Owners 31" in main_text(page)


def test_a_refused_role_change_shows_the_page_with_that_member(app, db_session, org, owner):
    for n in range(30):
        OrganizationRoleFactory.create(
            organization=org, user=UserFactory.create(username=f"a-member-{n:02}"), role_name=Member
        )
    # olivia, the only Owner, sorts after the thirty: she is on the second page of members,
    # where the page offers no change of her role; a forced one is refused beside her row.
    assert "sole-owner-olivia" not in app.get(_detail(org)).text
    second = app.get(_detail(org), {"members_page": "2"})
    assert second.html.find(id="sole-owner-olivia")
    token = second.html.find("input", attrs={"name": "csrf_token"})["value"]
    refused = app.post(
        f"{_detail(org)}update_role/{owner.id}/",
        {"role_name": "Member", "csrf_token": token},
        status=409,
    )
    assert field_error(refused, "update-role-olivia-role_name") == (
        "An organization needs at least one Owner; make someone else an Owner first."
    )
    assert "Page 2 of 2" in refused.html.find("nav", attrs={"aria-label": "Pages of members"}).text
    assert _roles(db_session, org)["olivia"] == "Owner"


def test_billing_manager_is_offered_only_for_companies(app, db_session, org, owner):
    community_roles = [
        v for v, _s, _t in app.get(_detail(org)).forms["add-role-form"]["role_name"].options
    ]
    assert "Billing Manager" not in community_roles
    company = OrganizationFactory.create(orgtype="Company")
    company_roles = [
        v for v, _s, _t in app.get(_detail(company)).forms["add-role-form"]["role_name"].options
    ]
    assert "Billing Manager" in company_roles
