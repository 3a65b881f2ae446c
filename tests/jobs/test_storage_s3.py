"""Archives, reports and uploads through Django's storage API on a real S3 server."""

import gzip
import urllib.request

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.billing.services import usage_record_for_month
from apps.summaries.models import SummaryArchive
from apps.summaries.services import document_upload
from tests.conftest import load_shipped_templates
from tests.factories import make_organization
from tests.jobs.test_domain_jobs import at, make_requests, report_link_sent, trigger
from tests.storage import BUCKET, use_s3


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


@pytest.fixture
def s3_storage(s3_files, settings):
    """The default storage on the session's S3 bucket, emptied; yields a boto3 client."""
    s3_files.clear()
    use_s3(settings, s3_files)
    settings.REPORT_LINK_MAX_AGE_SECONDS = 365 * 24 * 3600  # reports below are dated months ago
    return s3_files.client


@pytest.mark.django_db
def test_uploads_archives_and_reports_live_in_s3_and_download_through_presigned_urls(
    s3_storage, admin_client, client, settings
):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    mail.outbox = []
    load_shipped_templates()
    with time_machine.travel(at(2026, 8, 3, 12), tick=False):
        org = make_organization("Acme")
        usage_record_for_month(organization=org)
    document = document_upload(
        owner=org.owner,
        organization=org,
        uploaded_file=SimpleUploadedFile("notes.txt", b"first. second.", "text/plain"),
    )
    listed = s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [document.file.name]
    assert fetch(document.file.url) == b"first. second."  # a presigned GET over HTTP

    make_requests(org, at(2026, 8, 10, 9), 3)
    trigger("usage_reports", at(2026, 9, 1, 9, 0))
    trigger("summaries_archive", at(2026, 11, 29, 4, 0))

    archive = SummaryArchive.objects.get()
    assert default_storage.exists(archive.file.name)
    download = admin_client.get(
        reverse("admin:summaries_summaryarchive_download", args=[archive.pk])
    )
    assert download.status_code == 302 and "Signature=" in download["Location"]
    assert gzip.decompress(fetch(download["Location"])).count(b"\n") == 3

    response = client.get(report_link_sent())
    assert response.status_code == 302
    assert b"brief,3,300" in fetch(response["Location"])
    keys = {o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"reports/usage/2026-08/acme-{org.pk}.csv" in keys and archive.file.name in keys
