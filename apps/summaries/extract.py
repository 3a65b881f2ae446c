"""The text of an uploaded document, by the type its bytes showed at upload."""

import html
import re
import zipfile

from django.conf import settings
from django.utils.html import strip_tags

from .exceptions import DocumentUnreadableError
from .models import Document
from .uploads import DOCX

DOCX_XML_MAX = 50 * 1024 * 1024  # a bigger document.xml inside a 10 MB upload is a zip bomb
W_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|</w:p>")


def document_text(*, document: Document) -> str:
    """Extract the document's text; raises DocumentUnreadableError when there is none."""
    with document.file.open("rb") as handle:
        data = handle.read(settings.MAX_UPLOAD_BYTES + 1)
    try:
        text = _EXTRACTORS[document.content_type](data)
    except DocumentUnreadableError:
        raise
    except Exception as error:  # a damaged file: any parser error means "cannot read it"
        raise DocumentUnreadableError(
            f"{document.original_name} could not be read as {document.content_type}."
        ) from error
    text = text.replace("\x00", "").strip()
    if not text:
        raise DocumentUnreadableError(f"{document.original_name} holds no text to summarize.")
    return text


def _utf8(data: bytes) -> str:
    return data.decode("utf-8-sig")


def _html(data: bytes) -> str:
    body = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", _utf8(data))
    return html.unescape(strip_tags(body))


def _docx(data: bytes) -> str:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if archive.getinfo("word/document.xml").file_size > DOCX_XML_MAX:
            raise DocumentUnreadableError("This .docx unpacks to more than 50 MB of text.")
        xml = archive.read("word/document.xml").decode("utf-8")
    parts = [m.group(1) if m.group(1) is not None else "\n" for m in W_TEXT.finditer(xml)]
    return html.unescape("".join(parts))


def _pdf(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join((page.extract_text() or "") for page in reader.pages[:500])


_EXTRACTORS = {
    "text/plain": _utf8,
    "text/markdown": _utf8,
    "text/html": _html,
    DOCX: _docx,
    "application/pdf": _pdf,
}
