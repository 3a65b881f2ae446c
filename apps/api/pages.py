"""The customer's account pages (HTML): plan and usage, API keys, documents, preferences.

They sit on top like the JSON API: they read and act through the domain apps' services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.forms import LanguageForm
from apps.accounts.services import user_language_set

from . import selectors

customer_login_required = login_required(login_url="login")


@customer_login_required
def account(request: HttpRequest) -> HttpResponse:
    """The account page: plan, this month's usage, keys, documents, email choices."""
    context = selectors.account_overview(user=request.user)
    context["language_form"] = LanguageForm(initial={"language": request.user.language})
    return render(request, "accounts/account.html", context)


@customer_login_required
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        user_language_set(user=request.user, language=form.cleaned_data["language"])
        messages.success(request, "Saved: our emails to you will use that language.")
    else:
        messages.error(request, "Choose one of the languages offered.")
    return redirect("account")


@customer_login_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    return redirect("account")
