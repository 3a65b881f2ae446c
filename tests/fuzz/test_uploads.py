"""Hostile uploads through the API, the console's add page and the upload service: no 500, no
file without its row, no row without its file (local files and S3 on SeaweedFS); names hold
NULs, lone surrogates and non-BMP characters (`tests.strategies.hostile_text`), and over the
API they arrive as the raw bytes a client can send."""

from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from apps.api.keys import api_key_create
from apps.summaries.exceptions import UploadRejectedError
from apps.summaries.models import Document
from apps.summaries.services import document_upload
from apps.text_input import is_poisoned
from tests.factories import make_organization, make_plan, make_user
from tests.storage import s3_files, seaweedfs, stored_files  # noqa: F401 (fixtures)
from tests.strategies import hostile_text

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

names = st.one_of(
    st.text(min_size=1, max_size=300).filter(lambda n: n.strip("./\\") != ""),
    hostile_text(min_size=1, max_size=300),
    st.sampled_from(
        [
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "a\x00b.txt",
            "/abs.txt",
            "%2e%2e%2fx.txt",
            "con.txt",
            "😀.md",
            " .txt",
            "a" * 1000,
        ]
    ),
)
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


# Django's test client writes the multipart body as UTF-8, which cannot hold a lone surrogate:
# the console test sends what a browser would (U+FFFD); the API test below sends raw bytes.
typed_names = names.map(lambda n: n.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


def test_console_uploads_never_500_nor_orphan_a_file(setup):
    client, org, files = setup

    @given(typed_names, contents, claimed)
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
            assert not is_poisoned(document.original_name) and "/" not in document.original_name
            assert default_storage.open(document.file.name).read() == content
        assert_rows_and_files_match(files)

    attempt()


BOUNDARY = "fuzz-7MA4YWxkTrZu0gW"


def multipart(name: bytes, content: bytes, *, extended: bool) -> bytes:
    """A one-file multipart body with the file name as raw bytes (or RFC 2231 `filename*`)."""
    if extended:
        disposition = b"filename*=UTF-8''" + quote(name, safe="").encode()
    else:
        disposition = b'filename="' + name + b'"'
    return (
        f"--{BOUNDARY}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; '
        + disposition
        + b"\r\nContent-Type: application/octet-stream\r\n\r\n"
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def test_api_uploads_with_hostile_names_are_a_json_4xx_or_stored_whole(setup, settings):
    _, _, files = setup
    settings.API_RATE_BY_PLAN = {"fuzz": "100000/m"}
    settings.ANALYTICS_FLUSH_SECONDS = 0  # no flusher thread: it could not see this test's rows
    user = make_user(email_verified_at=timezone.now())
    organization = make_organization(plan=make_plan("fuzz", 10**9), owner=user)
    key = api_key_create(organization=organization, name="fuzz", user=user)[1]
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    @given(names, contents, st.booleans())
    def attempt(name, content, extended):
        raw = name.encode("utf-8", "surrogatepass")  # lone surrogates as the bytes sent
        response = client.post(
            "/api/v1/documents",
            multipart(raw, content, extended=extended),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code < 500, response.content[:300]
        assert response["Content-Type"].startswith("application/json")
        if response.status_code == 201:
            stored = Document.objects.get(pk=response.json()["id"]).original_name
            assert not is_poisoned(stored) and "/" not in stored and len(stored) <= 255
        assert_rows_and_files_match(files)

    attempt()
