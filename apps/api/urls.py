from django.urls import path

from . import pages
from .api import api
from .files import file_download

urlpatterns = [
    path("api/", api.urls),
    path("api/files/<str:token>/", file_download, name="api_file"),
    path("accounts/", pages.account, name="account"),
    path("accounts/language/", pages.language, name="account_language"),
    path("accounts/keys/", pages.key_create, name="account_key_create"),
    path("accounts/keys/<int:pk>/revoke/", pages.key_revoke, name="account_key_revoke"),
    path("accounts/documents/", pages.document_create, name="account_document_create"),
    path(
        "accounts/documents/<int:pk>/delete/", pages.document_delete, name="account_document_delete"
    ),
]
