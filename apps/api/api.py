from ninja import NinjaAPI

from . import errors
from .auth import ApiKeyAuth
from .v1 import router

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
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/v1/", router)
errors.register(api)
