"""Hostile uploads through the console's add page and the upload service: no 500, no file
without its row, no row without its file (local files and S3 on SeaweedFS)."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from apps.summaries.exceptions import UploadRejectedError
from apps.summaries.models import Document
from apps.summaries.services import document_upload
from tests.factories import make_organization
from tests.storage import s3_files, seaweedfs, stored_files  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

names = st.one_of(
    st.text(min_size=1, max_size=300).filter(lambda n: n.strip("./\\") != ""),
    st.sampled_from(["../../etc/passwd", "..\\..\\boot.ini", "a\x00b.txt", "/abs.txt",
                     "%2e%2e%2fx.txt", "con.txt", "😀.md", " .txt", "a" * 1000]),
)  # fmt: skip
contents = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=1500).map(str.encode),
    st.sampled_from([b"", b"%PDF-", b"PK\x03\x04", b"<!doctype html>", b"\xef\xbb\xbf", b"\x00"]),
    st.tuples(
        st.sampled_from([b"%PDF-1.4", b"PK\x03\x04", b"<html>"]), st.binary(max_size=500)
    ).map(b"".join),
)
claimed = st.sampled_from(["text/plain", "application/pdf", "", "x/\x00", "image/png; a=b"])


def assert_rows_and_files_match(files) -> None:
    rows = dict(Document.objects.values_list("file", "size"))
    assert files.names() == set(rows)
    for name, size in rows.items():
        assert default_storage.size(name) == size


@pytest.fixture
def setup(settings, stored_files, admin_user):  # noqa: F811 (the fixture)
    settings.MAX_UPLOAD_BYTES = 2048
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client, make_organization(), stored_files


def test_console_uploads_never_500_nor_orphan_a_file(setup):
    client, org, files = setup

    @given(names, contents, claimed)
    def attempt(name, content, content_type):
        upload = SimpleUploadedFile("x", content, content_type=content_type)
        upload._name = name  # posted as typed, past the test helper's own name checks
        response = client.post(
            "/admin/summaries/document/add/", {"owner": org.owner.pk, "file": upload}
        )
        assert response.status_code < 500, response.status_code
        assert_rows_and_files_match(files)

    attempt()


def test_the_upload_service_refuses_or_stores_whole(setup):
    _, org, files = setup

    @given(names, contents, claimed)
    def attempt(name, content, content_type):
        upload = SimpleUploadedFile("x", content, content_type=content_type)
        upload._name = name
        try:
            document = document_upload(owner=org.owner, organization=org, uploaded_file=upload)
        except UploadRejectedError as error:
            assert error.code in {"empty", "too_large", "unsupported_type", "bad_name"}
        else:
            assert "\x00" not in document.original_name and "/" not in document.original_name
            assert default_storage.open(document.file.name).read() == content
        assert_rows_and_files_match(files)

    attempt()
