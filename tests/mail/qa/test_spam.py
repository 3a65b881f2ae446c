"""The spam score: SpamAssassin's local rules on the whole message, or a clear word why not."""

import pytest

from apps.mail.qa import background, spam
from apps.mail.qa.check import RUN, check_email, spam_result
from tests.mail.qa.conftest import email_of, page

pytestmark = pytest.mark.django_db

SAMPLE_OUTPUT = """\
Content analysis details:   (3.2 points, 5.0 required)

 pts rule name              description
---- ---------------------- --------------------------------------------------
 2.7 MISSING_DATE           Missing Date: header
-0.0 NO_RECEIVED            Informational: message has no Received headers
 0.5 SUBJ_ALL_CAPS          Subject is all capitals
 0.0 HTML_MESSAGE           BODY: HTML included in message
                            and more words

"""


def test_the_report_table_is_read_rule_by_rule():
    [report] = spam.parse(SAMPLE_OUTPUT)
    assert (report.score, report.required) == (3.2, 5.0)
    assert [(r.points, r.name) for r in report.rules] == [
        (2.7, "MISSING_DATE"),
        (-0.0, "NO_RECEIVED"),
        (0.5, "SUBJ_ALL_CAPS"),
        (0.0, "HTML_MESSAGE"),
    ]
    assert report.rules[-1].description == "BODY: HTML included in message and more words"
    findings = spam.spam_findings(report)
    assert [(f.severity, f.where) for f in findings if f.severity == "error"] == [
        ("error", "MISSING_DATE"),
        ("error", "SUBJ_ALL_CAPS"),
    ]
    assert (
        findings[-1].message == "SpamAssassin scores the message 3.2 (it files mail as spam from 5)"
    )


def test_spamassassin_scores_whole_messages_with_their_headers(deployed):
    html = page("<p>Hi Ada, your receipt for invoice INV-1 is attached. Thank you.</p>")
    clean = email_of(html, text="Hi Ada, your receipt for invoice INV-1 is attached. Thank you.")
    shouting = email_of(html, subject="FREE!!! WIN CASH NOW", text=clean.text)
    good, bad = spam.score_messages([clean.message(), shouting.message()])
    assert [r.name for r in good.rules if r.points > 0] == []
    assert [(r.name, r.points) for r in bad.rules if r.points > 0] == [("SUBJ_ALL_CAPS", 0.5)]


def test_a_machine_without_spamassassin_says_so_instead_of_scoring(monkeypatch):
    monkeypatch.setattr(spam, "program", lambda: None)
    [finding] = spam_result(b"Subject: hi\n\nhello\n")
    assert finding.severity == "error" and finding.where == "SpamAssassin"
    assert finding.message.startswith(
        "SpamAssassin is not installed, so the spam score was not checked"
    )
    area = check_email(email_of(page("<p>x</p>")), spam_score=RUN).areas["spam"]
    assert area.status == "fail" and "not installed" in area.findings[0].message


def test_spamassassin_that_answers_nothing_usable_is_reported(monkeypatch):
    monkeypatch.setattr(spam, "program", lambda: "/bin/true")
    [finding] = spam_result(b"Subject: hi\n\nhello\n")
    assert finding.severity == "error"
    assert finding.message.startswith("SpamAssassin reported on 0 of 1 messages (exit 0)")


def test_the_studio_s_background_score_is_enqueued_once_and_kept(monkeypatch):
    email = email_of(page("<p>Your receipt</p>"))
    digest = background.spam_request(email)
    assert digest == background.spam_request(email)  # the same content, the same digest
    enqueued = []
    assert background.spam_status(digest=digest, enqueue=enqueued.append) == ("pending", None)
    assert background.spam_status(digest=digest, enqueue=enqueued.append) == ("pending", None)
    assert enqueued == [digest]
    monkeypatch.setattr(spam, "program", lambda: None)  # what the consumer's machine has
    assert background.spam_score_store(digest=digest)
    state, area = background.spam_status(digest=digest, enqueue=enqueued.append)
    assert state == "done" and "not installed" in area.findings[0].message
    assert background.spam_status(digest="0" * 64, enqueue=enqueued.append) == ("gone", None)
    assert not background.spam_score_store(digest="0" * 64)
