from django.urls import path

from aigc_contest.web.voice import views

urlpatterns = [path("transcribe/", views.transcribe, name="voice-transcribe")]
