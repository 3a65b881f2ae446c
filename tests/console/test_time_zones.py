"""Schedules in the operator's time zone (issue 19.11): each staff member picks a zone, the
console shows times in it (next five runs, the week's calendar, clock changes said), links
and date filters agree in it, and it follows them to a new session."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client

from apps.console.models import StaffSettings
from apps.jobs.models import TaskRun

pytestmark = pytest.mark.django_db
SCHEDULES = "/admin/jobs/periodicrun/schedules/"
ZONE = f"{SCHEDULES}time-zone/"
UTC = dt.UTC


def row(page: str, job: str) -> str:
    part = page[page.index(f'data-job="{job}"') :]
    return part[: part.index("</tr>")]


def day(page: str, date: str) -> str:
    part = page[page.index(f'data-day="{date}"') :]
    return part[: part.index("</ol>")]


def test_a_staff_member_picks_a_zone_and_the_schedules_follow_it_across_a_clock_change(
    viewer_client,
):
    response = viewer_client.post(ZONE, {"time_zone": "Europe/Paris"})
    assert response.url == SCHEDULES
    assert StaffSettings.objects.get(user=viewer_client.user).time_zone == "Europe/Paris"
    # Friday 27 March 2026, noon UTC: Paris moves from UTC+1 to UTC+2 on Sunday at 02:00.
    with time_machine.travel(dt.datetime(2026, 3, 27, 12, tzinfo=UTC), tick=False):
        page = viewer_client.get(SCHEDULES).content.decode()
    assert 'data-testid="zone">Europe/Paris<' in page
    retention = row(page, "history_retention")  # 03:30 UTC every day
    assert "Sat 28 Mar, 04:30" in retention  # next run, in Paris (UTC+1)
    five = retention[retention.index('data-testid="next-five"') :]
    assert "Sun 29 Mar, 05:30 (after the clock change, UTC+0200)" in five
    assert five.count("<li>") == 5
    sunday = day(page, "2026-03-29")
    assert "Clocks go forward at 02:00 to 03:00 (UTC+01:00 → UTC+02:00)" in sunday
    assert "05:30</span> history_retention" in sunday
    assert "04:30</span> history_retention" in day(page, "2026-03-28")
    assert "reaper: every minute" in sunday  # frequent jobs in one line


def test_times_and_date_filters_agree_in_the_staff_members_zone(admin_client):
    admin_client.post(ZONE, {"time_zone": "America/New_York"})
    now = dt.datetime(2026, 12, 4, 3, 30, tzinfo=UTC)  # 22:30 the day before in New York
    with time_machine.travel(now, tick=False):
        for minutes in (10, 20):
            TaskRun.objects.create(
                task_id=f"tz-{minutes}",
                name="apps.x.tasks.job",
                state="error",
                created_at=now - dt.timedelta(minutes=minutes),
            )
        TaskRun.objects.create(
            task_id="tz-old",
            name="apps.x.tasks.job",
            state="error",
            created_at=now - dt.timedelta(hours=30),
        )
        body = admin_client.get("/admin/").content.decode()
        assert "(America/New_York)" in body
        link = re.search(r'href="([^"]+)"[^>]*data-testid="failures-link"', body).group(1)
        assert "created_at_from_0=2026-12-02" in link  # 24 h before, as New York reads it
        listing = admin_client.get(link.replace("&amp;", "&")).content.decode()
        assert {"tz-10", "tz-20"} <= set(re.findall(r"tz-\w+", listing))
        assert "tz-old" not in listing
        page = admin_client.get(
            f"/admin/jobs/taskrun/{TaskRun.objects.get(task_id='tz-10').pk}/change/"
        ).content.decode()
    assert "Dec. 3, 2026, 10:20 p.m." in page  # created at 03:20 UTC, shown in New York


def test_a_name_that_is_no_zone_is_refused_and_the_choice_follows_to_a_new_session(
    viewer_client,
):
    response = viewer_client.post(ZONE, {"time_zone": "Mars/Olympus"}, follow=True)
    assert "is not a time zone" in response.content.decode()
    assert not StaffSettings.objects.exists()
    for odd in ("\x00", "\ud800", "x" * 10_000):  # sent as a careless client sends them
        body = urlencode({"time_zone": odd}, encoding="utf-8", errors="surrogatepass")
        form = "application/x-www-form-urlencoded"
        assert viewer_client.post(ZONE, body, content_type=form).status_code == 302
    assert not StaffSettings.objects.exists()
    viewer_client.post(ZONE, {"time_zone": "Asia/Kolkata"})
    fresh = Client()
    fresh.force_login(viewer_client.user)
    assert 'data-testid="zone">Asia/Kolkata<' in fresh.get(SCHEDULES).content.decode()
    assert viewer_client.get(ZONE).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(viewer_client.user)
    assert strict.post(ZONE, {"time_zone": "UTC"}).status_code == 403


def test_an_alerts_link_means_its_utc_hour_whatever_zone_the_reader_uses(admin_client):
    from apps.console.alerts import _hour_filters, _url

    admin_client.post(ZONE, {"time_zone": "Asia/Kolkata"})  # UTC+05:30
    hour = dt.datetime(2026, 12, 4, 8, tzinfo=UTC)
    for minutes, name in ((-20, "alrtbef0"), (10, "alrtin01"), (50, "alrtin02"), (70, "alrtaft0")):
        TaskRun.objects.create(
            task_id=name,
            name="apps.x.tasks.job",
            state="error",
            created_at=hour + dt.timedelta(minutes=minutes),
        )
    url = _url("admin:jobs_taskrun_changelist", state__exact="error", **_hour_filters(hour))
    listing = admin_client.get(url).content.decode()
    assert set(re.findall(r"alrt\w{4}", listing)) == {"alrtin01", "alrtin02"}
