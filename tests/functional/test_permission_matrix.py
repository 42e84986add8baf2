"""The permission matrix: every route the application registers, asked by every kind of person.

The routes come from Pyramid's introspector, not from a list kept by hand: a route added
without an entry in ``ROUTES`` below fails ``test_every_registered_route_has_an_entry``, and
so does an entry whose route is gone.

What each route needs is written here from ARCHITECTURE.md ("URL contract" and "Permissions")
and the README's table of who can do what, never read from the views' configuration (that
would test the views against themselves). Who holds each permission comes from the
application's own role tables: ``ROLE_PERMISSIONS`` of organizations and of projects and the
root ACL's ``ROOT_PERMISSIONS``; ``test_the_root_acl_gives_staff_what_the_contract_says``
checks that table against the contract's sentences about staff.

Each case sends a valid request (a form that would succeed) and checks what a person sees:
allowed pages answer 200 (or send the browser on to another page, never to log in), allowed
forms do what they say and change something; a visitor is sent to log in; an account without a
verified email or two-factor authentication is told which to set up; anyone else is refused
with 403. A refused form changes nothing: no table gains or loses a row, no row is edited and
no mail leaves. Pages change nothing either.

One test per route and method puts the question to every principal in turn, each in a
savepoint of the same rows (tests/common/permission_world.py).
"""

import base64
import datetime
import enum
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import webtest
from pyramid.authorization import Authenticated
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from tests.common.concurrency import service_request
from tests.common.db.accounts import PASSWORD, EmailFactory, totp_code
from tests.common.db.domains import OrganizationDomainFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationRoleFactory,
    TeamFactory,
    TeamProjectRoleFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.db.subscriptions import (
    ManualActivationFactory,
    StripeCustomerFactory,
    StripeSubscriptionFactory,
    pay_at_local_stripe,
)
from tests.common.instant_login import start_session
from tests.common.pages import main_text
from tests.common.permission_world import (
    PRINCIPALS,
    PRINCIPALS_BY_LABEL,
    RECOVERY_CODE,
    Principal,
    Seat,
    World,
    fresh,
)
from tests.common.table_snapshots import TableSnapshot, table_snapshot
from tests.common.webhooks import envelope, signed_delivery
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.services import (
    PASSWORD_RESET_ACTION,
    TokenService,
    new_totp_secret,
    password_state,
    totp_for,
)
from warehouse_orgs.authnz import Permissions, Principals
from warehouse_orgs.organizations.models import (
    OrganizationHandover,
    OrganizationOwnerChange,
    OrganizationProject,
    OrganizationType,
    TeamProjectRole,
)
from warehouse_orgs.organizations.owner_approval_models import OwnerChangeKind
from warehouse_orgs.organizations.permissions import ROLE_PERMISSIONS as ORGANIZATION_ROLES
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ROLE_PERMISSIONS as PROJECT_ROLES
from warehouse_orgs.packaging.models import ProjectRoleName
from warehouse_orgs.root import ROOT_PERMISSIONS
from warehouse_orgs.subscriptions.interfaces import ProviderSubscription
from warehouse_orgs.subscriptions.models import (
    BillingTermsAgreement,
    ManualActivation,
    StripeCustomer,
    StripeSubscription,
)
from warehouse_orgs.subscriptions.products import sync_products

P = Permissions
Org = OrganizationRoleType
NEW_PASSWORD = "another correct horse battery staple"
# The email token's salt and lifetime, as accounts/__init__.py registers the service.
EMAIL_TOKEN_SALT = "email"
EMAIL_TOKEN_MAX_AGE = 24 * 60 * 60
# Session keys of the login flow and of two-factor set-up (accounts/views.py,
# manage/views/account.py): a case that starts half-way through a flow puts them in its session.
TWO_FACTOR_PENDING = "auth.two_factor_pending"
TOTP_PROVISION = "totp.provision_secret"
EMAIL_VERIFY_ACTION = "email-verify"

NOT_ALLOWED = "You do not have permission to see this page."
LOG_IN_FIRST = "Log in to do this."
SET_UP_TWO_FACTOR = "Set up two-factor authentication first"
VERIFY_EMAIL_FIRST = "Verify your email address first"


# --- What each route needs, and who holds it (who asks: tests/common/permission_world.py) --


class Context(enum.Enum):
    """What the permission is checked against."""

    ROOT = "the site"
    ORGANIZATION = "the organization in the URL"
    PROJECT = "the project in the URL"
    APPLICATION = "the organization application in the URL"


@dataclass(frozen=True)
class Need:
    context: Context
    permission: Permissions
    # A page only a Company organization has (billing): a Community one answers 404 to those
    # who hold the permission there.
    company_only: bool = False


PUBLIC = None  # anyone, signed in or not


# Looking after one's own account: the README gives every signed-in person this, with or
# without two-factor authentication ("newbie ... their account only, until they set it up").
ACCOUNT = Need(Context.ROOT, P.AccountManage)


def root(permission: Permissions) -> Need:
    return Need(Context.ROOT, permission)


def org(permission: Permissions) -> Need:
    return Need(Context.ORGANIZATION, permission)


def project(permission: Permissions) -> Need:
    return Need(Context.PROJECT, permission)


STAFF_GROUPS = {
    "is_superuser": Principals.admins,
    "is_moderator": Principals.moderators,
    "is_support": Principals.support,
    "is_psf_staff": Principals.psf_staff,
}


def holds(principal: Principal, need: Need) -> bool:
    """Whether the role tables give ``principal`` the permission ``need`` names, on the object
    the route is asked about (two-factor authentication aside)."""
    if need.context is Context.ROOT:
        groups = [Authenticated, *(STAFF_GROUPS[flag] for flag in principal.staff_flags)]
        return any(need.permission in ROOT_PERMISSIONS.get(group, ()) for group in groups)
    if need.context is Context.ORGANIZATION:
        role = principal.organization
        return role is not None and need.permission in ORGANIZATION_ROLES[role[1]]
    if need.context is Context.PROJECT:
        granted = set(PROJECT_ROLES[principal.project_role]) if principal.project_role else set()
        # ARCHITECTURE.md: "the Owners of the organization that owns the project (administer)".
        # The project asked about belongs to the organization the principal is asked about.
        if principal.organization and principal.organization[1] == Org.Owner:
            granted |= set(PROJECT_ROLES[ProjectRoleName.Owner])
        return need.permission in granted
    # Only the applicant follows their application.
    return principal.applicant and need.permission == P.OrganizationApplicationsManage


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    LOG_IN = "sent to log in"
    NEEDS_VERIFIED_EMAIL = "told to verify their email address"
    NEEDS_TWO_FACTOR = "told to set up two-factor authentication"
    REFUSED = "refused (403)"
    NOT_FOUND = "not found (404): a Community organization has no such page"


def expected_outcome(principal: Principal, need: Need | None) -> Outcome:
    if need is PUBLIC:
        return Outcome.ALLOWED
    if not principal.signed_in:
        return Outcome.LOG_IN
    if not holds(principal, need):
        return Outcome.REFUSED
    # ARCHITECTURE.md: "Every organization permission needs a verified primary email and
    # two-factor authentication"; the README leaves such an account only its own pages.
    if need != ACCOUNT and not principal.verified_email:
        return Outcome.NEEDS_VERIFIED_EMAIL
    if need != ACCOUNT and not principal.two_factor:
        return Outcome.NEEDS_TWO_FACTOR
    if need.company_only and principal.organization_type == OrganizationType.Community:
        return Outcome.NOT_FOUND
    return Outcome.ALLOWED


# --- The requests -------------------------------------------------------------------------


@dataclass
class Visit:
    """One request's data: form fields (POST) or query (GET), and what its session holds."""

    params: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    # Why this request, though allowed, changes nothing here (None: it must change something).
    unchanged_because: str | None = None
    # Why this request, once done, rightly sends the browser to log in (None: it must not).
    logs_in_after_because: str | None = None
    # A body sent as it is, with its headers, instead of form fields (a provider's webhook).
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The 4xx an allowed request rightly answers with (None: it must answer 2xx or 3xx).
    allowed_status: int | None = None


Builder = Callable[[Seat], Visit]


def plain(w: Seat) -> Visit:
    return Visit()


def half_logged_in(user: User) -> dict[str, Any]:
    """A session that has passed the password step for ``user``."""
    since = datetime.datetime.now(datetime.UTC).timestamp()
    return {TWO_FACTOR_PENDING: {"userid": str(user.id), "since": since}}


def register(w: Seat) -> Visit:
    name = fresh("newcomer")
    fields = {
        "username": name,
        "full_name": "",
        "email": f"{name}@example.com",
        "new_password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    signed_in = "a signed-in person is sent to their account page" if w.user else None
    return Visit(fields, unchanged_because=signed_in)


def log_in(w: Seat) -> Visit:
    return Visit({"username": w.world.password_only.username, "password": PASSWORD})


def second_factor(w: Seat) -> Visit:
    someone = w.world.half_logged_in
    return Visit({"totp_value": totp_code(someone)}, session=half_logged_in(someone))


def second_factor_page(w: Seat) -> Visit:
    return Visit(session=half_logged_in(w.world.half_logged_in))


def recovery_code(w: Seat) -> Visit:
    session = half_logged_in(w.world.half_logged_in)
    return Visit({"recovery_code_value": RECOVERY_CODE}, session=session)


def log_out(w: Seat) -> Visit:
    nobody = None if w.user else "nobody is signed in, so nobody leaves"
    return Visit(unchanged_because=nobody)


def unverified_email_token(w: Seat) -> Visit:
    email = w.world.unverified_email
    tokens = TokenService(w.world.settings["token.secret"], EMAIL_TOKEN_SALT, EMAIL_TOKEN_MAX_AGE)
    data = {"action": EMAIL_VERIFY_ACTION, "email.id": str(email.id), "email": email.email}
    return Visit({"token": tokens.dumps(data)})


def ask_for_password_reset(w: Seat) -> Visit:
    return Visit({"username_or_email": w.world.password_only.username})


def password_reset_token(w: Seat) -> str:
    # The password token's salt and lifetime, as accounts/__init__.py registers the service.
    tokens = TokenService(w.world.settings["token.secret"], "password", 6 * 60 * 60)
    user = w.world.password_only
    return tokens.dumps(
        {"action": PASSWORD_RESET_ACTION, "user.id": str(user.id), "state": password_state(user)}
    )


def reset_password(w: Seat) -> Visit:
    fields = {"new_password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    return Visit(
        {"token": password_reset_token(w), **fields},
        logs_in_after_because="a new password is used by logging in with it",
    )


def password(w: Seat) -> Visit:
    return Visit({"password": PASSWORD})


def change_password(w: Seat) -> Visit:
    return Visit(
        {"password": PASSWORD, "new_password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )


def own_email_id(w: Seat, *, verified: bool) -> Visit:
    if w.user is None:
        return Visit({"email_id": str(uuid.uuid4())})
    email = EmailFactory.create(user=w.user, primary=False, verified=verified)
    return Visit({"email_id": str(email.id)})


def own_email_removal(w: Seat) -> Visit:
    """The removal's second button sends the address back (templates/_confirm.html)."""
    if w.user is None:
        return Visit({"email_id": str(uuid.uuid4()), "confirm_email": "nobody@example.com"})
    email = EmailFactory.create(user=w.user, primary=False, verified=True)
    return Visit({"email_id": str(email.id), "confirm_email": email.email})


def provision_totp(w: Seat) -> Visit:
    if w.user is None or w.principal.two_factor:
        return Visit(
            {"totp_value": "123456"},
            unchanged_because="two-factor authentication is already on",
        )
    secret = new_totp_secret()
    return Visit(
        {"totp_value": totp_for(secret).now()},
        session={TOTP_PROVISION: base64.b32encode(secret).decode()},
    )


def confirm_with_password_if_two_factor(w: Seat) -> Visit:
    without = None if w.principal.two_factor else "two-factor authentication is not on"
    return Visit({"password": PASSWORD}, unchanged_because=without)


def delete_account(w: Seat) -> Visit:
    return Visit({"confirm_username": w.user.username if w.user else "x", "password": PASSWORD})


def organization_details(w: Seat) -> Visit:
    return Visit(
        {
            "display_name": "A Better Name",
            "link_url": "https://better.example.com/",
            "description": "Changed by the permission matrix.",
            "orgtype": w.organization.orgtype,
        }
    )


def delete_organization(w: Seat) -> Visit:
    # Only an organization without projects can be deleted; the world's owns one.
    w.db.execute(
        delete(OrganizationProject).where(OrganizationProject.organization_id == w.organization.id)
    )
    return Visit({"confirm_organization_name": w.organization.name})


def apply_for_organization(w: Seat) -> Visit:
    return Visit(
        {
            "name": fresh("applying-"),
            "display_name": "Applying",
            "link_url": "https://applying.example.com/",
            "description": "We publish packages together.",
            "orgtype": "Community",
            "usage": "Several of us maintain the same packages and want one place for them.",
            "membership_size": "2-5",
        }
    )


def answer_invitation(w: Seat, **extra: str) -> Visit:
    return Visit({"token": w.own_invitation_token, **extra})


def own_role_or_someone_elses(w: Seat) -> Visit:
    """Leaving: one's own role; a person with no role asks to remove someone else's."""
    if w.own_role is not None:
        return Visit({"role_id": str(w.own_role.id), "confirm_name": w.organization.name})
    return Visit({"role_id": str(w.member.id), "confirm_username": w.member.user.username})


def invite(w: Seat) -> Visit:
    return Visit({"username": w.world.spare.username, "role_name": "Member"})


def own_team_role_or_someone_elses(w: Seat) -> Visit:
    """Leaving a team: one's own membership; a person on no team asks to remove someone."""
    if w.own_team_role is not None:
        return Visit({"role_id": str(w.own_team_role.id), "confirm_team_name": w.team.name})
    return remove_team_member(w)


def remove_team_member(w: Seat) -> Visit:
    username = w.member.user.username
    return Visit({"role_id": str(w.team_member.id), "confirm_username": username})


def other_team_grant(w: Seat) -> TeamProjectRole:
    """A Maintainer role on the project for a team of its organization nobody asking is on,
    so the own-team Owner rule never decides the case."""
    team = TeamFactory.create(organization=w.organization, name=fresh("Granted team "))
    return TeamProjectRoleFactory.create(team=team, project=w.project)


def remove_other_team_grant(w: Seat) -> Visit:
    grant = other_team_grant(w)
    return Visit({"grant_id": str(grant.id), "confirm_team_name": grant.team.name})


def organization_domain(w: Seat) -> Any:
    """A domain of the organization the case is about (verified, so removing it shows)."""
    return OrganizationDomainFactory.create(
        organization=w.organization,
        domain=fresh("matrix-") + ".example.org",
        verified_at=datetime.datetime.now(datetime.UTC),
    )


def verify_domain(w: Seat) -> Visit:
    """Nothing answers DNS in these tests (tests/conftest.py's resolver): the attempt is
    recorded, with what it found, and the badge stays."""
    return Visit({"domain_id": str(organization_domain(w).id)})


def remove_domain(w: Seat) -> Visit:
    domain = organization_domain(w)
    return Visit({"domain_id": str(domain.id), "confirm_domain": domain.domain})


def transfer_to_own_organization(w: Seat) -> Visit:
    """Into a new organization the one asking owns (the co-owner's, for a visitor), confirmed:
    the move goes through for those who may move the project out of its organization."""
    target = OrganizationFactory.create(name=fresh("matrix-target-"))
    OrganizationRoleFactory.create(
        organization=target, user=w.user or w.world.co_owner, role_name=Org.Owner
    )
    return Visit({"organization": target.name, "confirm": "y"})


def remove_leaving_co_owner(w: Seat) -> Visit:
    """Out of its organization, its individual co-owner left its Owner, confirmed."""
    return Visit({"owner": w.world.co_owner.username, "confirm": "y"})


def agree_then_go_to_checkout(w: Seat) -> Visit:
    """The terms already agreed (as activate/ records them): the billing page's button makes
    the customer and sends the person to the checkout."""
    w.db.add(
        BillingTermsAgreement(
            organization_id=w.organization.id, user_id=None, revision="test", interval="month"
        )
    )
    w.db.flush()
    return Visit({})


def add_own_project(w: Seat) -> Visit:
    """A project outside any organization, whose individual Owner is the one asking (the
    co-owner's, for a visitor), confirmed: the add goes through for those who may add."""
    project = ProjectFactory.create(name=fresh("matrix-own-project-"))
    RoleFactory.create(
        project=project, user=w.user or w.world.co_owner, role_name=ProjectRoleName.Owner
    )
    return Visit({"project": project.name, "confirm": "y"})


def signed_provider_event(w: Seat) -> Visit:
    """A provider event the billing mirror records and otherwise ignores, signed with the
    webhook secret: the signature, not a login, is the proof, so it is applied for anyone."""
    event = envelope("charge.refunded", {"id": fresh("ch_matrix"), "object": "charge"})
    body, signature = signed_delivery(event, w.world.settings["billing.webhook_secret"])
    return Visit(body=body, headers={"Stripe-Signature": signature})


# Staff's billing of a Company organization (the organization's staff page).


def organization_subscription(seat: Seat) -> StripeSubscription:
    """The live subscription a cancel URL names: one is made for the organization the first
    time a case asks, inside the principal's savepoint."""
    found = seat.db.scalars(
        select(StripeSubscription)
        .join(StripeCustomer, StripeCustomer.id == StripeSubscription.customer_id)
        .where(StripeCustomer.organization_id == seat.organization.id)
        .options(joinedload(StripeSubscription.customer), joinedload(StripeSubscription.item))
    ).first()
    if found is None:
        customer = StripeCustomerFactory.create(organization=seat.organization)
        found = StripeSubscriptionFactory.create(customer=customer)
    return found


# api_base -> a subscription paid for at that local Stripe, once per worker: every principal
# cancels the same one, which the provider takes again without complaint, while its local
# mirror starts afresh in each savepoint.
_PAID_AT_LOCAL_STRIPE: dict[str, ProviderSubscription] = {}


def cancel_paid_subscription(w: Seat) -> Visit:
    """The URL's subscription is one paid for at the local Stripe; the second button sends
    its id."""
    subscription = organization_subscription(w)
    paid = _PAID_AT_LOCAL_STRIPE[w.world.settings["billing.api_base"]]
    subscription.customer.customer_id = paid.customer_id
    subscription.subscription_id = paid.subscription_id
    subscription.item.subscription_item_id = paid.subscription_item_id
    w.db.flush()
    return Visit({"confirm": paid.subscription_id})


def manual_activation_fields(seat_limit: int) -> dict[str, str]:
    expires = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=60)
    return {"seat_limit": str(seat_limit), "expires": expires.isoformat()}


def with_manual_activation(w: Seat, present: bool) -> None:
    """The organization with a manual activation of 5 seats, or without one."""
    w.db.execute(
        delete(ManualActivation).where(ManualActivation.organization_id == w.organization.id)
    )
    if present:
        ManualActivationFactory.create(organization=w.organization, seat_limit=5)
    w.db.flush()


def add_manual_activation(w: Seat) -> Visit:
    with_manual_activation(w, present=False)
    return Visit(manual_activation_fields(25))


def update_manual_activation(w: Seat) -> Visit:
    with_manual_activation(w, present=True)
    return Visit(manual_activation_fields(26))


def delete_manual_activation(w: Seat) -> Visit:
    with_manual_activation(w, present=True)
    return Visit({"confirm": w.organization.name})


# Succession (issue 13): a handover of the organization to its member.


def pending_handover(w: Seat) -> OrganizationHandover:
    """A pending handover naming the organization's member, made inside the savepoint."""
    handover = OrganizationHandover(
        organization_id=w.organization.id,
        candidate_role_id=w.member.id,
        candidate_username=w.member.user.username,
        reason="The Owners have not been seen for years.",
        takes_effect_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7),
    )
    w.db.add(handover)
    w.db.flush()
    return handover


def start_handover(w: Seat) -> Visit:
    return Visit({"candidate": w.member.user.username, "reason": "The Owners have not been seen."})


def cancel_handover(w: Seat) -> Visit:
    pending_handover(w)
    return Visit({"why": "An Owner answered us."})


def object_to_handover(w: Seat) -> Visit:
    pending_handover(w)
    return Visit({"objection": "I am still here."})


# A second Owner's approval (issue 13): a proposal waiting in an organization that requires it.


def waiting_owner_change(w: Seat, proposer: User | None = None) -> OrganizationOwnerChange:
    """The organization requires a second Owner; ``proposer`` (the co-owner unless given)
    proposes making its member an Owner."""
    w.organization.owner_changes_need_approval = True
    by = proposer or w.world.co_owner
    change = OrganizationOwnerChange(
        organization_id=w.organization.id,
        kind=OwnerChangeKind.MakeOwner,
        subject=w.member.user.username,
        subject_key=f"role:{w.member.id}",
        role_id=w.member.id,
        old_role=w.member.role_name,
        new_role=Org.Owner,
        proposed_by_id=by.id,
        proposed_by_username=by.username,
        expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=72),
    )
    w.db.add(change)
    w.db.flush()
    return change


def decide_owner_change(w: Seat) -> Visit:
    return Visit({"change_id": str(waiting_owner_change(w).id)})


def withdraw_owner_change(w: Seat) -> Visit:
    # Only its proposer withdraws: the principal proposes it (anyone refused never gets there).
    return Visit({"change_id": str(waiting_owner_change(w, proposer=w.user or None).id)})


# --- Sponsors --------------------------------------------------------------------------------

LOGOS = Path(__file__).parents[1] / "fixtures" / "logos"


def sponsor_inquiry(w: Seat) -> Visit:
    return Visit(
        {
            "company": "Matrix Widgets",
            "contact_name": "Ann Contact",
            "contact_email": "ann@matrix-widgets.example.com",
            "level": str(w.world.sponsor_level.id),
            "message": "We would like to sponsor the index.",
            "website": "",
        }
    )


def sponsor_fields(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "slug": "",
        "link_url": "https://sponsor.example.com/",
        "service": "",
        "activity_markdown": "",
        "level_name": "",
        "level_order": "0",
        "is_active": "y",
    }


def new_sponsor(w: Seat) -> Visit:
    logo = webtest.Upload("logo.png", (LOGOS / "logo.png").read_bytes(), "image/png")
    return Visit({**sponsor_fields(fresh("Matrix Sponsor ")), "color_logo": logo})


def edit_sponsor(w: Seat) -> Visit:
    """An edit keeps the slug (only a new sponsor gets one made from its name)."""
    return Visit({**sponsor_fields(fresh("Renamed Sponsor ")), "slug": w.world.sponsor.slug})


def level_fields(name: str) -> dict[str, Any]:
    return {"name": name, "yearly_amount": "15000", "benefits": "Logo", "position": "3"}


SPONSORS_READ = root(P.AdminSponsorsRead)
SPONSORS_WRITE = root(P.AdminSponsorsWrite)


@dataclass(frozen=True)
class Route:
    """What a route needs: for GET, and for each of its POST views (by the view's method name;
    ``name:variant`` for a second case). An action URL only takes POSTs: ``back_to`` names the
    page it belongs to, where a GET on it sends the browser (issue 7), for those who may see
    that page."""

    get: Need | None = PUBLIC
    get_visit: Builder = plain
    posts: dict[str, tuple[Need | None, Builder]] = field(default_factory=dict)
    back_to: str | None = None


def action(need: Need | None, builder: Builder, attr: str, back_to: str) -> Route:
    return Route(posts={attr: (need, builder)}, back_to=back_to)


ORGANIZATION_MANAGE = org(P.OrganizationsManage)
# A team's pages ask its organization's ACL (the team's is the organization's).
TEAMS_READ = org(P.OrganizationTeamsRead)
TEAMS_MANAGE = org(P.OrganizationTeamsManage)
PROJECT_WRITE = project(P.ProjectsWrite)
# Everyone who may see a Community organization's billing page is told it is free; its forms
# exist only for a Company organization.
BILLING = org(P.OrganizationsBillingManage)
BILLING_POST = Need(Context.ORGANIZATION, P.OrganizationsBillingManage, company_only=True)
APPLICATION_MANAGE = Need(Context.APPLICATION, P.OrganizationApplicationsManage)
STAFF_ORGANIZATIONS_READ = root(P.AdminOrganizationsRead)
STAFF_ORGANIZATIONS_WRITE = root(P.AdminOrganizationsWrite)


DECISION_FIELDS = {
    "approve": {"decision": "approve", "message": "Welcome."},
    "decline": {"decision": "decline", "message": "Sorry.", "confirm_decline": "y"},
    "defer": {"decision": "defer", "message": ""},
    "requestmoreinfo": {"decision": "requestmoreinfo", "message": "Which projects?"},
    "addnote": {"decision": "addnote", "message": "Looks fine."},
}

ROUTES: dict[str, Route] = {
    # Public pages.
    "index": Route(PUBLIC),
    "health": Route(PUBLIC),
    "organizations.directory": Route(PUBLIC),
    "organizations.profile": Route(PUBLIC),
    "packaging.project": Route(PUBLIC),
    "sponsors": Route(PUBLIC),
    # The prospectus's inquiry form takes anyone's message.
    "sponsor": Route(PUBLIC, posts={"inquire": (PUBLIC, sponsor_inquiry)}),
    # The payment provider's webhook: opened in a browser it says it only takes POSTs (405).
    "billing.webhook": Route(
        PUBLIC,
        lambda w: Visit(allowed_status=405),
        posts={"billing_webhook": (PUBLIC, signed_provider_event)},
    ),
    # Signing in and out: open to anyone (a signed-in person is sent on where it makes sense).
    "accounts.register": Route(PUBLIC, posts={"register": (PUBLIC, register)}),
    "accounts.login": Route(PUBLIC, posts={"login": (PUBLIC, log_in)}),
    "accounts.two_factor": Route(
        PUBLIC, second_factor_page, posts={"verify": (PUBLIC, second_factor)}
    ),
    "accounts.recovery_code": Route(
        PUBLIC, second_factor_page, posts={"verify": (PUBLIC, recovery_code)}
    ),
    "accounts.logout": Route(PUBLIC, posts={"logout": (PUBLIC, log_out)}),
    "accounts.verify_email": Route(
        PUBLIC, unverified_email_token, posts={"verify": (PUBLIC, unverified_email_token)}
    ),
    # Forgotten passwords: the emailed link is the proof, so anyone may use the pages.
    "accounts.request_password_reset": Route(
        PUBLIC, posts={"send_link": (PUBLIC, ask_for_password_reset)}
    ),
    "accounts.reset_password": Route(
        PUBLIC,
        lambda w: Visit({"token": password_reset_token(w)}),
        posts={"reset": (PUBLIC, reset_password)},
    ),
    # One's own account.
    "accounts.reauthenticate": Route(ACCOUNT, posts={"confirm": (ACCOUNT, password)}),
    "manage.account": Route(
        ACCOUNT, posts={"save_account": (ACCOUNT, lambda w: Visit({"name": "A New Name"}))}
    ),
    "manage.account.password": action(
        ACCOUNT, change_password, "change_password", "manage.account"
    ),
    "manage.account.email.add": action(
        ACCOUNT,
        lambda w: Visit({"email": fresh("added") + "@example.com"}),
        "add_email",
        "manage.account",
    ),
    "manage.account.email.resend": action(
        ACCOUNT, lambda w: own_email_id(w, verified=False), "resend_verification", "manage.account"
    ),
    "manage.account.email.primary": action(
        ACCOUNT, lambda w: own_email_id(w, verified=True), "set_primary", "manage.account"
    ),
    "manage.account.email.delete": action(
        ACCOUNT, own_email_removal, "delete_email", "manage.account"
    ),
    "manage.account.public_team_projects": action(
        ACCOUNT,
        lambda w: Visit({"public_team_projects": "y"}),
        "save_public_team_projects",
        "manage.account",
    ),
    "manage.account.totp_provision": Route(ACCOUNT, posts={"confirm": (ACCOUNT, provision_totp)}),
    "manage.account.totp_remove": action(
        ACCOUNT, confirm_with_password_if_two_factor, "remove_totp", "manage.account"
    ),
    "manage.account.recovery_codes": action(
        ACCOUNT, confirm_with_password_if_two_factor, "regenerate_recovery_codes", "manage.account"
    ),
    "manage.account.delete": action(ACCOUNT, delete_account, "delete_account", "manage.account"),
    # Invitations: whoever holds the link or is the invitee, once their account is secure.
    "accounts.verify_organization_role": Route(
        root(P.AccountVerifyOrgRole),
        answer_invitation,
        posts={
            "accept": (root(P.AccountVerifyOrgRole), answer_invitation),
            "decline": (
                root(P.AccountVerifyOrgRole),
                lambda w: answer_invitation(w, decline="1", message="No, thank you."),
            ),
        },
    ),
    # Projects.
    "manage.projects": Route(
        root(P.ProjectsCreate),
        posts={"create": (root(P.ProjectsCreate), lambda w: Visit({"name": fresh("made-")}))},
    ),
    "manage.project.settings": Route(
        project(P.ProjectsRead),
        posts={
            "delete": (PROJECT_WRITE, lambda w: Visit({"confirm_project_name": w.project.name}))
        },
    ),
    "manage.project.roles": Route(
        project(P.ProjectsRead),
        posts={
            "add": (
                PROJECT_WRITE,
                lambda w: Visit({"username": w.world.spare.username, "role_name": "Maintainer"}),
            )
        },
    ),
    "manage.project.roles.change": action(
        PROJECT_WRITE,
        lambda w: Visit({"role_id": str(w.collaborator.id), "role_name": "Owner"}),
        "change",
        "manage.project.roles",
    ),
    "manage.project.roles.delete": action(
        PROJECT_WRITE,
        lambda w: Visit(
            {
                "role_id": str(w.collaborator.id),
                "confirm_username": w.collaborator.user.username,
            }
        ),
        "remove",
        "manage.project.roles",
    ),
    # The teams of the project's organization (the world's project belongs to one).
    "manage.project.roles.team": action(
        PROJECT_WRITE,
        lambda w: Visit({"team_name": w.team.name, "role_name": "Maintainer"}),
        "grant_team",
        "manage.project.roles",
    ),
    "manage.project.roles.team.change": action(
        PROJECT_WRITE,
        lambda w: Visit({"grant_id": str(other_team_grant(w).id), "role_name": "Owner"}),
        "change_team",
        "manage.project.roles",
    ),
    "manage.project.roles.team.delete": action(
        PROJECT_WRITE,
        remove_other_team_grant,
        "remove_team",
        "manage.project.roles",
    ),
    "manage.project.history": Route(project(P.ProjectsRead)),
    # Billing: a Company organization's Owners and Billing Managers.
    "manage.organization.subscription": Route(
        BILLING,
        posts={"manage": (BILLING_POST, agree_then_go_to_checkout)},
    ),
    "manage.organization.subscription.activate": Route(
        BILLING,
        posts={"activate": (BILLING_POST, lambda w: Visit({"interval": "month", "terms": "y"}))},
    ),
    # Moving the project out of its organization: its Owners only (the world's project is in
    # one), into an organization the one asking owns, or leaving the co-owner its Owner.
    "manage.project.transfer_organization_project": action(
        org(P.OrganizationProjectsRemove),
        transfer_to_own_organization,
        "transfer",
        "manage.project.settings",
    ),
    "manage.project.remove_organization_project": action(
        org(P.OrganizationProjectsRemove),
        remove_leaving_co_owner,
        "remove",
        "manage.project.settings",
    ),
    # Organizations: applying, and one's applications.
    "manage.organizations": Route(
        root(P.OrganizationApplicationsManage),
        posts={"apply": (root(P.OrganizationApplicationsManage), apply_for_organization)},
    ),
    "manage.organizations.application": Route(
        APPLICATION_MANAGE,
        posts={"act": (APPLICATION_MANAGE, lambda w: Visit({"action": "withdraw"}))},
    ),
    # One organization, self-service (ARCHITECTURE.md's table under "Organizations").
    "manage.organization.settings": Route(
        org(P.OrganizationsRead),
        posts={
            "save": (ORGANIZATION_MANAGE, organization_details),
            "delete": (ORGANIZATION_MANAGE, delete_organization),
        },
    ),
    # Verified domains: forms of the settings page, for Owners.
    "manage.organization.domains.add": action(
        ORGANIZATION_MANAGE,
        lambda w: Visit({"domain": fresh("matrix-added-") + ".example.org"}),
        "add",
        "manage.organization.settings",
    ),
    "manage.organization.domains.verify": action(
        ORGANIZATION_MANAGE, verify_domain, "verify", "manage.organization.settings"
    ),
    "manage.organization.domains.remove": action(
        ORGANIZATION_MANAGE, remove_domain, "remove", "manage.organization.settings"
    ),
    "manage.organization.roles": Route(
        org(P.OrganizationsRead), posts={"invite": (ORGANIZATION_MANAGE, invite)}
    ),
    "manage.organization.change_role": action(
        ORGANIZATION_MANAGE,
        lambda w: Visit({"role_id": str(w.member.id), "role_name": "Manager"}),
        "change",
        "manage.organization.roles",
    ),
    "manage.organization.revoke_invite": action(
        ORGANIZATION_MANAGE,
        lambda w: Visit(
            {
                "invitation_id": str(w.invitation.id),
                "confirm_username": w.invitation.user.username,
            }
        ),
        "revoke",
        "manage.organization.roles",
    ),
    "manage.organization.resend_invite": action(
        ORGANIZATION_MANAGE,
        lambda w: Visit({"invitation_id": str(w.invitation.id)}),
        "resend",
        "manage.organization.roles",
    ),
    "manage.organization.delete_role": Route(
        back_to="manage.organization.roles",
        posts={
            # Leaving needs OrganizationsRoleRemove; removing someone else OrganizationsManage.
            "remove": (org(P.OrganizationsRoleRemove), own_role_or_someone_elses),
            "remove:someone else": (
                ORGANIZATION_MANAGE,
                lambda w: Visit(
                    {"role_id": str(w.member.id), "confirm_username": w.member.user.username}
                ),
            ),
        },
    ),
    "manage.organization.history": Route(ORGANIZATION_MANAGE),
    # Succession (issue 13): only Owners see a pending handover and may object to it.
    "manage.organization.handover": Route(
        ORGANIZATION_MANAGE, posts={"object": (ORGANIZATION_MANAGE, object_to_handover)}
    ),
    # A second Owner's approval (issue 13): only Owners see the proposals and decide.
    "manage.organization.owner_changes": Route(ORGANIZATION_MANAGE),
    "manage.organization.owner_changes.approve": action(
        ORGANIZATION_MANAGE, decide_owner_change, "approve", "manage.organization.owner_changes"
    ),
    "manage.organization.owner_changes.reject": action(
        ORGANIZATION_MANAGE, decide_owner_change, "reject", "manage.organization.owner_changes"
    ),
    "manage.organization.owner_changes.withdraw": action(
        ORGANIZATION_MANAGE, withdraw_owner_change, "withdraw", "manage.organization.owner_changes"
    ),
    "manage.organization.owner_approval": action(
        ORGANIZATION_MANAGE,
        lambda w: Visit({"requirement": "on"}),
        "owner_approval",
        "manage.organization.settings",
    ),
    # Teams (ARCHITECTURE.md: teams/ and team/<team_name>/...).
    "manage.organization.teams": Route(
        TEAMS_READ,
        posts={"create": (TEAMS_MANAGE, lambda w: Visit({"name": fresh("New team ")}))},
    ),
    "manage.team.settings": Route(
        TEAMS_READ,
        posts={
            "rename": (TEAMS_MANAGE, lambda w: Visit({"name": fresh("Renamed team ")})),
            "delete": (TEAMS_MANAGE, lambda w: Visit({"confirm_team_name": w.team.name})),
        },
    ),
    "manage.team.roles": Route(
        TEAMS_READ,
        # The co-owner is in the organization and on no team.
        posts={"add": (TEAMS_MANAGE, lambda w: Visit({"username": w.world.co_owner.username}))},
    ),
    "manage.team.delete_role": Route(
        back_to="manage.team.roles",
        posts={
            # Leaving needs OrganizationsRoleRemove; removing someone else the teams' manage.
            "remove": (org(P.OrganizationsRoleRemove), own_team_role_or_someone_elses),
            "remove:someone else": (TEAMS_MANAGE, remove_team_member),
        },
    ),
    # Organization projects (ARCHITECTURE.md: projects/): every member reads, adding and
    # creating need OrganizationProjectsAdd.
    "manage.organization.projects": Route(
        org(P.OrganizationsRead),
        posts={
            "add": (org(P.OrganizationProjectsAdd), add_own_project),
            "create": (
                org(P.OrganizationProjectsAdd),
                lambda w: Visit({"name": fresh("matrix-new-project-")}),
            ),
        },
    ),
    "manage.team.projects": Route(TEAMS_READ),
    "manage.team.history": Route(TEAMS_READ),
    # Staff (ARCHITECTURE.md, "Staff:", and the README's demo logins).
    "admin.dashboard": Route(root(P.AdminDashboardRead)),
    "admin.user.list": Route(root(P.AdminUsersRead)),
    "admin.user.detail": Route(root(P.AdminUsersRead)),
    "admin.user.staff_flags": action(
        root(P.AdminUsersStaffFlagsWrite),
        lambda w: Visit({"is_support": "y"}),
        "change_staff_flags",
        "admin.user.detail",
    ),
    "admin.organization_application.list": Route(STAFF_ORGANIZATIONS_READ),
    "admin.organization_application.detail": Route(STAFF_ORGANIZATIONS_READ),
    # The application page's one decision form: each decision is a case of its own.
    "admin.organization_application.decide": Route(
        back_to="admin.organization_application.detail",
        posts={
            f"decide:{decision}": (
                STAFF_ORGANIZATIONS_WRITE,
                lambda w, fields=fields: Visit(fields),
            )
            for decision, fields in DECISION_FIELDS.items()
        },
    ),
    # The contract's path for each decision takes the same form, the decision fixed by the path.
    **{
        f"admin.organization_application.{decision}": Route(
            back_to="admin.organization_application.detail",
            posts={
                "decide_by_path": (
                    STAFF_ORGANIZATIONS_WRITE,
                    lambda w, fields=fields: Visit(
                        {key: value for key, value in fields.items() if key != "decision"}
                    ),
                )
            },
        )
        for decision, fields in DECISION_FIELDS.items()
    },
    "admin.organization.list": Route(STAFF_ORGANIZATIONS_READ),
    "admin.organization.detail": Route(
        STAFF_ORGANIZATIONS_READ,
        posts={"edit_details": (STAFF_ORGANIZATIONS_WRITE, organization_details)},
    ),
    "admin.organization.rename": action(
        root(P.AdminOrganizationsNameWrite),
        lambda w: Visit(
            {
                "new_organization_name": fresh("renamed-"),
                "confirm_organization_name": w.organization.name,
            }
        ),
        "rename",
        "admin.organization.detail",
    ),
    "admin.organization.add_role": action(
        root(P.AdminRoleAdd), invite, "add_role", "admin.organization.detail"
    ),
    "admin.organization.update_role": action(
        root(P.AdminRoleUpdate),
        lambda w: Visit({"role_name": "Manager"}),
        "update_role",
        "admin.organization.detail",
    ),
    "admin.organization.delete_role": action(
        root(P.AdminRoleDelete),
        lambda w: Visit({"username": w.member.user.username}),
        "delete_role",
        "admin.organization.detail",
    ),
    # Billing, on a Company organization's staff page: support and admins change it.
    "admin.organization.subscription.cancel": action(
        STAFF_ORGANIZATIONS_WRITE,
        cancel_paid_subscription,
        "cancel_subscription",
        "admin.organization.detail",
    ),
    **{
        f"admin.organization.{name}": action(
            STAFF_ORGANIZATIONS_WRITE, builder, name, "admin.organization.detail"
        )
        for name, builder in [
            ("add_manual_activation", add_manual_activation),
            ("update_manual_activation", update_manual_activation),
            ("delete_manual_activation", delete_manual_activation),
        ]
    },
    # Succession (issue 13): support and admins hand an organization to a member, or stop it.
    "admin.organization.handover.start": action(
        STAFF_ORGANIZATIONS_WRITE, start_handover, "start_handover", "admin.organization.detail"
    ),
    "admin.organization.handover.cancel": action(
        STAFF_ORGANIZATIONS_WRITE, cancel_handover, "cancel_handover", "admin.organization.detail"
    ),
    # Sponsors: PSF staff and admins only (the inquiries hold companies' contact details).
    "admin.sponsor.list": Route(SPONSORS_READ),
    "admin.sponsor.create": Route(SPONSORS_READ, posts={"create": (SPONSORS_WRITE, new_sponsor)}),
    "admin.sponsor.detail": Route(SPONSORS_READ, posts={"edit": (SPONSORS_WRITE, edit_sponsor)}),
    "admin.sponsor.delete": action(
        SPONSORS_WRITE,
        lambda w: Visit({"confirm": w.world.sponsor.name}),
        "delete",
        "admin.sponsor.detail",
    ),
    "admin.sponsor.sync": action(
        SPONSORS_WRITE,
        lambda w: Visit(
            unchanged_because="the tests' app has no feed configured, so the sync says so",
            allowed_status=409,
        ),
        "sync_now",
        "admin.sponsor.list",
    ),
    "admin.sponsor_level.list": Route(
        SPONSORS_READ,
        posts={"create": (SPONSORS_WRITE, lambda w: Visit(level_fields(fresh("Level "))))},
    ),
    "admin.sponsor_level.detail": Route(
        SPONSORS_READ,
        posts={"edit": (SPONSORS_WRITE, lambda w: Visit(level_fields(fresh("Renamed level "))))},
    ),
    "admin.sponsor_level.delete": action(
        SPONSORS_WRITE,
        lambda w: Visit({"confirm": w.world.sponsor_level.name}),
        "delete",
        "admin.sponsor_level.detail",
    ),
    "admin.sponsor_inquiry.list": Route(SPONSORS_READ),
    "admin.sponsor_inquiry.detail": Route(
        SPONSORS_READ,
        posts={
            "follow_up": (SPONSORS_WRITE, lambda w: Visit({"status": "won", "notes": "Signed"}))
        },
    ),
}

# Registered routes the matrix leaves out, and why.
OUT_OF_SCOPE: dict[str, str] = {
    "__static/": "static files, served by Pyramid's own view to anyone",
    "__static/sponsorlogos/": "sponsor logos, static files served to anyone (as /static/)",
    "devtools.mail.list": "development-only mail viewer, never mounted in production",
    "devtools.mail.detail": "development-only mail viewer, never mounted in production",
    "devtools.mail.html": "development-only mail viewer, never mounted in production",
}
TEST_ONLY_PREFIX = "probe."  # tests/common/probe_views.py, included only by the test app

# --- Structure: the table and the application agree ---------------------------------------


def registered_views(app_config: Any) -> dict[str, dict[str, set[str]]]:
    """Route name -> {"GET": {view names}, "POST": {view names}}, from the introspector."""
    introspector = app_config.registry.introspector
    routes: dict[str, dict[str, set[str]]] = {
        item["introspectable"]["name"]: {"GET": set(), "POST": set()}
        for item in introspector.get_category("routes")
    }
    for item in introspector.get_category("views"):
        view = item["introspectable"]
        name = view.get("route_name")
        if name not in routes or name in OUT_OF_SCOPE or name.startswith(TEST_ONLY_PREFIX):
            continue
        methods = view.get("request_methods") or ("GET", "POST")
        for method in {methods} if isinstance(methods, str) else set(methods):
            if method in routes[name]:
                routes[name][method].add(view.get("attr") or view.get("callable").__name__)
    return {
        name: views
        for name, views in routes.items()
        if name not in OUT_OF_SCOPE and not name.startswith(TEST_ONLY_PREFIX)
    }


def test_every_registered_route_has_an_entry(app_config):
    registered = registered_views(app_config)
    missing = sorted(set(registered) - set(ROUTES))
    assert not missing, f"routes with no entry in the permission matrix: {missing}"
    gone = sorted(set(ROUTES) - set(registered))
    assert not gone, f"matrix entries for routes the application no longer has: {gone}"
    problems = []
    for name, route in ROUTES.items():
        views = registered[name]
        if not views["GET"]:
            problems.append(f"{name}: answers no GET, though pages and action URLs all do")
        if route.back_to is not None and ROUTES[route.back_to].back_to is not None:
            problems.append(f"{name}: goes back to {route.back_to}, which is no page")
        post_views = {case.partition(":")[0] for case in route.posts}
        if post_views != views["POST"]:
            problems.append(
                f"{name}: POST views {sorted(views['POST'])}, matrix cases {sorted(post_views)}"
            )
    assert not problems, "\n".join(problems)


def test_the_root_acl_gives_staff_what_the_contract_says():
    """ARCHITECTURE.md: admins hold every Admin* permission; moderators read organizations and
    applications but change nothing; support read and write organizations and applications;
    PSF staff read and write sponsors; nobody gets an organization permission from the root."""
    admin_permissions = {p for p in Permissions if p.name.startswith("Admin")}
    writes = {p for p in admin_permissions if not p.name.endswith("Read")}
    granted = {group: set(permissions) for group, permissions in ROOT_PERMISSIONS.items()}
    assert granted[Principals.admins] == admin_permissions
    assert not granted[Principals.moderators] & writes
    assert P.AdminOrganizationsRead in granted[Principals.moderators]
    assert {P.AdminOrganizationsRead, P.AdminOrganizationsWrite} <= granted[Principals.support]
    assert not granted[Principals.psf_staff] & {
        p for p in admin_permissions if "Organization" in p.name
    }
    assert P.AdminSponsorsWrite in granted[Principals.psf_staff]
    organization_permissions = {
        p for permissions in ORGANIZATION_ROLES.values() for p in permissions
    }
    for group, permissions in granted.items():
        assert not permissions & organization_permissions, group


# --- The matrix -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    route: str
    label: str  # "GET", or "POST <view>"
    need: Need | None
    visit: Builder

    @property
    def method(self) -> str:
        return self.label.split()[0]

    def __str__(self) -> str:
        return f"{self.route}-{self.label}"


CASES = [
    *(
        Case(name, "GET", route.get, route.get_visit)
        for name, route in ROUTES.items()
        if route.back_to is None
    ),
    *(
        Case(name, f"POST {view}", need, builder)
        for name, route in ROUTES.items()
        for view, (need, builder) in route.posts.items()
    ),
]


def route_path(app_config: Any, name: str, seat: Seat) -> str:
    route = app_config.get_routes_mapper().get_route(name)
    placeholders = re.findall(r"{(\w+)", route.pattern)
    return route.generate({key: placeholder(seat, key) for key in placeholders})


def placeholder(seat: Seat, key: str) -> str:
    # A subscription row exists only for the cases that name one.
    if key == "subscription_id":
        return str(organization_subscription(seat).id)
    return seat.placeholder(key)


# Staff POSTs that go to the payment provider: the local Stripe answers them.
STAFF_ON_LOCAL_STRIPE = {"admin.organization.subscription.cancel"}


@pytest.fixture(autouse=True)
def staff_billing_on_local_stripe(request: pytest.FixtureRequest) -> None:
    callspec = getattr(request.node, "callspec", None)
    case = callspec.params.get("case") if callspec else None
    if isinstance(case, Case) and case.route in STAFF_ON_LOCAL_STRIPE and case.method == "POST":
        local_stripe = request.getfixturevalue("app_on_local_stripe")
        if local_stripe.api_base not in _PAID_AT_LOCAL_STRIPE:
            _PAID_AT_LOCAL_STRIPE[local_stripe.api_base] = pay_at_local_stripe(local_stripe)


@dataclass
class Seen:
    """What one request did."""

    response: Any
    before: TableSnapshot
    after: TableSnapshot
    mails: int
    unchanged_because: str | None
    logs_in_after_because: str | None = None
    allowed_status: int | None = None

    @property
    def changed_tables(self) -> list[str]:
        # A session row is rewritten whenever a flash message or CSRF token is stored in it:
        # that is the browser's state, not the application's.
        return self.before.changed_tables(self.after, ignore=frozenset({"browser_sessions"}))

    @property
    def changed_anything(self) -> bool:
        return bool(self.changed_tables) or self.mails > 0

    def shows(self, text: str) -> bool:
        return text in self.response.text

    def describe(self) -> str:
        response = self.response
        where = f" -> {response.location}" if response.location else ""
        text = ""
        if response.content_type == "text/html" and response.html.find("main"):
            text = ": " + main_text(response)[:160]
        return f"{response.status}{where}{text}"


def mail_count(outbox: Any) -> int:
    # Counting the files is enough, and much cheaper than parsing every message.
    return len(list(outbox.path.glob("*.eml"))) if outbox.path.is_dir() else 0


class Asker:
    """Puts one case to principals, each with a fresh browser and session, in a savepoint of
    the world that is rolled back afterwards."""

    def __init__(self, webtest_app: Any, db_session: Any, app_config: Any, outbox: Any) -> None:
        self.app = webtest_app
        self.db = db_session
        self.app_config = app_config
        self.outbox = outbox
        self.world = World(db_session, app_config.registry.settings)

    def ask(self, case: "Case", principal: Principal) -> tuple[str, Seen]:
        """The path asked for (with its query) and what came back."""
        self.app.reset()
        with self.world.seat(principal) as seat:
            path = route_path(self.app_config, case.route, seat)
            visit = case.visit(seat)
            csrf_token = None
            if case.method == "POST" or seat.user is not None or visit.session:
                csrf_token = start_session(self.app, self.db, seat.user, **visit.session)
            before, mails_before = table_snapshot(self.db), mail_count(self.outbox)
            if case.method == "GET":
                if visit.params:
                    path = f"{path}?{urllib.parse.urlencode(visit.params)}"
                response = self.app.get(path, expect_errors=True)
            elif visit.body is not None:
                response = self.app.post(
                    path,
                    visit.body,
                    headers=visit.headers,
                    content_type="application/json",
                    expect_errors=True,
                )
            else:
                fields = {**visit.params, "csrf_token": csrf_token}
                response = self.app.post(path, fields, expect_errors=True)
            mails = mail_count(self.outbox) - mails_before
            return path, Seen(
                response,
                before,
                table_snapshot(self.db),
                mails,
                visit.unchanged_because,
                visit.logs_in_after_because,
                visit.allowed_status,
            )

    def problem(self, case: "Case", principal: Principal) -> str | None:
        """What is wrong with ``principal``'s answer to ``case``, or None."""
        outcome = expected_outcome(principal, case.need)
        path, seen = self.ask(case, principal)
        wrong = wrong_answer(seen, outcome, case.method, path)
        if wrong is None:
            return None
        return (
            f"{principal}: {case.method} {path} expected {outcome.value}, "
            f"got {seen.describe()} ({wrong})"
        )


def wrong_answer(seen: Seen, outcome: Outcome, method: str, path: str) -> str | None:
    response = seen.response
    status = response.status_int
    if status >= 500:
        return "a server error"
    location = response.location or ""
    if outcome is Outcome.ALLOWED:
        if status in (401, 403):
            return "refused"
        if "/account/login/" in location and seen.logs_in_after_because is None:
            return "sent to log in"
        login_page = "http://localhost/account/login/"
        if seen.logs_in_after_because is not None and location != login_page:
            return "not sent to log in"
        if "/account/reauthenticate/" in location:
            return "asked for the password again right after logging in"
        if status >= 400 and status != seen.allowed_status:
            return "a form error, though the request was valid"
        if method == "GET":
            return "the page changed something" if seen.changed_anything else None
        if seen.unchanged_because is None and not seen.changed_anything:
            return "nothing changed"
        return None
    counts = seen.before.count_changes(seen.after)
    if method == "POST" and (seen.changed_anything or counts):
        return f"refused, yet changed {seen.changed_tables or counts}, {seen.mails} mail(s)"
    if method == "GET" and seen.changed_anything:
        return f"a refused page changed {seen.changed_tables}"
    if outcome is Outcome.NOT_FOUND:
        return None if status == 404 else "not 404"
    if outcome is Outcome.LOG_IN:
        if method == "GET":
            login = "http://localhost/account/login/?next=" + urllib.parse.quote(path, safe="")
            return None if status == 303 and location == login else f"not a redirect to {login}"
        return None if status == 403 and seen.shows(LOG_IN_FIRST) else "not 403"
    if status != 403:
        return "not 403"
    wanted = {
        Outcome.NEEDS_TWO_FACTOR: SET_UP_TWO_FACTOR,
        Outcome.NEEDS_VERIFIED_EMAIL: VERIFY_EMAIL_FIRST,
    }.get(outcome, NOT_ALLOWED)
    return None if seen.shows(wanted) else f"403 without {wanted!r}"


@pytest.fixture
def asker(webtest_app, db_session, app_registry, app_config, outbox) -> Asker:
    return Asker(webtest_app, db_session, app_config, outbox)


# POSTs that go to the payment provider: the local Stripe answers them, with prices synced.
ON_LOCAL_STRIPE = {"manage.organization.subscription", "manage.organization.subscription.activate"}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_permission_matrix(asker, case, request):
    """Every principal in turn, each finding the world as it was built."""
    if case.route in ON_LOCAL_STRIPE and case.method == "POST":
        request.getfixturevalue("app_on_local_stripe")
        sync_products(service_request(asker.app_config.registry, asker.db))
    problems = [asker.problem(case, principal) for principal in PRINCIPALS]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


# Enough kinds of person to cover everyone: a visitor, people refused, people without
# two-factor, and in each family of pages someone who may see the page.
ACTION_URL_PRINCIPALS = [
    "anonymous",
    "no-2fa",
    "non-member",
    "company-owner",
    "project-owner",
    "admins",
]


@pytest.mark.parametrize(
    "name", [name for name, route in ROUTES.items() if route.back_to is not None]
)
def test_opening_an_action_url_goes_back_to_its_page(asker, app_config, name):
    """A URL that only takes POSTs, opened as a page (a reload after a refused form, a shared
    link): whoever may see its page is sent there; anyone else is answered as the page would
    answer them. Nothing changes either way."""
    page = ROUTES[name].back_to
    problems = []
    for label in ACTION_URL_PRINCIPALS:
        principal = PRINCIPALS_BY_LABEL[label]
        outcome = expected_outcome(principal, ROUTES[page].get)
        path, seen = asker.ask(Case(name, "GET", None, plain), principal)
        if outcome is Outcome.ALLOWED:
            with asker.world.seat(principal) as seat:
                page_url = "http://localhost" + route_path(app_config, page, seat)
            status, location = seen.response.status_int, seen.response.location
            wrong = None if (status, location) == (303, page_url) else f"not 303 to {page_url}"
            wrong = wrong or ("it changed something" if seen.changed_anything else None)
        else:
            wrong = wrong_answer(seen, outcome, "GET", path)
        if wrong:
            problems.append(
                f"{label}: GET {path} expected {outcome.value}, got {seen.describe()} ({wrong})"
            )
    assert not problems, "\n".join(problems)
