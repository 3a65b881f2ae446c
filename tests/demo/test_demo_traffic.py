"""`manage.py demo_traffic` calls the real API over HTTP; `seed_demo` prints a customer login."""

import io

import pytest
from django.core.management import call_command

from apps.analytics.buffer import interaction_buffer
from apps.analytics.models import InteractionLog
from apps.summaries.models import SummarizationRequest


@pytest.mark.django_db(transaction=True)
def test_demo_traffic_fills_the_interaction_log_through_http(live_server, settings):
    settings.ANALYTICS_FLUSH_SECONDS = 0  # the test flushes the log: no flusher thread left over
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Customer login: /accounts/login/ as peter@initech.example" in out.getvalue()
    before = SummarizationRequest.objects.count()
    call_command("demo_traffic", url=live_server.url, seconds=3, threads=2, stdout=out)
    interaction_buffer.flush()
    assert "Done:" in out.getvalue()
    logs = InteractionLog.objects.all()
    assert logs.filter(status_code__in=[201, 202]).exists()
    assert logs.filter(status_code=402).exists()  # Globex is at 100 % of its quota
    assert SummarizationRequest.objects.count() > before
