"""The text of each accepted document type, and a clear refusal when there is none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.summaries.exceptions import DocumentUnreadableError
from apps.summaries.extract import document_text
from apps.summaries.services import document_upload
from tests.factories import make_user
from tests.summaries.documents import docx_bytes

pytestmark = pytest.mark.django_db


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica, written by hand (no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def docx(paragraphs: list[str]) -> bytes:
    return docx_bytes(
        "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    )


def stored(name: str, content: bytes):
    return document_upload(owner=make_user(), uploaded_file=SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", "\ufeffPlain text. Second.".encode(), "Plain text. Second."),
        ("a.md", b"# Title\n\nBody text.", "# Title\n\nBody text."),
        (
            "a.html",
            b"<html><style>p{}</style><script>x()</script><p>Caf&eacute; open.</p></html>",
            "Café open.",
        ),
        ("a.docx", docx(["First &amp; best.", "Second."]), "First & best.\nSecond."),
        (
            "a.pdf",
            minimal_pdf("Hello PDF world. Second sentence."),
            "Hello PDF world. Second sentence.",
        ),
    ],
)
def test_each_type_gives_its_text(name, content, expected):
    assert document_text(document=stored(name, content)) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("blank.txt", b"   \n  "),
        ("empty.html", b"<html><script>only()</script></html>"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf"),
    ],
)
def test_a_document_without_text_is_refused_clearly(name, content):
    with pytest.raises(DocumentUnreadableError):
        document_text(document=stored(name, content))
