from django.urls import include, path

from . import views

app_name = "mail"
urlpatterns = [
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/preferences/<str:token>/", views.preferences, name="preferences"),
]

# Provider webhooks (anymail's tracking views), e.g. /webhooks/postmark/tracking/.
webhook_urlpatterns = [path("webhooks/", include("anymail.urls"))]
