"""Signed, short-lived links to stored files (documents, long summaries).

On S3 the link is the storage's own presigned URL; on local files it is a signed token for
`file_download`, which checks it and streams the file.
"""

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_GET

SALT = "api.file"
MAX_AGE = 3600


def signed_file_url(*, name: str, filename: str, content_type: str) -> str:
    if settings.AWS_STORAGE_BUCKET_NAME:
        return default_storage.url(name)
    token = signing.dumps({"n": name, "f": filename, "t": content_type}, salt=SALT, compress=True)
    return settings.SITE_URL + reverse("api_file", args=[token])


@require_GET
def file_download(request: HttpRequest, token: str):
    """Serve a stored file to whoever holds its signed link, for an hour."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        name, filename, content_type = data["n"], data["f"], data["t"]
    except signing.BadSignature as error:  # SignatureExpired included
        raise Http404(
            "This link is not valid or has expired; ask the API for a new one."
        ) from error
    except (TypeError, KeyError) as error:  # signed by us, but not a file link's shape
        raise Http404("This link is not valid.") from error
    response = FileResponse(stored_file_open(name), as_attachment=True, filename=filename)
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


def stored_file_open(name) -> File:
    """The stored file a signed link names, open for reading, or Http404: a name that is not a
    file (gone, a directory, an empty name) is "no such file", never a 500."""
    if not isinstance(name, str) or not name.strip("/"):
        raise Http404("This file no longer exists.")
    try:
        return default_storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
        raise Http404("This file no longer exists.") from error
