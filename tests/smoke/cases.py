"""Which smoke case exercises each route of the URLconf (tests/smoke/test_routes.py checks that
every route has one, and that every case named here exists).

A key is a route's name (namespaced, "admin:..."), or a pattern (fnmatch) over names or over
the route as written for unnamed ones; an exact name wins over a pattern. A case is the test
function itself (a case renamed or removed fails here, at import). The admin's model pages
(changelist, add, change, history, delete) and its generic pages are covered by one case, the
walk that GETs each of them as staff over HTTP; every other route has a case of its own.
"""

from . import (
    test_admin_walk as walk,
)
from . import (
    test_console_operations as operations,
)
from . import (
    test_console_staff as staff,
)
from . import (
    test_console_studio as studio,
)
from . import (
    test_customer_account as account,
)
from . import (
    test_customer_api as api,
)
from . import (
    test_payments as payments,
)
from . import (
    test_provider_webhooks as webhooks,
)
from . import (
    test_site as site,
)
from . import (
    test_unsubscribe as unsubscribe,
)

STAFF = staff.test_staff_sign_in_through_the_console_login_form
STAFF_ACCOUNTS = staff.test_a_new_staff_member_gets_a_password_changes_it_and_signs_out
STUDIO_PREVIEW = studio.test_previews_of_a_template_a_translation_and_the_layout_render
STUDIO_PAGES = studio.test_each_templates_pages_answer
VERSIONS = studio.test_the_version_history_compares_diffs_lists_emails_and_restores
OUTBOX = operations.test_an_email_is_resent_a_failed_one_retried_and_a_sent_one_not_marked_sent
RUNS = operations.test_failed_runs_are_retried_and_a_waiting_one_revoked
RUN_NOW = operations.test_run_now_archives_old_requests_and_the_archive_downloads
PAUSE_LOCKS = operations.test_a_job_is_paused_and_resumed_and_a_lock_in_use_is_not_cleared
WALK = walk.test_every_admin_page_answers_staff_without_a_server_error
SIGNUP = account.test_signup_verification_link_and_sign_in
ACCOUNT = account.test_the_account_page_forms_change_language_and_keep_documents
KEYS = account.test_a_key_revoked_on_the_account_page_stops_working
RESET = account.test_a_forgotten_password_is_reset_with_the_emailed_link
API_SHORT = api.test_a_short_text_is_summarized_at_once_and_charged
API_DOCUMENTS = api.test_a_document_is_uploaded_read_through_its_link_summarized_and_deleted
API_ERRORS = api.test_the_schema_and_docs_are_served_and_every_error_is_json
RESEND = account.test_asking_for_a_new_verification_link_answers_the_same_for_everyone
PAID = payments.test_a_signed_payment_marks_the_invoice_paid_once_and_the_receipt_is_delivered
ONE_CLICK = unsubscribe.test_a_mail_clients_one_click_post_unsubscribes_without_a_cookie
REPORT = account.test_the_monthly_usage_report_is_emailed_with_a_link_that_downloads_it
HEALTH = site.test_the_health_check_answers_over_plain_http_and_everything_else_goes_to_https
WEBHOOKS = webhooks.test_each_providers_documented_events_are_stored_and_suppress_as_they_should

CASES = {
    # The site itself.
    "": STAFF,  # / leads to the console
    "healthz": HEALTH,
    "favicon.ico": site.test_the_favicon_and_the_translation_catalogue,
    "javascript-catalog": site.test_the_favicon_and_the_translation_catalogue,
    # Machines: payment and provider webhooks, one-click unsubscribe, the API.
    "stripe_webhook": PAID,
    "*_tracking_webhook": WEBHOOKS,
    "mail:unsubscribe": ONE_CLICK,
    "mail:preferences": unsubscribe.test_the_preferences_page_saves_a_persons_choices_with_its_form,
    "api:summary_create": API_SHORT,
    "api:summary_read": API_SHORT,
    "api:usage_read": API_SHORT,
    "api:document_*": API_DOCUMENTS,
    "api_file": API_DOCUMENTS,
    "api:openapi-json": API_ERRORS,
    "api:openapi-view": API_ERRORS,
    "api:api-root": API_ERRORS,
    # Customers.
    "signup": SIGNUP,
    "signup_done": SIGNUP,
    "email_verify": SIGNUP,
    "login": SIGNUP,
    "logout": account.test_signing_out_ends_the_session,
    "verification_resend": RESEND,
    "password_reset": RESET,
    "password_reset_done": RESET,
    "password_reset_confirm": RESET,
    "password_reset_complete": RESET,
    "admin_password_reset": account.test_staff_reset_a_forgotten_console_password_by_email,
    "account": ACCOUNT,
    "plan": account.test_the_plan_page_shows_the_plans_and_the_root_leads_to_the_account,
    "account_language": ACCOUNT,
    "account_document_create": ACCOUNT,
    "account_document_delete": ACCOUNT,
    "account_key_create": KEYS,
    "account_key_revoke": KEYS,
    "usage_report_download": REPORT,
    # The console: sign-in and staff accounts.
    "admin/login/": STAFF,  # the rate-limited login in front of the admin's own
    "admin:login": STAFF,
    "admin:index": STAFF,
    "admin:logout": STAFF_ACCOUNTS,
    "admin:password_change": STAFF_ACCOUNTS,
    "admin:password_change_done": STAFF_ACCOUNTS,
    "admin:auth_user_password_change": STAFF_ACCOUNTS,
    # The email studio.
    "admin:mail_emailtemplate_preview*": STUDIO_PREVIEW,
    "admin:mail_emaillayout_preview*": STUDIO_PREVIEW,
    "admin:mail_emailtemplatetranslation_preview*": STUDIO_PREVIEW,
    "admin:mail_emailtemplate_test_send": studio.test_a_test_send_reaches_the_inbox,
    "admin:mail_emailtemplate_spam": STUDIO_PREVIEW,  # the checks panel's spam score
    "admin:mail_emailtemplate_translations": STUDIO_PAGES,
    "admin:mail_emailtemplate_delivery": STUDIO_PAGES,
    "admin:mail_emailtemplate_delivery_list": STUDIO_PAGES,
    "admin:mail_emailtemplate_outbox": STUDIO_PAGES,
    "admin:console_studio_delivery": STUDIO_PAGES,
    "admin:mail_emailtemplateversion_compare": VERSIONS,
    "admin:mail_emailtemplateversion_diff": VERSIONS,
    "admin:mail_emailtemplateversion_emails": VERSIONS,
    "admin:mail_emailtemplateversion_restore": VERSIONS,
    # The console's operations.
    "admin:mail_outboundemail_retry": OUTBOX,
    "admin:mail_outboundemail_resend": OUTBOX,
    "admin:mail_outboundemail_mark_sent": OUTBOX,
    "admin:jobs_taskrun_retry_*": RUNS,
    "admin:jobs_taskrun_revoke_detail": RUNS,
    "admin:jobs_taskrun_rerun_detail": RUNS,
    "admin:jobs_latency": RUNS,
    "admin:jobs_latency_task": RUNS,
    "admin:jobs_schedules_time_zone": PAUSE_LOCKS,
    "admin:jobs_schedules": RUN_NOW,
    "admin:jobs_schedule_run": RUN_NOW,
    "admin:jobs_schedule_outcome": RUN_NOW,
    "admin:summaries_summaryarchive_download": RUN_NOW,
    "admin:jobs_schedule_pause": PAUSE_LOCKS,
    "admin:jobs_locks": PAUSE_LOCKS,
    "admin:jobs_lock_clear": PAUSE_LOCKS,
    "admin:billing_invoice_mark_paid": operations.test_an_invoice_is_marked_paid_from_its_page,
    # Every model's pages, and the admin's generic ones: one walk.
    "admin:*_changelist": WALK,
    "admin:*_add": WALK,
    "admin:*_change": WALK,
    "admin:*_history": WALK,
    "admin:*_delete": WALK,
    "admin/*/<path:object_id>/": WALK,  # the old-style object URL, redirected to its page
    "admin:app_list": WALK,
    "admin:search": WALK,
    "admin:autocomplete": WALK,
    "admin:jsi18n": WALK,
    "admin:view_on_site": WALK,
    "admin/(?P<url>.*)$": WALK,  # anything else under /admin/
}


def case_for(route):
    """The case that exercises `route` (a tests.smoke.routes.Route), or None."""
    if route.name in CASES:
        return CASES[route.name]
    return next((case for key, case in CASES.items() if route.matches(key)), None)
