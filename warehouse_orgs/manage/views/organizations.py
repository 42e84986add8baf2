"""/manage/organizations/ and /manage/organizations/application/<id>/: a user's organizations,
invitations and applications; applying, and following an application through review.

The application page's context is the OrganizationApplication (ApplicationFactory), whose ACL
lets only its applicant in.
"""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.emails import email_applicant
from warehouse_orgs.organizations.forms import ApplicationForm, MessageForm
from warehouse_orgs.organizations.interfaces import (
    IOrganizationApplicationService,
    IOrganizationMembershipService,
    IOrganizationService,
    NameUnavailable,
    OrganizationError,
    TooManyApplications,
)
from warehouse_orgs.organizations.models import (
    ApplicationMessageKind,
    OrganizationApplication,
    OrganizationApplicationStatus,
)
from warehouse_orgs.organizations.services import MAX_UNDECIDED_APPLICATIONS
from warehouse_orgs.pagination import page_number

MANAGE = Permissions.OrganizationApplicationsManage
# Each list pages on its own: the organizations' page number is ``page``.
INVITATIONS_PAGE = "invitations_page"
APPLICATIONS_PAGE = "applications_page"


# The applicant's answer box is the page's "answer" (the edit form has fields of its own).
ANSWER_IDS = {"message": "answer"}


@view_defaults(route_name="manage.organizations", renderer="manage/organizations/list.html")
class OrganizationListPage:
    """My organizations with my role, my pending invitations, my applications, and the form
    that applies for a new organization."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user = request.user
        self.service = request.find_service(IOrganizationService)
        self.applications = request.find_service(IOrganizationApplicationService)
        self.memberships = request.find_service(IOrganizationMembershipService)

    def page(self, form: ApplicationForm | None = None, status: int = 200) -> dict[str, Any]:
        self.request.response.status = status
        mine = self.memberships.organizations_of(
            self.user,
            page_number(self.request),
            page_number(self.request, INVITATIONS_PAGE),
            page_number(self.request, APPLICATIONS_PAGE),
        )
        return {
            "memberships": mine.memberships,
            "invitations": mine.invitations,
            "invitations_parameter": INVITATIONS_PAGE,
            "applications": mine.applications,
            "applications_parameter": APPLICATIONS_PAGE,
            "may_apply": mine.undecided_applications < MAX_UNDECIDED_APPLICATIONS,
            "max_applications": MAX_UNDECIDED_APPLICATIONS,
            "form": form or ApplicationForm(organization_service=self.service),
            "handovers": mine.handovers,
        }

    # The root grants this permission to anyone signed in; the page shows only their own rows.
    @view_config(request_method="GET", permission=MANAGE)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=MANAGE, require_reauth=True)
    def apply(self) -> Any:
        form = ApplicationForm(self.request.POST, organization_service=self.service)
        if not form.validate():
            return self.page(form, 400)
        try:
            application = self.applications.submit_application(self.user, **form.details())
        except TooManyApplications as error:
            form.form_errors.append(str(error))
            return self.page(form, 409)
        except NameUnavailable as error:
            form.name.errors = [str(error)]
            return self.page(form, 409)
        email_applicant(self.request, application, "organization-application-submitted")
        self.request.session.flash(
            f"Your application for {application.name} is submitted. We emailed you a copy.",
            queue="success",
        )
        return HTTPSeeOther(
            self.request.route_path(
                "manage.organizations.application", application_id=application.id
            )
        )


@view_defaults(
    route_name="manage.organizations.application",
    context=OrganizationApplication,
    renderer="manage/organizations/application.html",
)
class ApplicationPage:
    """One of my applications: where it stands, staff questions and my answers; edit it while
    it waits, answer when asked, withdraw it until it is decided.

    Every form posts here with an ``action`` field naming what it does."""

    ACTIONS = ("answer", "edit", "withdraw")

    def __init__(self, application: OrganizationApplication, request: Request) -> None:
        self.application = application
        self.request = request
        self.service = request.find_service(IOrganizationService)
        self.applications = request.find_service(IOrganizationApplicationService)

    def page(self, status: int = 200, **forms: Any) -> dict[str, Any]:
        self.request.response.status = status
        application = self.application
        may_edit = application.status == OrganizationApplicationStatus.Submitted
        may_answer = application.status == OrganizationApplicationStatus.MoreInformationNeeded
        return {
            "application": application,
            "ahead": self.applications.queue_position(application),
            "conversation": self.applications.messages(application, include_notes=False),
            "answer_form": (forms.get("answer_form") or MessageForm(html_ids=ANSWER_IDS))
            if may_answer
            else None,
            "edit_form": (
                forms.get("edit_form")
                or ApplicationForm(obj=application, organization_service=self.service)
            )
            if may_edit
            else None,
            "may_withdraw": application.is_undecided,
            "error": forms.get("error"),
        }

    def done(self, message: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(
            self.request.route_path(
                "manage.organizations.application", application_id=self.application.id
            )
        )

    @view_config(request_method="GET", permission=MANAGE)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=MANAGE, require_reauth=True)
    def act(self) -> Any:
        action = self.request.POST.get("action")
        if action not in self.ACTIONS:
            return self.page(400, error="Choose what to do: answer, edit or withdraw.")
        try:
            return getattr(self, action)()
        except OrganizationError as error:
            # Nothing this request started is kept.
            self.request.tm.doom()
            return self.page(409, error=str(error))

    def answer(self) -> Any:
        form = MessageForm(self.request.POST, html_ids=ANSWER_IDS)
        if self.application.status != OrganizationApplicationStatus.MoreInformationNeeded:
            raise OrganizationError("There is no question waiting for an answer.")
        if not form.validate():
            return self.page(400, answer_form=form)
        self.applications.add_message(
            self.application, ApplicationMessageKind.Answer, form.message.data
        )
        return self.done("Your answer is sent; the application is back in the review queue.")

    def edit(self) -> Any:
        form = ApplicationForm(
            self.request.POST, organization_service=self.service, application=self.application
        )
        if self.application.status != OrganizationApplicationStatus.Submitted:
            raise OrganizationError("Only an application still waiting for review can be edited.")
        if not form.validate():
            return self.page(400, edit_form=form)
        self.applications.edit_application(self.application, **form.details())
        return self.done("Your application is saved.")

    def withdraw(self) -> Any:
        self.applications.withdraw_application(self.application)
        email_applicant(self.request, self.application, "organization-application-withdrawn")
        return self.done(f"Your application for {self.application.name} is withdrawn.")
