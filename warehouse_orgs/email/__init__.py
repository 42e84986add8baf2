"""Templated email, sent only after the request's transaction commits.

A message named ``NAME`` is three templates under ``templates/email/NAME/``: ``subject.txt``,
``body.txt`` and (optionally) ``body.html``. ``send_email`` renders them during the request, so
a template error fails the request, and queues the delivery to run after commit.
"""

import email.utils
from dataclasses import dataclass
from typing import Any

import jinja2
from pyramid.config import Configurator
from pyramid.request import Request

from warehouse_orgs.email.interfaces import IEmailSender
from warehouse_orgs.email.tasks import deliver_email
from warehouse_orgs.paths import TEMPLATES_DIR

SUBJECT_MAX_LENGTH = 200


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str | None


def render_email(request: Request, name: str, context: dict[str, Any]) -> RenderedEmail:
    environment: jinja2.Environment = request.registry["email.jinja2"]
    context = {"request": request, **context}

    def render(part: str) -> str:
        return environment.get_template(f"email/{name}/{part}").render(context)

    # A subject is one line: a newline from a template or a user's input must not add headers.
    subject = " ".join(render("subject.txt").split())[:SUBJECT_MAX_LENGTH]
    try:
        body_html: str | None = render("body.html")
    except jinja2.TemplateNotFound:
        body_html = None
    return RenderedEmail(subject=subject, body_text=render("body.txt"), body_html=body_html)


def send_email(request: Request, name: str, recipient: str, **context: Any) -> None:
    """Render email ``name`` for ``recipient`` now; deliver it after the transaction commits."""
    rendered = render_email(request, name, context)
    domain = request.registry.settings["mail.sender"].rpartition("@")[2].rstrip(">") or None
    request.enqueue_task(
        deliver_email,
        sender=request.registry.settings["mail.sender"],
        recipient=recipient,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        message_id=email.utils.make_msgid(domain=domain),
    )


def _email_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def includeme(config: Configurator) -> None:
    backend = config.maybe_dotted(config.registry.settings["mail.backend"])
    config.register_service_factory(backend.create_service, IEmailSender)
    config.registry["email.jinja2"] = _email_environment()
    config.register_task(deliver_email)
