"""The studio's checks panel: every QA area with the preview, the spam score from a consumer.

Requests go through `Client(enforce_csrf_checks=True)` with the token a browser sends.
"""

import re
import statistics
import time

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from huey.contrib.djhuey import HUEY

from apps.accounts.models import User
from apps.console.roles import VIEWER
from apps.mail.models import EmailTemplate, EmailTemplateTranslation
from apps.mail.qa import background, spam
from tests.conftest import load_shipped_templates
from tests.console.studio_support import editor_data

pytestmark = pytest.mark.django_db

AREAS = ["clients", "links", "contrast", "accessibility", "spam", "size"]
# The preview request's own budget on this 2-core machine, with the QA in it (measured: about
# 100 ms in all, the checks ~30 ms of it, once warm); SpamAssassin (about a second) is not in it.
PREVIEW_BUDGET_MS = 400


@pytest.fixture
def staff(deployed) -> Client:
    load_shipped_templates()
    user = User.objects.create_user(email="viewer@summasaas.example", password=None, is_staff=True)
    user.groups.add(Group.objects.get(name=VIEWER))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token(client: Client, template: EmailTemplate) -> str:
    page = client.get(f"/admin/mail/emailtemplate/{template.pk}/change/").content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def preview(client: Client, template: EmailTemplate, csrf: str = "", **changes) -> dict:
    data = {
        **editor_data(template, **changes),
        "csrfmiddlewaretoken": csrf or csrf_token(client, template),
    }
    response = client.post(f"/admin/mail/emailtemplate/{template.pk}/preview/", data)
    assert response.status_code == 200
    return response.json()


def area(data: dict, key: str) -> dict:
    return next(check for check in data["checks"] if check["key"] == key)


def test_the_preview_carries_every_area_and_the_spam_score_comes_when_asked(staff):
    data = preview(staff, EmailTemplate.objects.get(key="quota_alert_80"))
    assert [check["key"] for check in data["checks"]] == AREAS
    assert {check["key"]: check["status"] for check in data["checks"]} == {
        "clients": "warn",
        "links": "pass",
        "contrast": "pass",
        "accessibility": "pass",
        "spam": "pending",
        "size": "pass",
    }
    clients = area(data, "clients")
    assert clients["summary"].startswith("No gap left open")
    outlook = next(g for g in clients["groups"] if g["client"] == "Outlook (Windows)")
    accepted = [f["message"] for f in outlook["findings"] if f["severity"] == "accepted"]
    assert accepted[0].startswith("border-radius: not supported; accepted by the template")
    answer = staff.get(area(data, "spam")["url"]).json()  # tasks run inline in tests
    assert answer["state"] == "done"
    if spam.program() is not None:
        assert answer["check"]["status"] == "pass"
        assert answer["check"]["summary"] == "SpamAssassin scores 0.0: no rule with points"


def test_a_broken_link_and_a_low_contrast_show_in_the_panel_and_clear_when_fixed(staff):
    template = EmailTemplate.objects.get(key="welcome")
    broken = template.mjml.replace(
        '<mj-text css-class="em-text">Your plan',
        '<mj-text css-class="em-text" color="#c0c4cc">See <a href="{{ site_url }}/no-such-page/">'
        "the tour</a>. Your plan",
    )
    data = preview(staff, template, mjml=broken)
    links, contrast = area(data, "links"), area(data, "contrast")
    assert links["status"] == "fail" and contrast["status"] == "fail"
    assert any("/no-such-page/ answers 404" in f["message"] for f in links["findings"])
    assert any(
        f["where"] == "light" and "#c0c4cc on #ffffff" in f["message"] for f in contrast["findings"]
    )
    fixed = preview(staff, template)
    assert area(fixed, "links")["status"] == "pass" and area(fixed, "contrast")["status"] == "pass"


def test_a_translation_is_checked_in_its_own_language(staff):
    translation = EmailTemplateTranslation.objects.get(template__key="welcome", language="fr")
    page = staff.get(f"/admin/mail/emailtemplatetranslation/{translation.pk}/change/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    data = staff.post(
        f"/admin/mail/emailtemplatetranslation/{translation.pk}/preview/",
        {
            "template": translation.template_id,
            "language": "fr",
            "subject": translation.subject,
            "preheader": translation.preheader,
            "text_body": "",
            "csrfmiddlewaretoken": csrf,
            "mjml": translation.mjml.replace("Bienvenue", '<a href="https://x.example/">ici</a>'),
        },
    ).json()
    problems = [f["message"] for f in area(data, "accessibility")["findings"]]
    assert (
        "The link text “ici” does not say where it goes: name the page or the action instead"
        in (problems)
    )


def test_the_spam_score_is_not_computed_in_the_preview_request(staff, monkeypatch):
    def refuse(messages):
        raise AssertionError("SpamAssassin ran inside the preview request")

    monkeypatch.setattr(spam, "score_messages", refuse)
    template = EmailTemplate.objects.get(key="welcome")
    csrf = csrf_token(staff, template)
    preview(staff, template, csrf)  # warm: the first request loads the URLconf and templates
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        data = preview(staff, template, csrf)
        timings.append((time.perf_counter() - started) * 1000)
    assert area(data, "spam")["status"] == "pending"
    assert statistics.median(timings) < PREVIEW_BUDGET_MS, timings


@pytest.mark.real_queue
def test_with_a_real_queue_the_first_ask_enqueues_one_task_and_the_result_comes_from_it(staff):
    HUEY.flush()
    data = preview(staff, EmailTemplate.objects.get(key="invoice"))
    url = area(data, "spam")["url"]
    assert staff.get(url).json() == {"state": "pending"}
    assert staff.get(url).json() == {"state": "pending"}
    assert HUEY.pending_count() == 1  # asked twice, enqueued once
    task = HUEY.dequeue()
    assert task.name.endswith("spam_score_task")
    # What the consumer runs (not HUEY.execute: a db_task closes this test's connection).
    background.spam_score_store(digest=task.args[0])
    answer = staff.get(url).json()
    assert answer["state"] == "done" and answer["check"]["key"] == "spam"


def test_only_staff_read_a_spam_score_and_odd_digests_are_refused(staff):
    data = preview(staff, EmailTemplate.objects.get(key="welcome"))
    url = area(data, "spam")["url"]
    stranger = Client(enforce_csrf_checks=True)
    response = stranger.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    customer = User.objects.create_user(email="c@example.com", password=None)
    stranger.force_login(customer)
    assert stranger.get(url).status_code == 302  # not staff: the console's login
    assert staff.get("/admin/mail/emailtemplate/qa/spam/not-a-digest/").status_code == 404
    assert staff.get("/admin/mail/emailtemplate/qa/spam/" + "0" * 64 + "/").json() == {
        "state": "gone"
    }
    assert staff.post(url).status_code in (403, 405)  # CSRF before anything else
