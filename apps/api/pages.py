"""The customer's account pages (HTML): plan and usage, API keys, documents, preferences.

They sit on top like the JSON API: they read and act through the domain apps' services.
"""

from email.utils import parseaddr
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.forms import LanguageForm
from apps.accounts.services import user_language_set
from apps.billing.models import Plan, Subscription
from apps.summaries import services as summaries_services  # a view here is document_delete too
from apps.summaries.exceptions import UploadRejectedError
from apps.summaries.models import Document
from apps.summaries.services import document_upload

from . import selectors
from .forms import ApiKeyForm, DocumentForm
from .keys import ApiKeyError, api_key_create, api_key_revoke
from .models import ApiKey

customer_login_required = login_required(login_url="login")


def _page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    context = selectors.account_overview(user=request.user)
    context.setdefault("language_form", LanguageForm(initial={"language": request.user.language}))
    context.setdefault("key_form", ApiKeyForm())
    context.setdefault("document_form", DocumentForm())
    context.update(extra)
    return render(request, "accounts/account.html", context, status=status)


@customer_login_required
def account(request: HttpRequest) -> HttpResponse:
    """The account page: plan, this month's usage, keys, documents, email choices."""
    return _page(request)


@customer_login_required
def plan(request: HttpRequest) -> HttpResponse:
    """The plan page: the plans offered, this month's usage against the current one, and how
    to change plan (quota alerts and the account page link here)."""
    context = selectors.account_overview(user=request.user)
    current = context.get("plan")
    organization = context["organization"]
    subscription = None
    if organization is not None:
        live = Subscription.objects.exclude(status=Subscription.Status.CANCELED)
        subscription = live.filter(organization=organization).first()
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    plans = [
        {
            "plan": offered,
            "current": current is not None and offered.pk == current.pk,
            "ask": f"mailto:{address}?subject="
            + quote(f"Change {organization or 'my account'} to the {offered.name} plan"),
        }
        for offered in Plan.objects.filter(is_active=True).order_by("monthly_characters")
    ]
    page = {**context, "plans": plans, "subscription": subscription, "billing_address": address}
    return render(request, "accounts/plan.html", page)


def _organization(request: HttpRequest):
    organization = selectors.organization_for(user=request.user)
    if organization is None:
        raise Http404("You are not a member of any organization.")
    return organization


def _owned(request: HttpRequest, model, pk: int, what: str):
    """Row `pk` of the caller's organization: another organization's rows do not exist here."""
    row = model.objects.filter(pk=pk, organization=_organization(request)).first()
    if row is None:
        raise Http404(f"No such {what} in your organization.")
    return row


@customer_login_required
@require_POST
def key_create(request: HttpRequest) -> HttpResponse:
    """Make an API key and show it this once (it is kept only as a hash)."""
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, 400, key_form=form)
    try:
        row, key = api_key_create(
            organization=_organization(request), name=form.cleaned_data["name"], user=request.user
        )
    except ApiKeyError as error:
        form.add_error("name", str(error))
        return _page(request, 400, key_form=form)
    return _page(request, new_key=key, new_key_row=row)


@customer_login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    row = _owned(request, ApiKey, pk, "key")
    api_key_revoke(api_key=row)
    messages.success(request, f"Revoked {row.name}: it no longer works.")
    return redirect("account")


@customer_login_required
@require_POST
def document_create(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = document_upload(
                owner=request.user,
                organization=_organization(request),
                uploaded_file=form.cleaned_data["file"],
            )
        except UploadRejectedError as error:
            form.add_error("file", str(error))
        else:
            messages.success(request, f"Uploaded {document.original_name} (id {document.pk}).")
            return redirect("account")
    return _page(request, 400, document_form=form)


@customer_login_required
@require_POST
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = _owned(request, Document, pk, "document")
    summaries_services.document_delete(document=document)
    messages.success(request, f"Deleted {document.original_name}.")
    return redirect("account")


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
