from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/signup/", views.signup_view, name="signup"),
    path("accounts/signup/done/", views.signup_done, name="signup_done"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.CustomerLogoutView.as_view(), name="logout"),
    path("accounts/verify/resend/", views.verification_resend_view, name="verification_resend"),
    path("accounts/verify/<str:token>/", views.email_verify, name="email_verify"),
    path("admin/password_reset/", views.admin_password_reset, name="admin_password_reset"),
    path("accounts/password_reset/", views.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", views.password_reset_done, name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", views.password_reset_complete, name="password_reset_complete"),
]
