from django.urls import path

from aigc_contest.web.certificates import views

urlpatterns = [
    path("verify/<uuid:uuid>", views.verify, name="certificate-verify"),
    path("certificates/", views.my_certificates, name="certificates-mine"),
    path("certificates/<uuid:uuid>/pdf", views.download, name="certificate-download"),
    path("certificates/<uuid:uuid>/revoke", views.revoke, name="certificate-revoke"),
]
