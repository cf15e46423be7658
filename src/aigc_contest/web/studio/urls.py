from django.urls import path

from aigc_contest.web.studio import views

urlpatterns = [
    path("entries/<int:entry_pk>/", views.studio_home, name="studio-home"),
    path("entries/<int:entry_pk>/start/", views.start, name="studio-start"),
    path("works/<int:pk>/document/", views.document, name="studio-document"),
    path("works/<int:pk>/check/", views.check, name="studio-check"),
    path("works/<int:pk>/player/", views.player, name="studio-player"),
    path("works/<int:pk>/regenerate/", views.regenerate, name="studio-regenerate"),
    path("works/<int:pk>/submit/", views.submit, name="studio-submit"),
]
