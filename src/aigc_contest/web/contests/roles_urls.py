from __future__ import annotations

from django.urls import path

from aigc_contest.web.contests import roles_views as views

urlpatterns = [
    path("organiser/audit/", views.audit_log, name="contests-audit-log"),
    path("organiser/<slug:slug>/people/", views.people, name="contests-people"),
    path("organiser/<slug:slug>/people/revoke/", views.revoke_role, name="contests-revoke-role"),
    path("organiser/<slug:slug>/schools/", views.join_requests, name="contests-join-requests"),
    path("organiser/join-requests/<int:pk>/decide/", views.decide_join_request, name="contests-decide-join"),
    path("invitations/<int:pk>/withdraw/", views.withdraw_invitation, name="invitation-withdraw"),
    path("invitations/<str:token>/", views.accept_invitation, name="invitation-accept"),
    path("school/competitions/", views.school_competitions, name="school-competitions"),
    path("school/invite-teacher/", views.invite_teacher, name="school-invite-teacher"),
]
