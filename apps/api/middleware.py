"""The API's middleware: JSON errors for every /api/ answer, the interaction log (buffered:
no query here), and the upload size limit before a body is read."""

import time
from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse

from apps.analytics.services import interaction_log_buffer


class InteractionLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        api_key = getattr(request, "api_key", None)
        if api_key is not None and settings.API_INTERACTION_LOG:
            noted = getattr(request, "api_interaction", {})
            interaction_log_buffer(
                organization_id=api_key.organization_id,
                user_id=api_key.created_by_id,
                endpoint=f"{request.method} {_route(request)}",
                status_code=response.status_code,
                mode=noted.get("mode", ""),
                input_characters=noted.get("input_characters", 0),
                output_characters=noted.get("output_characters", 0),
                response_ms=round((time.perf_counter() - started) * 1000),
                error_kind=_error_code(response),
            )
        return response


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match else request.path[:60]


def _error_code(response) -> str:
    if response.status_code < 400:
        return ""
    return {
        401: "unauthenticated",
        402: "quota_exceeded",
        403: "forbidden",
        404: "not_found",
        413: "too_large",
        415: "unsupported_type",
        422: "invalid_request",
        429: "rate_limited",
    }.get(response.status_code, str(response.status_code))


class UploadSizeLimitMiddleware:
    """Refuses a request body far over MAX_UPLOAD_BYTES by its Content-Length, before reading it
    (multipart files are not bounded by DATA_UPLOAD_MAX_MEMORY_SIZE: Django would spool them)."""

    SLACK = 1024 * 1024  # multipart headers and other fields

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_BYTES + self.SLACK:
            return _too_large(request)
        return self.get_response(request)


def _too_large(request):
    from django.http import HttpResponse, JsonResponse

    message = "The request body is larger than the upload limit."
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "too_large", "message": message}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class ApiJsonErrorsMiddleware:
    """Every /api/ error is JSON `{"code", "message"}`, whoever answered it: Django's URL
    resolver (404 for an unknown path), ninja's method check (405, with its Allow header), the
    multipart parser (400), an uncaught exception (500). Answers already JSON pass unchanged,
    as do successes (the docs page, file downloads)."""

    CODES = {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        500: "server_error",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        json_response = JsonResponse(
            {
                "code": self.CODES.get(status, f"http_{status}"),
                "message": _message(request, status),
            },
            status=status,
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        return json_response


def _message(request, status: int) -> str:
    if status == 404:
        return f"There is no {request.path} in the API; see /api/docs for its routes."
    if status == 405:
        return f"{request.method} is not allowed on {request.path}."
    if status >= 500:
        return "Something went wrong on our side; it has been logged. Try again later."
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:  # a status the standard library does not name
        return f"HTTP {status}."
