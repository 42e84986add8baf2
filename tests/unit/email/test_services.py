from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.common.network import free_port
from warehouse_orgs.email import render_email, send_email
from warehouse_orgs.email.services import CapturedEmailSender, SMTPEmailSender
from warehouse_orgs.email.tasks import deliver_email
from warehouse_orgs.tasks import make_task_request


class RecordingHandler:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _message(subject: str = "Hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@example.com"
    message["To"] = "maintainer@example.com"
    message["Subject"] = subject
    message.set_content("plain body")
    message.add_alternative("<p>html body</p>", subtype="html")
    return message


def test_smtp_sender_delivers_to_a_real_smtp_server(smtp_server):
    controller, handler = smtp_server
    SMTPEmailSender(host=controller.hostname, port=controller.port).send(_message("Welcome"))
    (envelope,) = handler.envelopes
    assert envelope.mail_from == "noreply@example.com"
    assert envelope.rcpt_tos == ["maintainer@example.com"]
    content = envelope.content.decode()
    assert "Subject: Welcome" in content
    assert "<p>html body</p>" in content


def test_smtp_sender_reads_its_options_from_settings(app_registry):
    app_registry.settings.update({"mail.host": "smtp.example.com", "mail.port": "2525"})
    try:
        sender = SMTPEmailSender.create_service(None, make_task_request(app_registry))
    finally:
        del app_registry.settings["mail.host"], app_registry.settings["mail.port"]
    assert (sender.host, sender.port, sender.starttls) == ("smtp.example.com", 2525, False)


def test_smtp_sender_raises_when_the_server_is_down():
    with pytest.raises(ConnectionRefusedError):
        SMTPEmailSender(host="127.0.0.1", port=free_port(), timeout=2).send(_message())


def test_deliver_email_task_sends_through_smtp(smtp_server, app_registry):
    """The whole path a queued email takes, from the task to the SMTP server."""
    controller, handler = smtp_server
    request = make_task_request(app_registry)
    request.find_service = lambda iface: SMTPEmailSender(controller.hostname, controller.port)
    deliver_email(
        request,
        sender="PyPI Organizations <noreply@example.com>",
        recipient="owner@example.com",
        subject="Your organization was approved",
        body_text="Welcome aboard.",
        body_html=None,
        message_id="<1@example.com>",
    )
    (envelope,) = handler.envelopes
    assert envelope.rcpt_tos == ["owner@example.com"]
    assert "Message-ID: <1@example.com>" in envelope.content.decode()


def test_captured_sender_lists_newest_first(tmp_path):
    sender = CapturedEmailSender(tmp_path)
    sender.send(_message("first"))
    sender.send(_message("second"))
    assert [m.subject for m in sender.messages()] == ["second", "first"]
    assert [m.subject for m in sender.messages(limit=1)] == ["second"]
    newest = sender.messages()[0]
    assert sender.message(newest.id).body("plain") == "plain body\n"
    assert sender.message(newest.id).body("html") == "<p>html body</p>\n"


def test_captured_sender_refuses_names_it_did_not_make(tmp_path):
    (tmp_path / "secret.eml").write_text("Subject: no")
    sender = CapturedEmailSender(tmp_path / "mail")
    sender.send(_message())
    assert sender.message("../secret") is None
    assert sender.message(".hidden") is None
    assert sender.message("missing") is None


def test_captured_sender_with_no_directory_has_no_messages(tmp_path):
    assert CapturedEmailSender(tmp_path / "never-created").messages() == []


def test_rendered_subject_is_one_bounded_line(app_registry, tmp_path, monkeypatch):
    request = make_task_request(app_registry)
    environment = app_registry["email.jinja2"]
    monkeypatch.setattr(
        environment,
        "loader",
        __import__("jinja2").DictLoader(
            {
                "email/x/subject.txt": "Line one\nBcc: attacker@example.com " + "y" * 300,
                "email/x/body.txt": "Hi {{ name }}",
            }
        ),
    )
    rendered = render_email(request, "x", {"name": "Ada"})
    assert "\n" not in rendered.subject
    assert rendered.subject.startswith("Line one Bcc: attacker@example.com")
    assert len(rendered.subject) == 200
    assert rendered.body_text == "Hi Ada"
    assert rendered.body_html is None


def test_send_email_waits_for_the_commit(app_registry, outbox):
    request = make_task_request(app_registry)
    request.tm.begin()
    send_email(request, "mail-check", "someone@example.com")
    assert outbox.messages() == []
    request.tm.commit()
    (message,) = outbox.messages()
    assert message.recipient == "someone@example.com"
    assert message.message["From"] == "PyPI Organizations <noreply@example.com>"
    assert message.message["Message-ID"].endswith("@example.com>")


def test_send_email_in_an_aborted_transaction_sends_nothing(app_registry, outbox):
    request = make_task_request(app_registry)
    request.tm.begin()
    send_email(request, "mail-check", "someone@example.com")
    request.tm.abort()
    assert outbox.messages() == []
