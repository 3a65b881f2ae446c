from ninja import NinjaAPI, Swagger

from . import errors
from .auth import ApiKeyAuth
from .parser import StorableTextParser
from .v1 import router


class LocalSwagger(Swagger):
    """Swagger UI from ninja's bundled static files (served by us, no CDN: "ninja" is in
    INSTALLED_APPS), in a page that fits a phone (viewport) and runs no inline script."""

    template = "api/swagger.html"


api = NinjaAPI(
    title="SummaSaaS API",
    version="1",
    description=(
        "Summaries of texts and documents in four modes, billed by characters per month. "
        "Authenticate with `Authorization: Bearer ss_...` (make a key on your account page). "
        "Errors are JSON `{code, message}`."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=StorableTextParser(),
)
api.add_router("/v1/", router)
errors.register(api)
