from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import backing_services_status


@never_cache
@require_GET
def healthz(request) -> JsonResponse:
    """200 when the database and the broker answer, 503 (saying which failed) otherwise."""
    status = backing_services_status()
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse({"ok": healthy, **status}, status=200 if healthy else 503)
