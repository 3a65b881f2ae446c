"""django-unfold's settings for the console: its name, icon, and the sidebar.

`project/settings.py` builds `UNFOLD` with `unfold_settings(site_name=SITE_NAME)`; this module
reads no environment variable. Each sidebar item shows only to those who may view its page.
"""

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from project.console import active_page


def _link(name: str, icon: str, url: str, perm: str, *, nested: tuple[str, ...] = ()) -> dict:
    item = {
        "title": name,
        "icon": icon,
        "link": reverse_lazy(url),
        "permission": lambda request: request.user.has_perm(perm),
    }
    if nested:  # pages of other items live under this one's URL: not lit on those
        item["active"] = active_page(url, except_names=nested)
    return item


SIDEBAR_NAVIGATION = [
    {
        "title": _("Customers"),
        "separator": True,
        "items": [
            _link(
                _("Organizations"),
                "corporate_fare",
                "admin:accounts_organization_changelist",
                "accounts.view_organization",
            ),
            _link(_("Users"), "person", "admin:accounts_user_changelist", "accounts.view_user"),
            _link(
                _("Memberships"),
                "group",
                "admin:accounts_membership_changelist",
                "accounts.view_membership",
            ),
        ],
    },
    {
        "title": _("Billing"),
        "separator": True,
        "items": [
            _link(_("Plans"), "sell", "admin:billing_plan_changelist", "billing.view_plan"),
            _link(
                _("Subscriptions"),
                "autorenew",
                "admin:billing_subscription_changelist",
                "billing.view_subscription",
            ),
            _link(
                _("Invoices"),
                "receipt_long",
                "admin:billing_invoice_changelist",
                "billing.view_invoice",
            ),
            _link(
                _("Usage"),
                "data_usage",
                "admin:billing_usagerecord_changelist",
                "billing.view_usagerecord",
            ),
        ],
    },
    {
        "title": _("Summaries"),
        "separator": True,
        "items": [
            _link(
                _("Requests"),
                "summarize",
                "admin:summaries_summarizationrequest_changelist",
                "summaries.view_summarizationrequest",
            ),
            _link(
                _("Documents"),
                "description",
                "admin:summaries_document_changelist",
                "summaries.view_document",
            ),
        ],
    },
    {
        "title": _("Email"),
        "separator": True,
        "items": [
            _link(
                _("Templates"),
                "mail",
                "admin:mail_emailtemplate_changelist",
                "mail.view_emailtemplate",
                nested=("admin:console_studio_delivery",),
            ),
            _link(
                _("Layouts"),
                "dashboard_customize",
                "admin:mail_emaillayout_changelist",
                "mail.view_emaillayout",
            ),
            _link(
                _("Delivery by template"),
                "monitoring",
                "admin:console_studio_delivery",
                "mail.view_outboundemail",
            ),
            _link(
                _("Outbox"),
                "outbox",
                "admin:mail_outboundemail_changelist",
                "mail.view_outboundemail",
            ),
            _link(
                _("Events"),
                "timeline",
                "admin:mail_emailevent_changelist",
                "mail.view_emailevent",
            ),
            _link(
                _("Suppressions"),
                "block",
                "admin:mail_suppression_changelist",
                "mail.view_suppression",
            ),
        ],
    },
    {
        "title": _("Jobs"),
        "separator": True,
        "items": [
            _link(
                _("Task history"),
                "history",
                "admin:jobs_taskrun_changelist",
                "jobs.view_taskrun",
            ),
            _link(_("Schedules"), "schedule", "admin:jobs_schedules", "jobs.view_periodicrun"),
            _link(
                _("Consumers"),
                "memory",
                "admin:jobs_workerheartbeat_changelist",
                "jobs.view_workerheartbeat",
            ),
            _link(
                _("Periodic runs"),
                "event_repeat",
                "admin:jobs_periodicrun_changelist",
                "jobs.view_periodicrun",
                nested=("admin:jobs_schedules", "admin:jobs_locks"),
            ),
            _link(_("Locks"), "lock", "admin:jobs_locks", "jobs.view_periodicrun"),
            _link(
                _("Audit trail"),
                "policy",
                "admin:console_auditentry_changelist",
                "console.view_auditentry",
            ),
        ],
    },
    {
        "title": _("Access"),
        "separator": True,
        "items": [
            _link(
                _("Groups"),
                "shield_person",
                "admin:auth_group_changelist",
                "auth.view_group",
            ),
        ],
    },
]


def unfold_settings(*, site_name: str) -> dict:
    """The `UNFOLD` setting: the console titled `site_name`, with the sidebar above."""
    return {
        "SITE_TITLE": site_name,
        "SITE_HEADER": site_name,
        "SITE_SUBHEADER": _("Jobs, email and quotas"),
        "SITE_SYMBOL": "summarize",
        # The console's icon (without one, every page asked for /favicon.ico and got a 404).
        "SITE_FAVICONS": [
            {
                "rel": "icon",
                "type": "image/svg+xml",
                "href": lambda request: static("console/favicon.svg"),
            }
        ],
        "SITE_URL": "/admin/",
        "SHOW_VIEW_ON_SITE": False,
        "ENVIRONMENT": "project.console.environment_badge",
        "DASHBOARD_CALLBACK": "apps.console.dashboard.dashboard_callback",
        "SIDEBAR": {
            "show_search": True,
            "show_all_applications": True,
            "navigation": SIDEBAR_NAVIGATION,
        },
    }
