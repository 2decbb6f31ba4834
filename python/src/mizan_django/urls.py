"""``path("api/mizan/", include("mizan_django.urls"))``."""

from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "mizan"

urlpatterns = [
    path("session/", views.session, name="session"),
    path("call/", views.call, name="call"),
    path("ctx/<str:context>/", views.ctx, name="ctx"),
    path("ws/", views.ws_over_http, name="ws"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
