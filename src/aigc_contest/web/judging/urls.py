from django.urls import path

from aigc_contest.web.judging import views

urlpatterns = [
    path("judging/", views.judge_home, name="judging-home"),
    path("judging/assignments/<int:pk>/", views.score_assignment, name="judging-score"),
    path("judging/assignments/<int:pk>/file", views.assignment_file, name="judging-file"),
    path("judging/assignments/<int:pk>/video", views.assignment_video, name="judging-video"),
    path("judging/assignments/<int:pk>/compare/<int:asset_pk>", views.comparison_picture, name="judging-compare"),
    path("organiser/<slug:slug>/judging/", views.organiser_judging, name="judging-organiser"),
    path("organiser/<slug:slug>/judging/rounds/<int:round_id>/assignments.csv", views.export_assignments,
         name="judging-export-assignments"),
    path("organiser/<slug:slug>/judging/signals/", views.organiser_signals, name="judging-signals"),
    path("organiser/<slug:slug>/results.csv", views.export_results, name="judging-export-results"),
    path("competitions/<slug:slug>/winners/", views.winners, name="judging-winners"),
    path("competitions/<slug:slug>/winners/<int:award_id>/file", views.winner_file, name="judging-winner-file"),
]
