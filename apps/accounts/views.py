"""The customer's way in: signup, sign in and out, address verification, password reset."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .anonymous import password_reset_request, signup_request, verification_resend_request
from .exceptions import AccountsError, QueueUnavailableError
from .forms import LoginForm, PasswordResetRequestForm, SignupForm, VerificationResendForm
from .ratelimits import auth_rate_limited
from .services import user_email_verify
from .tokens import read_verification_token

HOME = reverse_lazy("account")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The site's root: a signed-in customer's account; the console for staff and for
    whoever is signed out (its login says where customers sign in)."""
    user = request.user
    if user.is_authenticated and not user.is_staff:
        return redirect(HOME)
    return redirect("admin:index")


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
    """A new customer. The answer is "check your email" whether or not the address has an
    account (the work is queued: apps/accounts/anonymous.py): a new address gets its login,
    organization and verification link; one with an account gets "you already have one"."""
    if request.user.is_authenticated:
        return redirect(HOME)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup_request(**form.cleaned_data)
        except QueueUnavailableError as error:
            return queue_unavailable(request, error)
        request.session[SIGNUP_EMAIL] = form.cleaned_data["email"]
        return redirect("signup_done")
    intro = "Start on the Free plan: no card needed."
    return _form_page(request, form, "Create your account", "Sign up", intro)


SIGNUP_EMAIL = "accounts.signup_email"


@require_GET
def signup_done(request: HttpRequest) -> HttpResponse:
    address = request.session.get(SIGNUP_EMAIL) or "your address"
    return render(
        request,
        "accounts/message.html",
        {
            "title": "Check your email",
            "text": f"We sent a message to {address}: open it and follow its link to carry "
            "on. Nothing there in a few minutes? Look in your spam folder.",
            "link": reverse_lazy("login"),
            "link_text": "Sign in",
        },
    )


def queue_unavailable(request: HttpRequest, error: QueueUnavailableError) -> HttpResponse:
    """The same 503 page for every address: the request was not taken."""
    response = render(
        request,
        "accounts/message.html",
        {"title": "Please try again", "text": str(error)},
        status=503,
    )
    response["Retry-After"] = "60"
    return response


@require_http_methods(["GET", "POST"])
def verification_resend(request: HttpRequest) -> HttpResponse:
    """Ask for a new verification link; the answer never says whether the address has one."""
    initial = {"email": request.user.email} if request.user.is_authenticated else None
    form = VerificationResendForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            verification_resend_request(email=form.cleaned_data["email"])
        except QueueUnavailableError as error:
            return queue_unavailable(request, error)
        messages.info(
            request,
            "If that address has an account waiting for verification, a new link is "
            "on its way. It works for 7 days.",
        )
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


class QueuedPasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, answered the same for every address: the lookup and the email
    are a queued task's (apps/accounts/anonymous.py), never this request's."""

    form_class = PasswordResetRequestForm

    def form_valid(self, form):
        try:
            password_reset_request(email=form.cleaned_data["email"])
        except QueueUnavailableError as error:
            return queue_unavailable(self.request, error)
        return redirect(self.get_success_url())


class CustomerPasswordResetView(QueuedPasswordResetView):
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
    QueuedPasswordResetView.as_view(),
    group="password_reset",
    field="email",
)
signup_view = auth_rate_limited(signup, group="signup", field="email")
verification_resend_view = auth_rate_limited(
    verification_resend, group="verification_resend", field="email"
)


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/message.html",
        {
            "title": "Check your inbox",
            "text": "If that address has an account, a link to choose a new password is on its "
            "way.",
        },
    )


def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/message.html",
        {
            "title": "Password changed",
            "text": "Your new password is set.",
            "link": reverse_lazy("login"),
            "link_text": "Sign in",
        },
    )
