from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from aigc_contest.web.accounts import token_views
from aigc_contest.web.accounts import views as account_views
from aigc_contest.web.api import api
from aigc_contest.web.contests import views as contest_views
from aigc_contest.web.core import views as core_views
from aigc_contest.web.entries import open_views, organiser_views
from aigc_contest.web.entries import views as entry_views
from aigc_contest.web.jobs import views as job_views

admin.site.site_header = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("", contest_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/tokens/", token_views.api_tokens, name="api-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", token_views.revoke_api_token, name="api-token-revoke"),
    path("dashboard/", core_views.dashboard, name="dashboard"),
    path("competitions/<slug:slug>/", contest_views.competition_detail, name="competition-detail"),
    # teams outside schools: a captain signs up, members join by a link
    path("join/", open_views.sign_up, name="open-sign-up"),
    path("teams/<int:team_id>/members/", open_views.team_members, name="team-members"),
    path("teams/<int:team_id>/links/new/", open_views.new_link, name="team-link-new"),
    path("teams/links/<int:pk>/withdraw/", open_views.withdraw_link, name="team-link-withdraw"),
    path("teams/join/<str:token>/", open_views.join, name="team-join"),
    # students
    path("me/", entry_views.my_entries, name="my-entries"),
    path("teams/<int:team_id>/entries/new/", entry_views.start_entry, name="entry-start"),
    path("entries/<int:pk>/", entry_views.entry_detail, name="entry-detail"),
    path("entries/<int:pk>/submit/", entry_views.submit, name="entry-submit"),
    path("entries/<int:pk>/withdraw/", entry_views.withdraw, name="entry-withdraw"),
    path("entries/<int:pk>/draft-file/", entry_views.draft_file, name="entry-draft-file"),
    path("versions/<int:pk>/file/", entry_views.version_file, name="version-file"),
    # generation jobs
    path("jobs/", job_views.my_jobs, name="my-jobs"),
    path("jobs/new-picture/", job_views.new_picture, name="job-new-picture"),
    path("jobs/<int:pk>/status/", job_views.job_status, name="job-status"),
    path("jobs/<int:pk>/cancel/", job_views.cancel, name="job-cancel"),
    path("jobs/<int:pk>/retry/", job_views.retry, name="job-retry"),
    path("jobs/assets/<int:pk>/", job_views.asset_file, name="job-asset"),
    # teachers
    path("school/", entry_views.school_home, name="school-home"),
    path("school/import/", account_views.import_students, name="school-import"),
    path("school/students/new/", account_views.add_student, name="school-add-student"),
    path("school/students/<int:student_id>/consent/", account_views.record_consent, name="school-consent"),
    path("school/students/<int:student_id>/support/", account_views.set_needs_support, name="school-needs-support"),
    path("school/teams/new/", entry_views.create_team, name="school-create-team"),
    path("school/login-slips/", account_views.login_slips, name="school-login-slips"),
    path("accounts/unlock/", account_views.unlock_login, name="unlock-login"),
    # organisers
    path("organiser/", entry_views.organiser_home, name="organiser-home"),
    path("organiser/<slug:slug>/participants/entries/", organiser_views.entries, name="organiser-entries"),
    path("organiser/<slug:slug>/participants/teams/", organiser_views.teams, name="organiser-teams"),
    path("organiser/<slug:slug>/participants/schools/", organiser_views.schools, name="organiser-schools"),
    path("organiser/<slug:slug>/participants/schools/<slug:code>/", organiser_views.school_report, name="organiser-school-report"),
    path("organiser/<slug:slug>/participants/teachers/", organiser_views.teachers, name="organiser-teachers"),
    path("organiser/<slug:slug>/participants/students/", organiser_views.students, name="organiser-students"),
    path("organiser/<slug:slug>/participants/teachers/message/", organiser_views.message_teachers,
         name="organiser-message-teachers"),
    path("organiser/competitions/new/", contest_views.competition_new, name="competition-new"),
    path("organiser/<slug:slug>/setup/", contest_views.competition_setup, name="competition-setup"),
    path("organiser/<slug:slug>/setup/themes/", contest_views.competition_themes, name="competition-themes"),
    path("organiser/<slug:slug>/setup/categories/", contest_views.competition_categories,
         name="competition-categories"),
    path("organiser/<slug:slug>/setup/rubric/", contest_views.competition_rubric, name="competition-rubric"),
    path("organiser/<slug:slug>/setup/clone/", contest_views.competition_clone, name="competition-clone"),
    path("organiser/<slug:slug>/competition.toml", contest_views.competition_export, name="competition-export"),
    path("organiser/<slug:slug>/participants.csv", entry_views.export_participants, name="export-participants"),
    path("organiser/<slug:slug>/entries.csv", entry_views.export_entries, name="export-entries"),
    # who runs each competition, schools asking to join, invitations, the audit log
    path("", include("aigc_contest.web.contests.roles_urls")),
    # judging, results and certificates
    path("", include("aigc_contest.web.judging.urls")),
    path("", include("aigc_contest.web.certificates.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # image studio and the teachers' safety reviews
    path("studio/image/", include("aigc_contest.web.imagestudio.urls")),
    path("applications/", include("aigc_contest.web.applications.urls")),
    path("finetuning/", include("aigc_contest.web.finetuning.urls")),
    path("", include("aigc_contest.web.moderation.urls")),
    # studio (interactive novels)
    path("studio/", include("aigc_contest.web.studio.urls")),
    # voice input on the prompt boxes
    path("voice/", include("aigc_contest.web.voice.urls")),
    # storybook studio
    path("storybooks/", include("aigc_contest.web.storybooks.urls")),
]
