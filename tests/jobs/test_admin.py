"""The jobs, analytics and archive models are listed in the unfold admin."""

import pytest
from django.urls import reverse

from apps.jobs.tasks import jobs_canary_task


@pytest.mark.embedded
@pytest.mark.django_db
def test_history_rollup_and_archive_pages_render(admin_client):
    jobs_canary_task(token="s3cr3t-value")
    for model in (
        "jobs_taskrun",
        "jobs_periodicrun",
        "jobs_workerheartbeat",
        "analytics_interactionlog",
        "analytics_hourlyrollup",
        "analytics_dailyrollup",
        "summaries_summaryarchive",
    ):
        assert admin_client.get(reverse(f"admin:{model}_changelist")).status_code == 200, model
