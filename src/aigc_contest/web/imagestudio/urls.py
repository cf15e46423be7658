from django.urls import path

from aigc_contest.web.imagestudio import simple, views

urlpatterns = [
    path("entries/<int:entry_pk>/", views.studio, name="image-studio"),
    path("entries/<int:entry_pk>/make/", views.make_pictures, name="image-studio-make"),
    path("entries/<int:entry_pk>/jobs/<int:job_pk>/", views.job_card, name="image-studio-job"),
    path("entries/<int:entry_pk>/pick/", views.pick, name="image-studio-pick"),
    # simple steps (one step per screen) for students who need learning support
    path("entries/<int:entry_pk>/simple/", simple.start, name="image-simple"),
    path("entries/<int:entry_pk>/simple/idea/", simple.idea, name="image-simple-idea"),
    path("entries/<int:entry_pk>/simple/pictures/<int:job_pk>/", simple.pictures, name="image-simple-pictures"),
    path("entries/<int:entry_pk>/simple/pictures/<int:job_pk>/progress/", simple.progress, name="image-simple-progress"),
    path("entries/<int:entry_pk>/simple/check/", simple.check, name="image-simple-check"),
    path("entries/<int:entry_pk>/simple/send/", simple.send, name="image-simple-send"),
    path("entries/<int:entry_pk>/simple/sent/", simple.sent, name="image-simple-sent"),
    path("entries/<int:entry_pk>/simple/take-back/", simple.take_back, name="image-simple-take-back"),
]
