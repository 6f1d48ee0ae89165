"""Email templates and senders: links reach the reader, never the logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.email.console import ConsoleEmailSender
from adapters.email.memory import InMemoryEmailSender
from adapters.email.ses import SesEmailSender
from application.emails import humanize_duration, password_reset_email, verification_email
from application.ports.email_sender import EmailDeliveryError, EmailMessage

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

TOKEN = "tok-" + "s3cr3t" * 6
LINK = f"https://auth.example.com/verify?token={TOKEN}"
HOSTILE_TO = "eve\"'<script>alert(1)</script>@example.com"
HOSTILE_LINK = "https://evil.example/?t=\"><script>alert('x')</script>"
REGION = "us-east-1"
SENDER = "no-reply@example.com"


def _message(to: str = "ann@example.com", link: str = LINK) -> EmailMessage:
    return verification_email(to, link, timedelta(hours=24), "Acme")


# Templates


@pytest.mark.parametrize("build", [verification_email, password_reset_email])
def test_the_link_is_in_the_text_and_in_an_href(build: Any) -> None:
    message = build("ann@example.com", LINK, timedelta(hours=1), "Acme")
    assert message.to == "ann@example.com"
    assert LINK in message.text
    assert f'href="{LINK}"' in message.html
    assert f">{LINK}</a>" in message.html  # visible, for clients that hide buttons
    assert "Acme" in message.subject


@pytest.mark.parametrize("build", [verification_email, password_reset_email])
def test_every_interpolated_value_is_escaped_in_the_html(build: Any) -> None:
    message = build(HOSTILE_TO, HOSTILE_LINK, timedelta(hours=1), "<b>Acme</b>")
    assert "<script>" not in message.html
    assert "<b>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert 'href="https://evil.example/?t=&quot;&gt;&lt;script&gt;alert(&#x27;x&#x27;)' in (
        message.html
    )
    assert "eve&quot;&#x27;&lt;script&gt;" in message.html


@pytest.mark.parametrize("build", [verification_email, password_reset_email])
def test_a_link_that_is_not_http_is_refused(build: Any) -> None:
    with pytest.raises(ValueError, match="http"):
        build("ann@example.com", "javascript:alert(1)", timedelta(hours=1), "Acme")


@pytest.mark.parametrize(
    ("valid_for", "wording"),
    [
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=24), "24 hours"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(minutes=30, seconds=59), "30 minutes"),
    ],
)
def test_validity_is_said_in_whole_hours_and_minutes(valid_for: timedelta, wording: str) -> None:
    assert humanize_duration(valid_for) == wording
    for build in (verification_email, password_reset_email):
        message = build("ann@example.com", LINK, valid_for, "Acme")
        assert f"valid for {wording}." in message.text
        assert f"valid for {wording}." in message.html


def test_a_validity_under_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="minute"):
        humanize_duration(timedelta(seconds=59))


def test_each_email_tells_an_unexpected_reader_to_ignore_it() -> None:
    reset = password_reset_email("ann@example.com", LINK, timedelta(hours=1), "Acme")
    verify = verification_email("ann@example.com", LINK, timedelta(hours=24), "Acme")
    assert "If you did not ask for this, ignore this email" in reset.text
    assert "If you did not ask for this, ignore this email" in reset.html
    assert "If you did not create an account" in verify.text
    assert "If you did not create an account" in verify.html


# Console sender


async def test_the_console_sender_frames_the_message_on_its_stream() -> None:
    stream = io.StringIO()
    await ConsoleEmailSender(stream).send(_message())
    lines = stream.getvalue().splitlines()
    assert lines[0] == lines[-1] == "=" * 72
    assert lines[1] == "To: ann@example.com"
    assert lines[2] == "Subject: Confirm your email address for Acme"
    assert lines[3] == ""
    assert LINK in lines


async def test_the_console_sender_writes_to_stderr_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await ConsoleEmailSender().send(_message())
    captured = capsys.readouterr()
    assert LINK in captured.err
    assert LINK not in captured.out


async def test_the_console_log_record_names_the_domain_but_never_the_link(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="email.console"):
        await ConsoleEmailSender(io.StringIO()).send(_message())
    (record,) = [r for r in caplog.records if r.name == "email.console"]
    assert record.getMessage() == "email_sent"
    assert record.__dict__["to_domain"] == "example.com"
    assert record.__dict__["subject"] == "Confirm your email address for Acme"
    _assert_token_absent(caplog.records)


# In-memory sender


async def test_the_outbox_keeps_messages_in_order_and_finds_the_last_per_address() -> None:
    sender = InMemoryEmailSender()
    first, second = _message(link=LINK + "1"), _message(link=LINK + "2")
    other = _message(to="bob@example.com")
    for message in (first, other, second):
        await sender.send(message)
    assert sender.outbox == [first, other, second]
    assert sender.last_to("ann@example.com") is second
    assert sender.last_to("ANN@example.com") is second
    with pytest.raises(LookupError):
        sender.last_to("nobody@example.com")


async def test_fail_next_makes_that_many_sends_fail_without_recording_them() -> None:
    sender = InMemoryEmailSender(fail_next=2)
    for _ in range(2):
        with pytest.raises(EmailDeliveryError):
            await sender.send(_message())
    assert sender.fail_next == 0
    assert sender.outbox == []
    await sender.send(_message())
    assert len(sender.outbox) == 1


async def test_links_lists_every_url_sent_to_an_address_in_order() -> None:
    sender = InMemoryEmailSender()
    await sender.send(_message(link="https://a.example/1"))
    await sender.send(_message(to="bob@example.com", link="https://b.example/x"))
    await sender.send(
        EmailMessage(
            "ann@example.com", "s", "See https://a.example/2, then http://a.example/3.", ""
        )
    )
    assert sender.links("ann@example.com") == [
        "https://a.example/1",
        "https://a.example/2",
        "http://a.example/3",
    ]
    assert sender.links("nobody@example.com") == []


# SES sender


class RecordingClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        return {"MessageId": "m-1"}


class FakeClientError(Exception):
    """Shaped like botocore's ClientError: a message quoting the request, a response."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


def _expected_request(message: EmailMessage) -> dict[str, Any]:
    return {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": ["ann@example.com"]},
        "Content": {
            "Simple": {
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": message.text, "Charset": "UTF-8"},
                    "Html": {"Data": message.html, "Charset": "UTF-8"},
                },
            }
        },
    }


async def test_ses_gets_a_simple_utf8_message_from_the_sender() -> None:
    client = RecordingClient()
    message = _message()
    await SesEmailSender(SENDER, client=client).send(message)
    assert client.calls == [_expected_request(message)]


async def test_ses_gets_the_configuration_set_only_when_one_is_set() -> None:
    client = RecordingClient()
    message = _message()
    await SesEmailSender(SENDER, configuration_set="auth-events", client=client).send(message)
    assert client.calls == [{**_expected_request(message), "ConfigurationSetName": "auth-events"}]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (FakeClientError("MessageRejected", f"rejected: {LINK}"), "MessageRejected"),
        (RuntimeError(f"connection reset while sending {LINK}"), "RuntimeError"),
    ],
)
async def test_an_ses_failure_becomes_a_delivery_error_without_its_message(
    error: Exception, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    sender = SesEmailSender(SENDER, client=RecordingClient(error))
    with caplog.at_level(logging.DEBUG), pytest.raises(EmailDeliveryError) as raised:
        await sender.send(_message())
    assert code in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    _assert_token_absent(caplog.records)
    (record,) = [r for r in caplog.records if r.name == "email.ses"]
    assert record.__dict__["error_code"] == code


async def test_the_ses_log_record_on_success_never_holds_the_link(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await SesEmailSender(SENDER, client=RecordingClient()).send(_message())
    _assert_token_absent(caplog.records)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def mock_ses(aws_credentials: None) -> Iterator[Any]:
    """moto's SES, with the classic `ses` client to verify identities and read quotas."""
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto.sesv2")
    with moto.mock_aws():
        yield boto3.client("ses", region_name=REGION)


async def test_real_boto3_requests_are_accepted_by_sesv2(mock_ses: Any) -> None:
    mock_ses.verify_email_identity(EmailAddress=SENDER)
    sender = SesEmailSender(SENDER, region=REGION)
    await sender.send(_message())
    await sender.send(password_reset_email("bob@example.com", LINK, timedelta(hours=1), "Acme"))
    assert mock_ses.get_send_quota()["SentLast24Hours"] == 2


async def test_the_boto3_client_is_built_lazily_and_once(
    mock_ses: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3 = pytest.importorskip("boto3")
    built: list[str] = []
    real_client = boto3.client

    def counting_client(service: str, **kwargs: Any) -> Any:
        built.append(service)
        return real_client(service, **kwargs)

    monkeypatch.setattr(boto3, "client", counting_client)
    mock_ses.verify_email_identity(EmailAddress=SENDER)
    sender = SesEmailSender(SENDER, region=REGION)
    assert built == []
    for _ in range(3):
        await sender.send(_message())
    assert built == ["sesv2"]


async def test_an_unverified_sender_is_a_delivery_error(mock_ses: Any) -> None:
    sender = SesEmailSender("stranger@unverified.example", region=REGION)
    with pytest.raises(EmailDeliveryError):
        await sender.send(_message())
    assert mock_ses.get_send_quota()["SentLast24Hours"] == 0


def _assert_token_absent(records: list[logging.LogRecord]) -> None:
    for record in records:
        assert TOKEN not in record.getMessage()
        for value in record.__dict__.values():
            assert TOKEN not in str(value)
