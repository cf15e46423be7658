from django.urls import path

from aigc_contest.web.storybooks import views

urlpatterns = [
    path("entries/<int:entry_pk>/", views.storybook_home, name="storybook-home"),
    path("entries/<int:entry_pk>/start/", views.start, name="storybook-start"),
    path("entries/<int:entry_pk>/view/", views.view_entry, name="storybook-view-entry"),
    path("books/<int:pk>/", views.editor, name="storybook-editor"),
    path("books/<int:pk>/view/", views.view, name="storybook-view"),
    path("books/<int:pk>/status/", views.status, name="storybook-status"),
    path("books/<int:pk>/pages/", views.pages, name="storybook-pages"),
    path("books/<int:pk>/edit/", views.edit, name="storybook-edit"),
    path("books/<int:pk>/pages/<str:page_id>/picture/", views.picture, name="storybook-picture"),
    path("books/<int:pk>/pages/<str:page_id>/candidates/<int:index>/", views.picture, name="storybook-candidate"),
    path("books/<int:pk>/export/<str:fmt>/", views.export, name="storybook-export"),
    path("books/<int:pk>/preview/", views.preview, name="storybook-preview"),
    path("books/<int:pk>/submit/", views.submit, name="storybook-submit"),
]
