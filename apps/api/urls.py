from django.urls import path

from . import pages

urlpatterns = [
    path("accounts/", pages.account, name="account"),
    path("accounts/language/", pages.language, name="account_language"),
]
