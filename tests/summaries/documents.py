"""Documents the upload and extraction tests send: built the same to the byte every time, as
their bytes are part of the tests' ids, which every pytest-xdist worker must collect alike (a
zip stamps its entries with the time it was written)."""

import io
import zipfile

WRITTEN = (2026, 1, 1, 0, 0, 0)


def docx_bytes(body: str = "") -> bytes:
    """A minimal .docx: its content types and a document holding `body` (WordprocessingML)."""
    document = f"<w:document><w:body>{body}</w:body></w:document>" if body else "<w:document/>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("[Content_Types].xml", WRITTEN), "<Types/>")
        archive.writestr(zipfile.ZipInfo("word/document.xml", WRITTEN), document)
    return buffer.getvalue()
