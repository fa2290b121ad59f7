"""Pages of the review UI under /review/."""

from django.urls import URLPattern, URLResolver, path

from inbox.ui import views

app_name = "review"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("conversations/", views.conversations, name="conversations"),
    path("conversations/<int:conversation_id>/", views.conversation, name="conversation"),
    path("settings/", views.settings_page, name="settings"),
    path("health/", views.health, name="health"),
]
