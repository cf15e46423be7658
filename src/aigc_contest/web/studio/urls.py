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
    path("entries/<int:entry_pk>/draft/", views.draft_status, name="studio-draft"),
    path("entries/<int:entry_pk>/draft/action/", views.draft_action, name="studio-draft-action"),
    path("works/<int:pk>/jobs/", views.jobs, name="studio-jobs"),
    path("works/<int:pk>/jobs/action/", views.job_action, name="studio-job-action"),
    path("works/<int:pk>/picture/", views.picture, name="studio-picture"),
    path("works/<int:pk>/picture/prompt/", views.picture_prompt, name="studio-picture-prompt"),
    path("works/<int:pk>/picture/pick/", views.pick, name="studio-pick"),
    path("works/<int:pk>/pictures/<int:asset_pk>/", views.picture_file, name="studio-picture-file"),
]
