from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.views.decorators.http import require_GET

from .periodic import report_path_from_token


@require_GET
def usage_report_download(request, token: str):
    """Serve a usage report to whoever holds its signed link (S3: a short presigned URL)."""
    try:
        path = report_path_from_token(token)
    except signing.SignatureExpired as exc:
        raise Http404("This download link has expired; ask for the report again.") from exc
    except signing.BadSignature as exc:
        raise Http404("This download link is not valid.") from exc
    if not default_storage.exists(path):
        raise Http404("This report no longer exists.")
    if settings.AWS_STORAGE_BUCKET_NAME:
        return HttpResponseRedirect(default_storage.url(path))
    name = path.rsplit("/", 1)[-1]
    return FileResponse(default_storage.open(path, "rb"), as_attachment=True, filename=name)
