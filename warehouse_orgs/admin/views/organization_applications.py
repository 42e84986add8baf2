"""/admin/organization_applications/...: the review queue, one application in depth, and the
one form with which staff decide on it.

Reading needs AdminOrganizationsRead (moderators too); every action needs
AdminOrganizationsWrite (support and admins).
"""

import datetime
import urllib.parse
from collections.abc import Callable
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults
from sqlalchemy import Select, Text, cast, func, or_, select, union
from sqlalchemy.orm import contains_eager
from webob.multidict import MultiDict

from warehouse_orgs.accounts.models import User
from warehouse_orgs.admin.forms import ApplicationDecisionForm, Decision
from warehouse_orgs.admin.sections import sections_for
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.domains.review import verified_domains_of_link
from warehouse_orgs.labels import label
from warehouse_orgs.organizations.emails import email_applicant
from warehouse_orgs.organizations.forms import ApplicationSearchForm
from warehouse_orgs.organizations.interfaces import (
    IOrganizationApplicationService,
    OrganizationError,
)
from warehouse_orgs.organizations.models import (
    UNDECIDED_STATUSES,
    ApplicationMessageKind,
    OrganizationApplication,
    OrganizationApplicationStatus,
)
from warehouse_orgs.pagination import page_number, paginate
from warehouse_orgs.search import LIKE_ESCAPE, contains_pattern

READ = Permissions.AdminOrganizationsRead
WRITE = Permissions.AdminOrganizationsWrite
COMPETITOR_DECLINE_MESSAGE = "Another application for this name was approved."
NAME_TAKEN_REASON = (
    "Approve is not offered: an organization has, or once had, this name, and a name is "
    "never given out twice. Decline, or ask the applicant to apply under another name."
)

Application = OrganizationApplication


def application_search(form: ApplicationSearchForm) -> Select[Any]:
    """Applications matching the list's filters, oldest first, applicants loaded in the same
    query."""
    query = (
        select(Application)
        .join(User, User.id == Application.submitted_by_id)
        .options(contains_eager(Application.submitted_by))
        .order_by(Application.submitted, Application.id)
    )
    status = form.status.data or "undecided"
    if status == "undecided":
        query = query.where(Application.status.in_(UNDECIDED_STATUSES))
    elif status != "all":
        query = query.where(Application.status == status)
    if form.type.data:
        query = query.where(Application.orgtype == form.type.data)
    if form.age.data is not None:
        cutoff = func.now() - datetime.timedelta(days=form.age.data)
        query = query.where(Application.submitted < cutoff)
    if form.q.data:
        query = query.where(Application.id.in_(_matching_applications(form.q.data)))
    return query


def _matching_applications(q: str) -> Any:
    """Applications whose name, display name or applicant's username holds ``q``, as two
    searches the trigram indexes answer (an OR across the join would read every row)."""
    pattern = contains_pattern(q)
    by_name = select(Application.id).where(
        or_(
            Application.name.ilike(pattern, escape=LIKE_ESCAPE),
            Application.display_name.ilike(pattern, escape=LIKE_ESCAPE),
        )
    )
    by_applicant = (
        select(Application.id)
        .join(User, User.id == Application.submitted_by_id)
        .where(cast(User.username, Text).ilike(pattern, escape=LIKE_ESCAPE))
    )
    return union(by_name, by_applicant)


def link_matches_email_domain(link_url: str, user: User) -> str | None:
    """The applicant's verified email domain that link_url's host is, or is under; or None."""
    host = (urllib.parse.urlsplit(link_url).hostname or "").lower().rstrip(".")
    for email in user.emails:
        if not email.verified:
            continue
        domain = email.email.rpartition("@")[2].lower()
        if domain and (host == domain or host.endswith("." + domain)):
            return domain
    return None


@view_defaults(
    route_name="admin.organization_application.list",
    renderer="admin/organization_applications/list.html",
)
class ApplicationListPage:
    def __init__(self, request: Request) -> None:
        self.request = request

    @view_config(request_method="GET", permission=READ)
    def show(self) -> dict[str, Any]:
        form = ApplicationSearchForm(self.request.GET)
        if form.validate():
            applications = paginate(
                self.request.db, application_search(form), page_number(self.request)
            )
        else:
            self.request.response.status = 400
            applications = None
        return {
            "form": form,
            "applications": applications,
            "admin_sections": sections_for(self.request),
        }


def decisions_for(application: OrganizationApplication, name_taken: bool) -> list[Decision]:
    """What can succeed for this application as it stands: the page offers only these, and the
    form refuses anything else. A decided application takes notes only."""
    if not application.is_undecided:
        return [Decision.Note]
    offered = [Decision.Question, Decision.Decline, Decision.Note]
    if application.status != OrganizationApplicationStatus.Deferred:
        offered.insert(1, Decision.Defer)
    if not name_taken:
        offered.insert(0, Decision.Approve)
    return offered


@view_defaults(renderer="admin/organization_applications/detail.html")
class ApplicationDetailPage:
    """/admin/organization_applications/<id>/ and its one decision form, which posts to
    .../decide/. With ``next`` ticked a decision goes on to the next oldest application waiting
    for review; otherwise back to this page."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.service = request.find_service(IOrganizationApplicationService)
        self.db = request.db

    def target(self, *, with_applicant: bool = False) -> OrganizationApplication:
        application_id = self.request.matchdict["application_id"]
        application = (
            self.service.get_application_with_applicant(application_id)
            if with_applicant
            else self.service.get_application(application_id)
        )
        if application is None:
            raise HTTPNotFound("There is no application with this id.")
        return application

    def decision_form(
        self, application: OrganizationApplication, name_taken: bool, formdata: Any = None
    ) -> ApplicationDecisionForm:
        """The decision form for the application as it stands: ``name_taken`` (an
        organization has, or had, its name) takes Approve away."""
        offered = decisions_for(application, name_taken)
        if not application.is_undecided:
            because = f"This application is already {label(application.status)}; add a note."
        elif name_taken:
            because = NAME_TAKEN_REASON
        else:
            because = ""
        return ApplicationDecisionForm(formdata, offered=offered, not_offered_because=because)

    def page(
        self,
        application: OrganizationApplication,
        status: int = 200,
        form: ApplicationDecisionForm | None = None,
    ) -> dict[str, Any]:
        self.request.response.status = status
        applicant = application.submitted_by
        review = self.service.review(application, page_number(self.request))
        may_act = bool(self.request.has_permission(WRITE))
        blank = self.decision_form(application, review.name_taken)
        if form is not None:
            # A refused form keeps what was typed, against what is offered now.
            form.offered = blank.offered
            form.decision.choices = blank.decision.choices
            form.not_offered_because = blank.not_offered_because
        return {
            "application": application,
            "applicant": applicant,
            "account_age_days": (datetime.datetime.now(datetime.UTC) - applicant.date_joined).days,
            "other_applications": review.other_applications,
            "similar": {
                "organizations": review.similar_organizations,
                "applications": review.similar_applications,
            },
            "matching_domain": link_matches_email_domain(application.link_url, applicant),
            "verified_domains": verified_domains_of_link(application.link_url, review.extra_facts),
            "conversation": self.service.messages(application, include_notes=True),
            "events": review.events,
            "may_act": may_act,
            "decision_form": (form or blank) if may_act else None,
            "competing": review.competing,
            "name_taken": review.name_taken,
            "admin_sections": sections_for(self.request),
        }

    def done(self, application: OrganizationApplication, message: str, go_on: bool) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        if go_on:
            following = self.db.scalars(
                select(Application.id)
                .where(
                    Application.status == OrganizationApplicationStatus.Submitted,
                    Application.id != application.id,
                )
                .order_by(Application.submitted, Application.id)
                .limit(1)
            ).first()
            if following is None:
                self.request.session.flash("No more applications are waiting for review.")
                return HTTPSeeOther(self.request.route_path("admin.organization_application.list"))
            application_id = following
        else:
            application_id = application.id
        return HTTPSeeOther(
            self.request.route_path(
                "admin.organization_application.detail", application_id=application_id
            )
        )

    @view_config(route_name="admin.organization_application.detail", request_method="GET",
                 permission=READ)  # fmt: skip
    def show(self) -> dict[str, Any]:
        return self.page(self.target(with_applicant=True))

    @view_config(route_name="admin.organization_application.decide", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    def decide(self) -> Any:
        return self.take_decision(self.request.POST)

    @view_config(route_name="admin.organization_application.approve", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    @view_config(route_name="admin.organization_application.decline", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    @view_config(route_name="admin.organization_application.defer", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    @view_config(route_name="admin.organization_application.requestmoreinfo",
                 request_method="POST", permission=WRITE, require_reauth=True)  # fmt: skip
    @view_config(route_name="admin.organization_application.addnote", request_method="POST",
                 permission=WRITE, require_reauth=True)  # fmt: skip
    def decide_by_path(self) -> Any:
        """The contract's .../approve/, .../decline/ and so on: the path says the decision."""
        formdata = MultiDict(self.request.POST)
        formdata["decision"] = self.request.matched_route.name.rsplit(".", 1)[1]
        return self.take_decision(formdata)

    def take_decision(self, formdata: Any) -> Any:
        application = self.target()
        name_taken = application.is_undecided and self.service.name_taken(application)
        form = self.decision_form(application, name_taken, formdata)
        if not form.validate():
            return self.page(application, 400, form)
        decision = form.chosen
        try:
            message = DECISIONS[decision](self, application, form.message.data or "")
        except OrganizationError as error:
            # Another reviewer or the applicant got there first, or the name was taken since
            # the page was shown: nothing of this request is kept.
            self.request.tm.doom()
            form.decision.errors = [str(error)]
            return self.page(application, 409, form)
        return self.done(application, message, go_on=bool(form.next.data))

    # Each decision goes through the application service (which takes the application's lock
    # and records the event); the emails are queued to go out after the commit.

    def approve(self, application: OrganizationApplication, message: str) -> str:
        organization, competing = self.service.approve_application(application)
        email_applicant(
            self.request,
            application,
            "organization-application-approved",
            message=message,
            organizations_url=self.request.route_url("manage.organizations"),
        )
        for other in competing:
            email_applicant(
                self.request,
                other,
                "organization-application-declined",
                message=COMPETITOR_DECLINE_MESSAGE,
            )
        declined = (
            f" Also declined, for the same name: {describe_applications(competing)}."
            if competing
            else ""
        )
        return f"{organization.name} is approved; the applicant is emailed.{declined}"

    def decline(self, application: OrganizationApplication, message: str) -> str:
        self.service.decline_application(application)
        email_applicant(
            self.request, application, "organization-application-declined", message=message
        )
        return f"The application for {application.name} is declined; the applicant is emailed."

    def defer(self, application: OrganizationApplication, message: str) -> str:
        self.service.defer_application(application)
        if message:
            # A message with a deferral is for staff: the applicant is not told of it.
            self.service.add_message(application, ApplicationMessageKind.Note, message)
        return f"The application for {application.name} is deferred."

    def ask(self, application: OrganizationApplication, message: str) -> str:
        self.service.add_message(application, ApplicationMessageKind.Question, message)
        email_applicant(
            self.request,
            application,
            "organization-application-more-information",
            message=message,
        )
        return "Your question is sent to the applicant."

    def note(self, application: OrganizationApplication, message: str) -> str:
        self.service.add_message(application, ApplicationMessageKind.Note, message)
        return "Your note is added."


def describe_applications(applications: list[OrganizationApplication]) -> str:
    return ", ".join(f"{other.name} ({other.submitted_by.username})" for other in applications)


DECISIONS: dict[Decision, Callable[[ApplicationDetailPage, OrganizationApplication, str], str]] = {
    Decision.Approve: ApplicationDetailPage.approve,
    Decision.Decline: ApplicationDetailPage.decline,
    Decision.Defer: ApplicationDetailPage.defer,
    Decision.Question: ApplicationDetailPage.ask,
    Decision.Note: ApplicationDetailPage.note,
}
