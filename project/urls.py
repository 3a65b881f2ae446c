from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from apps.accounts.ratelimits import auth_rate_limited
from apps.accounts.views import home
from apps.api.pages import plan
from apps.billing.views import stripe_webhook, usage_report_download
from apps.jobs.views import healthz
from apps.mail.urls import webhook_urlpatterns
from project.console import favicon

urlpatterns = [
    path("", home),  # a signed-in customer to their account, everyone else to the console
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    # The console's scripts translate their strings through Django's i18n (gettext in JS).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("reports/<str:token>/", usage_report_download, name="usage_report_download"),
    path("webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    path("", include("apps.accounts.urls")),
    path("", include("apps.api.urls")),
    path("accounts/plan/", plan, name="plan"),
    # The console's login, rate-limited like the customers' (same counters: one "login" group).
    path("admin/login/", auth_rate_limited(admin.site.login, group="login", field="username")),
    path("admin/", admin.site.urls),
    path("", include("apps.mail.urls")),
    *webhook_urlpatterns,
]
