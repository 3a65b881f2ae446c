"""Each periodic job driven across its period boundary with a travelling clock."""

import datetime as dt
import gzip
import json
import re

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from apps.billing.models import QuotaAlert, UsageRecord
from apps.billing.services import usage_record_for_month
from apps.jobs.models import PeriodicRun
from apps.jobs.periodic import job_spec
from apps.mail.models import OutboundEmail
from apps.mail.secrets import dedupe_digest
from apps.mail.services import email_deliver, preference_set
from apps.summaries.models import SummarizationRequest, SummaryArchive
from tests.factories import make_organization, make_plan, make_user

UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def trigger(name: str, moment: dt.datetime, times: int = 2) -> PeriodicRun:
    """Let the scheduler fire the job at `moment`, more than once as several consumers would."""
    with time_machine.travel(moment, tick=False):
        for _ in range(times):
            job_spec(name).task()
    return PeriodicRun.objects.filter(job=name).order_by("-started_at").first()


def make_requests(organization, moment, count, mode="brief", characters=100):
    SummarizationRequest.objects.bulk_create(
        SummarizationRequest(
            organization=organization,
            mode=mode,
            input_characters=characters,
            created_at=moment + dt.timedelta(minutes=i),
        )
        for i in range(count)
    )


@pytest.mark.embedded
@pytest.mark.django_db
def test_quota_reset_closes_last_month_and_opens_the_new_one_at_zero():
    with time_machine.travel(at(2026, 11, 20, 12), tick=False):
        pro = make_organization(plan=make_plan("pro", characters=500_000, price="49"))
        free = make_organization(plan=make_plan())
        nov = usage_record_for_month(organization=pro)
        UsageRecord.objects.filter(pk=nov.pk).update(characters_used=12_345)
    run = trigger("quota_reset", at(2026, 12, 1, 0, 0, 20))
    assert (run.period_key, run.status, run.runs) == ("2026-12", "succeeded", 1)
    nov.refresh_from_db()
    assert nov.closed_at is not None and nov.characters_used == 12_345  # kept for history
    dec = {r.organization_id: r for r in UsageRecord.objects.filter(period_start="2026-12-01")}
    assert dec[pro.pk].characters_used == 0 and dec[pro.pk].characters_limit == 500_000
    assert dec[free.pk].characters_limit == 10_000
    again = trigger("quota_reset", at(2026, 12, 1, 0, 0, 50))  # a late copy changes nothing
    assert again.runs == 1 and UsageRecord.objects.filter(period_start="2026-12-01").count() == 2


@pytest.mark.embedded
@pytest.mark.django_db
def test_session_cleanup_deletes_expired_sessions_only():
    with time_machine.travel(at(2026, 11, 1), tick=False):
        for i in range(5):
            store = SessionStore()
            store["n"] = i
            store.set_expiry(3600 * 24 * (i * 10 + 1))  # 1, 11, 21, 31, 41 days
            store.create()
    run = trigger("session_cleanup", at(2026, 11, 25, 3, 0))
    assert run.result == {"deleted": 3}
    assert Session.objects.count() == 2


@pytest.mark.embedded
@pytest.mark.django_db
def test_weekly_archival_moves_old_requests_to_gzip_json_lines_per_org_and_week(admin_client):
    acme, beta = make_organization("Acme"), make_organization("Beta")
    make_requests(acme, at(2026, 8, 10, 9), 3)  # ISO week 2026-W33
    make_requests(acme, at(2026, 8, 19, 9), 2)  # 2026-W34
    make_requests(beta, at(2026, 8, 11, 9), 4, mode="executive")
    make_requests(acme, at(2026, 11, 20, 9), 1)  # recent: stays
    run = trigger("summaries_archive", at(2026, 11, 29, 4, 0))  # Sunday 04:00
    assert (run.period_key, run.result) == ("2026-W48", {"archived": 9, "archives": 3})
    assert SummarizationRequest.objects.count() == 1
    archive = SummaryArchive.objects.get(organization=beta, week="2026-W33")
    with archive.file.open("rb") as handle:
        lines = [json.loads(line) for line in gzip.decompress(handle.read()).splitlines()]
    assert [row["mode"] for row in lines] == ["executive"] * 4 and archive.rows == 4
    assert lines[0]["created_at"].startswith("2026-08-11T09:00")
    url = reverse("admin:summaries_summaryarchive_download", args=[archive.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert gzip.decompress(b"".join(response.streaming_content)).count(b"\n") == 4
    assert admin_client.get(reverse("admin:summaries_summaryarchive_changelist")).status_code == 200


@pytest.mark.embedded
@pytest.mark.django_db
def report_link_sent() -> str:
    """The report link in the usage-report email as the recipient got it (path only)."""
    email = OutboundEmail.objects.get(template_key="usage_report")
    email_deliver(email_id=email.pk)  # the test's transaction never commits: deliver it here
    body = mail.outbox[-1].body
    return re.search(r"http://127\.0\.0\.1:8000(/reports/\S+/)", body).group(1)


def test_monthly_usage_reports_store_a_csv_and_email_a_signed_link(templates, client, settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    mail.outbox = []
    with time_machine.travel(at(2026, 11, 3, 12), tick=False):
        org = make_organization("Acme Research")
        usage_record_for_month(organization=org)
    make_requests(org, at(2026, 11, 5, 10), 3, mode="brief", characters=200)
    make_requests(org, at(2026, 11, 6, 10), 2, mode="detailed", characters=1000)
    UsageRecord.objects.filter(organization=org).update(characters_used=2_600)
    run = trigger("usage_reports", at(2026, 12, 1, 9, 0))
    assert (run.period_key, run.result) == ("2026-11", {"reports": 1})
    email = OutboundEmail.objects.get(template_key="usage_report")
    assert email.to == org.owner.email and email.context["requests"] == 5
    # The email holds a secret (the link), so its dedupe key is kept hashed.
    assert email.dedupe_key == dedupe_digest(f"usage_report:{org.pk}:2026-11")
    assert email.context["report_url"] == "•••"  # staff never see the signed link
    link = report_link_sent()
    response = client.get(link)
    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and "detailed,2,2000" in body and "2600" in body
    tampered = link[:-3] + "xx/"
    assert client.get(tampered).status_code == 404
    with time_machine.travel(at(2026, 12, 20), tick=False):  # links last 14 days
        assert client.get(link).status_code == 404


@pytest.mark.embedded
@pytest.mark.django_db
def test_renewal_reminder_goes_once_seven_days_before_renewal(templates):
    with time_machine.travel(at(2026, 11, 8, 15), tick=False):
        org = make_organization(plan=make_plan("pro", characters=500_000, price="49"))
    trigger("renewal_reminders", at(2026, 11, 30, 7, 0))
    trigger("renewal_reminders", at(2026, 12, 1, 7, 0))  # renews Dec 8: this is the day
    trigger("renewal_reminders", at(2026, 12, 2, 7, 0))
    sent = OutboundEmail.objects.filter(template_key="renewal_reminder")
    assert sent.count() == 1 and sent.get().to == org.owner.email
    assert sent.get().context["renews_on"] == "2026-12-08"  # plain data; shown localized
    assert PeriodicRun.objects.get(period_key="2026-12-01").result == {"reminders": 1}


@pytest.mark.embedded
@pytest.mark.django_db
def test_the_hourly_sweep_sends_a_quota_alert_the_inline_path_missed(templates):
    with time_machine.travel(at(2026, 11, 20, 12), tick=False):
        org = make_organization()
        record = usage_record_for_month(organization=org)
    UsageRecord.objects.filter(pk=record.pk).update(characters_used=8_500)  # bypassed alerts
    run = trigger("quota_sweep", at(2026, 11, 20, 13, 10))
    assert run.result == {"alerts": 1}
    assert QuotaAlert.objects.get().threshold == 80
    assert OutboundEmail.objects.filter(template_key="quota_alert_80").count() == 1
    assert trigger("quota_sweep", at(2026, 11, 20, 14, 10)).result == {"alerts": 0}


@pytest.mark.django_db
def test_the_sweep_sends_only_the_100_percent_alert_to_an_organization_past_both(templates):
    with time_machine.travel(at(2026, 11, 20, 12), tick=False):
        org = make_organization()
        record = usage_record_for_month(organization=org)
    UsageRecord.objects.filter(pk=record.pk).update(characters_used=10_200)
    assert trigger("quota_sweep", at(2026, 11, 20, 13, 10)).result == {"alerts": 1}
    assert dict(QuotaAlert.objects.values_list("threshold", "emailed")) == {80: False, 100: True}
    sent = OutboundEmail.objects.filter(template_key__startswith="quota_alert")
    assert list(sent.values_list("template_key", flat=True)) == ["quota_alert_100"]


@pytest.mark.embedded
@pytest.mark.django_db
def test_daily_digest_goes_only_to_members_who_opted_in(templates):
    org = make_organization()
    member, leaver = make_user(), make_user()
    from apps.accounts.services import membership_add

    membership_add(organization=org, user=member)  # never opted in: no digest
    membership_add(organization=org, user=leaver)
    preference_set(address=org.owner.email, category="digest", subscribed=True)
    preference_set(address=leaver.email, category="digest", subscribed=True)
    preference_set(address=leaver.email, category="digest", subscribed=False)
    make_requests(org, at(2026, 11, 24, 10), 3)
    run = trigger("daily_digest", at(2026, 11, 25, 8, 0))
    assert (run.period_key, run.result) == ("2026-11-24", {"digests": 1})
    digest = OutboundEmail.objects.get(template_key="daily_digest")
    assert digest.to == org.owner.email and digest.context["requests"] == 3
    assert digest.context["busiest_hour"] == {"start": "10:00", "end": "11:00", "summaries": 3}
