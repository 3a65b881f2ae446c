"""Archival deletes: range DELETEs per read batch, each row archived before it goes."""

import datetime as dt
import gzip
import json

import pytest
from django.utils import timezone

from apps.summaries.archive import summarization_requests_archive
from apps.summaries.models import SummarizationRequest, SummaryArchive
from tests.factories import make_organization

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_small_batches_with_equal_timestamps_archive_and_delete_every_old_row_once():
    now = timezone.now().replace(microsecond=0)
    old = now - dt.timedelta(days=200)
    acme, beta = make_organization("Acme"), make_organization("Beta")
    moments = [old, old, old, old + dt.timedelta(hours=1), old + dt.timedelta(hours=2)]
    for organization in (acme, beta):
        SummarizationRequest.objects.bulk_create(
            SummarizationRequest(
                organization=organization, mode="brief", input_characters=10, created_at=moment
            )
            for moment in [*moments, now]
        )
    result = summarization_requests_archive(before=now - dt.timedelta(days=90), batch_size=2)
    assert result["archived"] == 10
    assert list(SummarizationRequest.objects.values_list("created_at", flat=True)) == [now, now]
    ids = []
    for archive in SummaryArchive.objects.all():
        with archive.file.open("rb") as handle:
            ids += [json.loads(line)["id"] for line in gzip.decompress(handle.read()).splitlines()]
    assert len(ids) == len(set(ids)) == 10
