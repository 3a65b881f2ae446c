"""Every API error is JSON `{"code": ..., "message": ...}` with the right status."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from apps.billing.exceptions import NoPlanError, QuotaExceededError
from apps.summaries.exceptions import (
    DocumentUnreadableError,
    QueueUnavailableError,
    UploadRejectedError,
)

from .parser import UnstorableTextError

UPLOAD_STATUS = {"too_large": 413, "unsupported_type": 415}


class ApiError(Exception):
    """An answer other than success: its status, a stable code and a sentence for people."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def register(api: NinjaAPI) -> None:
    def answer(request, status, code, message, headers=None, **extra) -> HttpResponse:
        response = api.create_response(
            request, {"code": code, "message": message, **extra}, status=status
        )
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, error: ApiError):
        return answer(request, error.status, error.code, error.message, error.headers)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, error):
        return answer(
            request,
            401,
            "unauthenticated",
            "Send a valid API key as 'Authorization: Bearer ss_...' (see your account page).",
            {"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(ValidationError)
    def invalid(request, error: ValidationError):
        errors = [
            {"loc": [str(part) for part in e.get("loc", [])], "msg": str(e.get("msg", ""))}
            for e in error.errors
        ]
        return answer(request, 422, "invalid_request", "The request is not valid.", errors=errors)

    @api.exception_handler(UnstorableTextError)
    def unstorable(request, error: UnstorableTextError):
        errors = [{"loc": error.loc, "msg": str(error)}]
        return answer(request, 422, "invalid_request", str(error), errors=errors)

    @api.exception_handler(HttpError)
    def http_error(request, error: HttpError):
        # ninja wraps whatever the body parser raised in a 400 "Cannot parse request body".
        if isinstance(error.__cause__, UnstorableTextError):
            return unstorable(request, error.__cause__)
        return answer(request, error.status_code, "http_error", str(error))

    @api.exception_handler(MultiPartParserError)
    def malformed_upload(request, error):
        message = f"The upload could not be read as multipart/form-data: {error}"
        if "header size" in str(error):  # Django's 1,024-byte limit on a part's headers
            message += " A part's headers, its file name included, must fit in 1,024 bytes: "
            message += "give the file a shorter name."
        return answer(request, 400, "malformed_upload", message)

    @api.exception_handler(QueueUnavailableError)
    def queue_down(request, error: QueueUnavailableError):
        return answer(
            request,
            503,
            "queue_unavailable",
            str(error),
            {"Retry-After": str(error.retry_after)},
        )

    @api.exception_handler(QuotaExceededError)
    def over_quota(request, error):
        return answer(request, 402, "quota_exceeded", str(error))

    @api.exception_handler(NoPlanError)
    def no_plan(request, error):
        return answer(request, 402, "no_plan", str(error))

    @api.exception_handler(UploadRejectedError)
    def upload_refused(request, error: UploadRejectedError):
        return answer(request, UPLOAD_STATUS.get(error.code, 400), error.code, str(error))

    @api.exception_handler(DocumentUnreadableError)
    def unreadable(request, error):
        return answer(request, 422, "unreadable_document", str(error))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, error):
        return answer(request, 413, "too_large", "The request body is too large.")
