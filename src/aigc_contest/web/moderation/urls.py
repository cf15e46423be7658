from django.urls import path

from aigc_contest.web.moderation import views

urlpatterns = [
    path("school/moderation/", views.queue, name="moderation-queue"),
    path("school/moderation/events/<int:pk>/review/", views.review, name="moderation-review"),
    path("school/moderation/policy/", views.edit_policy, name="moderation-policy"),
]
