"""Every upload goes through one service: checked by its bytes, stored under a generated name,
never left in storage without its row (local files and S3 on SeaweedFS alike)."""

import io
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from apps.summaries.exceptions import UploadRejectedError
from apps.summaries.models import Document
from apps.summaries.services import document_upload
from apps.summaries.uploads import document_orphans_delete
from tests.factories import make_organization
from tests.summaries.documents import docx_bytes

pytestmark = pytest.mark.django_db
ADD = "/admin/summaries/document/add/"


ACCEPTED = [
    ("notes.txt", b"Plain words. More words.", "text/plain", "txt"),
    ("NOTES.md", "# Title\n\nUnicode: é, 漢字.".encode(), "text/markdown", "md"),
    ("page.htm", b"<!DOCTYPE html><p>Hi.</p>", "text/html", "html"),
    ("report.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF", "application/pdf", "pdf"),
    (
        "letter.docx",
        docx_bytes(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
]
REFUSED = [
    ("empty.txt", b"", "text/plain", "is empty"),
    ("big.txt", b"x" * 2049, "text/plain", "the limit is 2.0"),
    ("run.txt", b"MZ\x90\x00\x03\x00", "text/plain", "not a document we can read"),  # an .exe
    ("fake.pdf", b"\xff\xd8\xff\xe0JFIF", "application/pdf", "not a document we can read"),
    ("fake.docx", b"PK\x03\x04 not really a zip", "application/zip", "not a document"),
    ("latin1.txt", "café".encode("latin-1"), "text/plain", "not a document we can read"),
]
IDS = [case[0] for case in REFUSED]


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.MAX_UPLOAD_BYTES = 2048


def upload(name: str, content: bytes, content_type: str = "text/plain") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "expected", "extension"), ACCEPTED, ids=[case[0] for case in ACCEPTED]
)
def test_an_accepted_upload_is_stored_under_a_generated_name_with_the_type_its_bytes_show(
    stored_files, name, content, expected, extension
):
    org = make_organization()
    # The claimed type is ignored: the bytes decide.
    document = document_upload(
        owner=org.owner, organization=org, uploaded_file=upload(name, content, "image/png")
    )
    assert (document.original_name, document.content_type, document.size) == (
        name,
        expected,
        len(content),
    )
    assert document.file.name.startswith("documents/") and document.file.name.endswith(extension)
    assert name not in document.file.name  # the stored name is ours, never the uploader's
    assert stored_files.names() == {document.file.name}
    assert default_storage.open(document.file.name).read() == content


@pytest.mark.parametrize(("name", "content", "claimed", "message"), REFUSED, ids=IDS)
def test_a_refused_upload_is_a_form_error_in_the_console_and_leaves_nothing(
    stored_files, admin_client, name, content, claimed, message
):
    org = make_organization()
    response = admin_client.post(
        ADD, {"owner": org.owner.pk, "organization": org.pk, "file": upload(name, content, claimed)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Document.objects.exists() and stored_files.names() == set()
    with pytest.raises(UploadRejectedError):  # the API and account page call the same service
        document_upload(owner=org.owner, uploaded_file=upload(name, content, claimed))


def test_a_nul_in_the_name_is_refused_by_the_service_and_dropped_on_the_wire(
    stored_files, admin_client
):
    org = make_organization()
    with pytest.raises(UploadRejectedError, match="NUL character"):
        document_upload(owner=org.owner, uploaded_file=upload("bad\x00name.txt", b"Text."))
    assert stored_files.names() == set()
    # Django's multipart parser drops unprintable characters from a posted file name.
    response = admin_client.post(
        ADD, {"owner": org.owner.pk, "file": upload("bad\x00name.txt", b"Text.")}
    )
    assert response.status_code == 302
    assert Document.objects.get().original_name == "badname.txt"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/absolute/path/notes.txt", "notes.txt"),
        ("...", "document"),
        ("tab\tand\nnewline\x1b.txt", "tabandnewline.txt"),
        ("x" * 400 + ".txt", "x" * 251 + ".txt"),
    ],
)
def test_a_path_in_the_name_never_reaches_storage_and_the_shown_name_is_its_last_part(
    stored_files, name, shown
):
    org = make_organization()
    document = document_upload(owner=org.owner, uploaded_file=upload(name, b"Some text."))
    assert document.original_name == shown
    (stored,) = stored_files.names()
    assert stored == document.file.name and ".." not in stored and "etc" not in stored


def test_the_console_add_page_stores_an_upload_and_lists_it(stored_files, admin_client):
    org = make_organization()
    response = admin_client.post(
        ADD, {"owner": org.owner.pk, "organization": org.pk, "file": upload("a.txt", b"Hello.")}
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.original_name, document.organization) == ("a.txt", org)
    assert stored_files.names() == {document.file.name}
    listing = admin_client.get("/admin/summaries/document/").content.decode()
    assert "a.txt" in listing
    change = admin_client.get(f"/admin/summaries/document/{document.pk}/change/")
    assert change.status_code == 200


def test_a_rolled_back_transaction_takes_its_file_with_it(stored_files):
    org = make_organization()
    with pytest.raises(RuntimeError), transaction.atomic():
        document_upload(owner=org.owner, uploaded_file=upload("a.txt", b"Hello."))
        raise RuntimeError("the caller failed after the upload")
    assert not Document.objects.exists() and stored_files.names() == set()
    with transaction.atomic():  # a savepoint rolled back inside a transaction that commits
        kept = document_upload(owner=org.owner, uploaded_file=upload("k.txt", b"Kept."))
        try:
            with transaction.atomic():
                document_upload(owner=org.owner, uploaded_file=upload("b.txt", b"Gone."))
                raise RuntimeError
        except RuntimeError:
            pass
    assert stored_files.names() == {kept.file.name}


@pytest.mark.parametrize("stored_files", ["s3"], indirect=True)
def test_s3_objects_are_read_back_through_a_short_lived_signed_url(stored_files):
    org = make_organization()
    hostile = upload("a.txt", b"Secret.", "image/png\x00; q=1")  # S3 refuses this header as is
    document = document_upload(owner=org.owner, uploaded_file=hostile)
    head = stored_files.client.head_object(Bucket=stored_files.bucket, Key=document.file.name)
    assert head["ContentType"] == "text/plain"  # served as what the bytes are
    url = document.file.url
    assert "Signature=" in url and ("Expires=" in url or "X-Amz-Expires=" in url)
    with urllib.request.urlopen(url, timeout=10) as signed:
        assert signed.read() == b"Secret."


def test_the_orphan_sweep_deletes_old_files_without_a_row_and_keeps_the_rest(
    stored_files, time_machine
):
    org = make_organization()
    kept = document_upload(owner=org.owner, uploaded_file=upload("a.txt", b"Kept."))
    orphan = default_storage.save("documents/2026/01/crashed.txt", io.BytesIO(b"lost"))
    assert document_orphans_delete(older_than_hours=24) == 0  # too young: maybe in flight
    time_machine.move_to("2099-01-01")
    assert document_orphans_delete(older_than_hours=24) == 1
    assert stored_files.names() == {kept.file.name} and orphan not in stored_files.names()
