from django.urls import include, path

from . import views

app_name = "mail"
urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/preferences/<str:token>/", views.preferences, name="preferences"),
]

# Provider tracking webhooks (anymail's views, hardened), e.g. /webhooks/postmark/tracking/:
# postmark, resend, sendgrid, mailgun and amazon_ses; inbound mail is not received.
webhook_urlpatterns = [path("webhooks/", include("apps.mail.webhooks"))]
