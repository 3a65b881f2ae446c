"""The customer's way in: signup, sign in and out, address verification, password reset."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .exceptions import AccountsError, EmailTakenError
from .forms import EmailPasswordResetForm, LoginForm, SignupForm, VerificationResendForm
from .ratelimits import auth_rate_limited
from .services import customer_signup, user_email_verify, verification_email_resend
from .tokens import read_verification_token

HOME = reverse_lazy("account")


@require_GET
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification email: marks the address verified, or says why not."""
    try:
        data = read_verification_token(token)
        user = user_email_verify(user_id=data["u"], email=data["e"])
    except signing.SignatureExpired:
        reason = "This verification link has expired. Sign in and ask for a new one."
    except (signing.BadSignature, AccountsError) as error:
        reason = (
            str(error)
            if isinstance(error, AccountsError)
            else ("This verification link is not valid: it was changed or cut short.")
        )
    else:
        return render(request, "mail/verify_done.html", {"email": user.email})
    return render(request, "mail/link_invalid.html", {"reason": reason}, status=400)


def _form_page(request, form, title: str, submit: str, intro: str = "", status: int = 200):
    page = {"form": form, "title": title, "submit": submit, "intro": intro}
    return render(request, "accounts/form.html", page, status=status)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new customer: login, organization on the Free plan, welcome and verification emails."""
    if request.user.is_authenticated:
        return redirect(HOME)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = customer_signup(**form.cleaned_data)
        except EmailTakenError as error:
            form.add_error("email", str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, f"Welcome! We sent a verification link to {user.email}: open it to "
                "activate API access.",
            )  # fmt: skip
            return redirect(HOME)
    intro = "Start on the Free plan: no card needed."
    return _form_page(request, form, "Create your account", "Sign up", intro)


@require_http_methods(["GET", "POST"])
def verification_resend(request: HttpRequest) -> HttpResponse:
    """Ask for a new verification link; the answer never says whether the address has one."""
    initial = {"email": request.user.email} if request.user.is_authenticated else None
    form = VerificationResendForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        verification_email_resend(email=form.cleaned_data["email"])
        messages.info(
            request, "If that address has an account waiting for verification, a new link is "
            "on its way. It works for 7 days.",
        )  # fmt: skip
        return redirect(HOME if request.user.is_authenticated else "login")
    return _form_page(request, form, "Send a new verification link", "Send the link")


class CustomerLoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    next_page = HOME
    extra_context = {"title": "Sign in", "submit": "Sign in"}


class CustomerLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("login")


class CustomerPasswordResetView(auth_views.PasswordResetView):
    form_class = EmailPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    extra_context = {
        "title": "Reset your password",
        "submit": "Email me a link",
        "intro": "Type the address you sign in with: we email a link to choose a new password.",
    }


login_view = auth_rate_limited(CustomerLoginView.as_view(), group="login", field="username")
password_reset = auth_rate_limited(
    CustomerPasswordResetView.as_view(), group="password_reset", field="email"
)
admin_password_reset = auth_rate_limited(
    auth_views.PasswordResetView.as_view(form_class=EmailPasswordResetForm),
    group="password_reset",
    field="email",
)
signup_view = auth_rate_limited(signup, group="signup", field="email")
verification_resend_view = auth_rate_limited(
    verification_resend, group="verification_resend", field="email"
)


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/message.html", {
        "title": "Check your inbox",
        "text": "If that address has an account, a link to choose a new password is on its way.",
    })  # fmt: skip


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/message.html", {
        "title": "Password changed", "text": "Your new password is set.",
        "link": reverse_lazy("login"), "link_text": "Sign in",
    })  # fmt: skip
