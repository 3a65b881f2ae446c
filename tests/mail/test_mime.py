"""The outbox's direct MIME writer (apps/mail/mime.py) against the email package: a reader
(Python's parser, as a receiving server or a mail client) finds the same headers and the same
bodies in both, for everything the outbox sends, and shapes it does not cover go the old way."""

import email
import email.policy

import pytest
from django.core.mail import EmailMultiAlternatives
from hypothesis import given

from apps.mail.message import OutboxMessage
from apps.mail.mime import wire_bytes
from tests.strategies import hostile_text

UNSUBSCRIBE = (
    "<https://app.example/email/unsubscribe/eyJhIjoiYSJ9:1xZyda:TrKPdlN18WMF6qr3_VUOuIX1uw/>, "
    "<mailto:unsubscribe@app.example?subject=unsubscribe%20eyJhIjoiYSJ9:1xZyda:TrKPdlN18W>"
)
HEADERS = {
    "X-Outbox-Id": "42",
    "Message-ID": "<1.2.3@app.example>",
    "List-Unsubscribe": UNSUBSCRIBE,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}
LONG_HTML = "<p>" + "Bonjour à tous, voici votre rapport mensuel. " * 40 + "</p>\n" * 3
SUBJECTS = [
    "Welcome to SummaSaaS",
    "Acme Research: your October 2026 usage report, with every mode's figures and a link "
    "to download the full report as CSV",
    "Votre rapport d'utilisation de novembre 2026 — Acme Écriture",
    ("🎉 " * 30).strip(),
    "",
]
BODIES = [
    ("Hi Ada,\nshort lines only.\n", LONG_HTML),
    (
        "Une ligne de texte un peu longue, accentuée, qui dépasse la largeur de ligne de 78 "
        "caractères.\n",
        "<p>é</p>",
    ),
    ("日本語のテキスト。" * 30, "<p>" + "日本語のテキスト。" * 30 + "</p>"),
    ("line one\r\nline two\rline three\n\n.\nFrom here\n", "=?not-a-word?= <b>x</b>\n"),
]


def outbox_message(subject: str, text: str, html: str, headers=None, **kwargs) -> OutboxMessage:
    message = OutboxMessage(
        subject=subject,
        body=text,
        from_email="SummaSaaS <hello@summasaas.example>",
        to=["ada.lovelace+reports@example.org"],
        headers=dict(HEADERS if headers is None else headers),
        **kwargs,
    )
    message.attach_alternative(html, "text/html")
    return message


def read(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def reference(message: OutboxMessage) -> bytes:
    return message.message(policy=email.policy.SMTP).as_bytes()


def assert_same_for_a_reader(ours: bytes, theirs: bytes) -> None:
    a, b = read(ours), read(theirs)
    for name in ("Subject", "From", "To", "Message-ID", "X-Outbox-Id", "List-Unsubscribe-Post"):
        assert str(a[name] or "") == str(b[name] or ""), name
    assert a["Date"].datetime.utcoffset() == b["Date"].datetime.utcoffset()
    assert abs(a["Date"].datetime - b["Date"].datetime).total_seconds() < 60
    assert a["MIME-Version"] == "1.0"
    assert a.get_content_type() == b.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in a.iter_parts()] == ["text/plain", "text/html"]
    for mine, reference_part in zip(a.iter_parts(), b.iter_parts(), strict=True):
        assert _lines(mine.get_content()) == _lines(reference_part.get_content())
    # List-Unsubscribe stays raw, one <uri> a line, as mail providers read it
    assert _unfolded(ours, "List-Unsubscribe") == _unfolded(theirs, "List-Unsubscribe")
    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b"")


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _unfolded(data: bytes, name: str) -> bytes:
    head = data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ")
    return next(
        (line for line in head.split(b"\r\n") if line.startswith(name.encode() + b":")), b""
    )


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("text,html", BODIES)
def test_a_reader_finds_the_same_email_in_both(subject, text, html):
    message = outbox_message(subject, text, html)
    ours = wire_bytes(message)
    assert ours is not None
    assert_same_for_a_reader(ours, reference(outbox_message(subject, text, html)))


def test_prebuild_sends_the_direct_bytes_and_builds_the_message_only_if_asked():
    message = outbox_message("Hello", "text\n", LONG_HTML)
    message.prebuild(email.policy.SMTP)
    built = message.message(policy=email.policy.SMTP)
    data = built.as_bytes()
    assert data.startswith(b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n")
    assert read(data)["X-Outbox-Id"] == "42"
    assert built["Subject"] == "Hello"  # the email package's message, built on demand
    assert built.as_bytes() is data


@pytest.mark.parametrize(
    "change",
    [
        {"cc": ["b@example.org"]},
        {"reply_to": ["b@example.org"]},
        {"to": ["Zoë <zoe@example.org>"]},
        {"to": ["a@example.org", "b@example.org"]},
        {"headers": {**HEADERS, "X-Other": "1"}},
        {"headers": {**HEADERS, "X-Outbox-Id": "é"}},
        {"subject": "Line\nbreak"},
        {"subject": "x" * 120},  # one word longer than a line
        {"subject": "=?utf-8?q?looks_encoded?="},
        {"body": ""},  # Django leaves the text part out
    ],
)
def test_shapes_outside_the_usual_one_go_through_the_email_package(change):
    fields = {"subject": "Hello", "headers": HEADERS, **change}
    message = outbox_message(fields.pop("subject"), "text", "<p>x</p>", fields.pop("headers"))
    for name, value in fields.items():
        setattr(message, name, value)
    assert wire_bytes(message) is None


def test_an_attachment_goes_through_the_email_package():
    message = outbox_message("Hello", "text", "<p>x</p>")
    message.attach("report.csv", "a,b\n", "text/csv")
    assert wire_bytes(message) is None
    assert isinstance(message, EmailMultiAlternatives)


@given(
    subject=hostile_text(max_size=120),
    text=hostile_text(max_size=300),
    html=hostile_text(max_size=300),
)
def test_any_text_is_either_written_the_same_for_a_reader_or_left_to_the_email_package(
    subject, text, html
):
    subject = subject.replace("\x00", "")  # the outbox scrubs NULs before sending
    message = outbox_message(subject, text, html)
    ours = wire_bytes(message)
    if ours is None:
        return
    try:
        theirs = reference(outbox_message(subject, text, html))
    except (ValueError, UnicodeError):
        pytest.fail("the email package refuses what the direct writer wrote")
    assert_same_for_a_reader(ours, theirs)
