from django.urls import path

from aigc_contest.web.applications import views

urlpatterns = [
    path("entries/<int:entry_pk>/", views.editor, name="application-editor"),
    path("entries/<int:entry_pk>/screenshots/", views.add_screenshot, name="application-add-screenshot"),
    path(
        "entries/<int:entry_pk>/screenshots/<int:index>/remove/",
        views.remove_screenshot,
        name="application-remove-screenshot",
    ),
    path("entries/<int:entry_pk>/source/", views.add_source, name="application-add-source"),
    path("entries/<int:entry_pk>/video/", views.add_video, name="application-add-video"),
    path("entries/<int:entry_pk>/video/remove/", views.remove_video, name="application-remove-video"),
    path("entries/<int:entry_pk>/video/file", views.video, name="application-video"),
    path("entries/<int:entry_pk>/submit/", views.submit, name="application-submit"),
]
