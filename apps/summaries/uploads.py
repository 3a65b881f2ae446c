"""Uploaded documents: checked by their bytes, stored under a generated name, never orphaned.

Every upload (the console's Document page, the API, the account page) goes through
`document_upload`. The checks run before anything is written; the file is written only after
them, inside the caller's transaction, and removed again if that transaction rolls back.
Deleting one (the API, the account page) goes through `document_delete`: the row first, the
file once that commits.
"""

import codecs
import datetime as dt
import logging
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from apps.accounts.models import Organization, User
from apps.text_input import is_poisoned

from .exceptions import UploadRejectedError
from .models import Document

logger = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {
    "text/plain": "txt",
    "text/markdown": "md",
    "text/html": "html",
    "application/pdf": "pdf",
    DOCX: "docx",
}
MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class CheckedUpload:
    """What the checks learned: the name to show, the type found in the bytes, the size."""

    display_name: str
    content_type: str
    size: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def upload_check(*, uploaded_file: UploadedFile) -> CheckedUpload:
    """Check an upload's name, size and type (sniffed from its bytes, whatever it claims)."""
    name = display_name(uploaded_file.name or "")
    size = uploaded_file.size or 0
    if size == 0:
        raise UploadRejectedError(f"{name} is empty: there is nothing to summarize.", code="empty")
    if size > settings.MAX_UPLOAD_BYTES:
        raise UploadRejectedError(
            f"{name} is {filesizeformat(size)}; the limit is "
            f"{filesizeformat(settings.MAX_UPLOAD_BYTES)}. Split the document or compress it.",
            code="too_large",
        )
    content_type = sniff_type(uploaded_file, name)
    if content_type not in settings.ALLOWED_UPLOAD_TYPES:
        accepted = ", ".join(sorted(EXTENSIONS[t] for t in settings.ALLOWED_UPLOAD_TYPES))
        raise UploadRejectedError(
            f"{name} is not a document we can read; accepted: {accepted} "
            "(UTF-8 text, Markdown, HTML, PDF, Word .docx).",
            code="unsupported_type",
        )
    return CheckedUpload(display_name=name, content_type=content_type, size=size)


def display_name(raw: str) -> str:
    """The name to show: its last path part, without control characters, at most 255 long."""
    if is_poisoned(raw):
        raise UploadRejectedError(
            "The file name contains a NUL character or an unpaired surrogate; rename the file "
            "and upload it again.",
            code="bad_name",
        )
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    clean = clean or "document"
    if len(clean) > 255:
        stem, dot, suffix = clean.rpartition(".")
        clean = stem[: 254 - len(suffix)] + dot + suffix if dot and len(suffix) < 16 else clean
    return clean[:255]


def sniff_type(uploaded_file: UploadedFile, name: str) -> str:
    """The type the bytes show: PDF, Word .docx, HTML, Markdown or plain UTF-8 text; else ""."""
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(uploaded_file) else ""
    if not _is_utf8_text(uploaded_file):
        return ""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return "text/markdown" if name.lower().endswith(MARKDOWN_SUFFIXES) else "text/plain"


def _is_docx(uploaded_file: UploadedFile) -> bool:
    try:  # reads the zip's directory only: nothing is extracted
        with zipfile.ZipFile(uploaded_file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    finally:
        uploaded_file.seek(0)
    return {"[Content_Types].xml", "word/document.xml"} <= names


def _is_utf8_text(uploaded_file: UploadedFile) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in uploaded_file.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        uploaded_file.seek(0)
    return True


def document_upload(
    *,
    owner: User,
    uploaded_file: UploadedFile,
    organization: Organization | None = None,
    document: Document | None = None,
) -> Document:
    """Check an upload, then store it privately under a generated name with its row.

    `document` is an unsaved row to fill (the console's add form has one); a new one otherwise.
    Raises UploadRejectedError (with a `code`) before anything is written.
    """
    checked = upload_check(uploaded_file=uploaded_file)
    document = document or Document()
    document.owner, document.organization = owner, organization
    document.original_name, document.size = checked.display_name, checked.size
    document.content_type = checked.content_type
    content = File(uploaded_file)
    content.content_type = checked.content_type  # S3 serves it with this type, not the claimed one
    with transaction.atomic():
        document.file.save(f"{uuid.uuid4().hex}.{checked.extension}", content, save=False)
        try:
            document.save()
        except BaseException:
            _delete_quietly(document.file.name)
            raise
        transaction.on_commit(_DeleteUnlessCommitted(document.file.name))
    return document


class _DeleteUnlessCommitted:
    """An on-commit callback that deletes the file if it is dropped without being called.

    Django has no on-rollback hook, but it drops the on-commit callbacks of a transaction (or
    savepoint) that rolls back: that drop is our signal to remove the file written for a row
    that no longer exists. A crash before commit is left to `document_orphans_delete`.
    """

    def __init__(self, name: str):
        self.name, self.committed = name, False

    def __call__(self) -> None:
        self.committed = True

    def __del__(self) -> None:
        if not self.committed:
            _delete_quietly(self.name)


def _delete_quietly(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # the orphan sweep gets another chance; never mask the caller's error
        logger.exception("could not delete the uploaded file %s", name)


def document_delete(*, document: Document) -> None:
    """Delete a document and, once that commits, its file; summaries made from it stay.

    A rolled-back deletion keeps the file its row still names. A file that storage fails to
    delete after the commit is logged and left to `document_orphans_delete`: the document is
    gone either way, so the caller reports success.
    """
    name = document.file.name
    with transaction.atomic():
        document.delete()
        transaction.on_commit(lambda: _delete_quietly(name))


def document_orphans_delete(*, older_than_hours: int = 24, batch_size: int = 500) -> int:
    """Delete files under documents/ that no row names (left by a crash before commit).

    Only files older than `older_than_hours` go: a younger one may belong to a transaction
    still open. Returns how many were deleted.
    """
    cutoff = timezone.now() - dt.timedelta(hours=older_than_hours)
    deleted = 0
    for batch in _batches(_stored_names("documents"), batch_size):
        known = set(Document.objects.filter(file__in=batch).values_list("file", flat=True))
        for name in batch:
            if name not in known and default_storage.get_modified_time(name) < cutoff:
                _delete_quietly(name)
                deleted += 1
    return deleted


def _stored_names(folder: str):
    try:  # S3 has no folders to ask exists() about: list, and take "no such folder" as empty
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_names(f"{folder}/{sub}")


def _batches(names, size: int):
    batch = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
