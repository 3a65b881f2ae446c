"""`document_delete`: the row goes, its file once that commits; summaries made from it stay."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from apps.summaries import uploads
from apps.summaries.models import Document, SummarizationRequest
from apps.summaries.services import document_delete, document_upload
from tests.factories import make_organization

pytestmark = pytest.mark.django_db
LOCAL = pytest.mark.parametrize("stored_files", ["local"], indirect=True)


def stored_document() -> Document:
    organization = make_organization()
    return document_upload(
        owner=organization.owner,
        organization=organization,
        uploaded_file=SimpleUploadedFile("notes.txt", b"Some words."),
    )


def test_the_file_goes_once_the_deletion_commits_and_the_summaries_stay(
    stored_files, django_capture_on_commit_callbacks
):
    document = stored_document()
    request = SummarizationRequest.objects.create(
        organization=document.organization, mode="brief", input_characters=11, document=document
    )
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document)
        assert stored_files.names() == {document.file.name}  # not before the commit
    assert not Document.objects.exists() and stored_files.names() == set()
    request.refresh_from_db()
    assert request.document is None


@LOCAL
def test_a_rolled_back_deletion_keeps_the_row_and_its_file(
    stored_files, django_capture_on_commit_callbacks
):
    document = stored_document()
    pk, name = document.pk, document.file.name
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        document_delete(document=document)
        raise RuntimeError("the caller failed after the deletion")
    assert callbacks == [] and Document.objects.filter(pk=pk).exists()
    assert stored_files.names() == {name}


class BrokenStorage:
    def delete(self, name: str) -> None:
        raise OSError("storage unreachable")


@LOCAL
def test_a_file_that_storage_fails_to_delete_is_logged_and_left_to_the_orphan_sweep(
    stored_files, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    document = stored_document()
    monkeypatch.setattr(uploads, "default_storage", BrokenStorage())
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document)
    assert not Document.objects.exists() and stored_files.names() == {document.file.name}
    assert f"could not delete the uploaded file {document.file.name}" in caplog.text
