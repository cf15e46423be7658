from django.urls import path

from aigc_contest.web.certificates import views

urlpatterns = [
    path("verify/<uuid:uuid>", views.verify, name="certificate-verify"),
    path("certificates/", views.my_certificates, name="certificates-mine"),
    path("organiser/<slug:slug>/certificates/issue", views.issue_certificates, name="certificates-issue"),
    path("certificates/<uuid:uuid>/pdf", views.download, name="certificate-download"),
    path("certificates/<uuid:uuid>/revoke", views.revoke, name="certificate-revoke"),
    path("certificates/schools/<int:competition_id>/build", views.start_school_archives,
         name="certificates-school-archives-build"),
    path("certificates/schools/<int:competition_id>/<int:school_id>.zip", views.school_archive,
         name="certificates-school-archive"),
]
