from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import EmailPasswordResetForm

reset = auth_views.PasswordResetView.as_view(form_class=EmailPasswordResetForm)

urlpatterns = [
    path("accounts/verify/<str:token>/", views.email_verify, name="email_verify"),
    path("admin/password_reset/", reset, name="admin_password_reset"),
    path("accounts/password_reset/", reset, name="password_reset"),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
