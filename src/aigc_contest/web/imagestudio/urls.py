from django.urls import path

from aigc_contest.web.imagestudio import views

urlpatterns = [
    path("entries/<int:entry_pk>/", views.studio, name="image-studio"),
    path("entries/<int:entry_pk>/make/", views.make_pictures, name="image-studio-make"),
    path("entries/<int:entry_pk>/jobs/<int:job_pk>/", views.job_card, name="image-studio-job"),
    path("entries/<int:entry_pk>/pick/", views.pick, name="image-studio-pick"),
]
