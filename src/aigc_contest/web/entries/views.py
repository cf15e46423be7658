from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts import lockout
from aigc_contest.web.accounts import selectors as account_selectors
from aigc_contest.web.accounts.forms import ConsentForm, StudentCsvForm, StudentForm
from aigc_contest.web.accounts.models import ChangeRecord
from aigc_contest.web.accounts.services import changes_to
from aigc_contest.web.accounts.views import teacher_school
from aigc_contest.web.contests.models import Category, Competition
from aigc_contest.web.contests.roles_selectors import competitions_run_by
from aigc_contest.web.core.errors import PermissionDenied, ServiceError, require
from aigc_contest.web.core.http import harden_work_response
from aigc_contest.web.core.shortcuts import get_object_or_403, require_perm, submit_response
from aigc_contest.web.core.spreadsheet import csv_response
from aigc_contest.web.entries import selectors, services
from aigc_contest.web.entries.forms import DraftForm, StartEntryForm, TeamForm, UploadForm
from aigc_contest.web.entries.models import Entry, EntryVersion, Team
from aigc_contest.web.entries.rules import is_team_member, is_team_teacher
from aigc_contest.works.uploads import download_name, extension_for_mime


def entry_for(request: HttpRequest, pk: int, perm: str = "entries.view_entry") -> Entry:
    """The entry, with what its pages show, for someone who has `perm` on it (else 404 or 403)."""
    return get_object_or_403(request, perm, Entry.objects.select_related("team", "category__competition", "theme"),
                             pk=pk)  # fmt: skip


@login_required
def my_entries(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams_for(request.user).prefetch_related("entries", "members")  # type: ignore[arg-type]
    return render(request, "entries/my_entries.html", {"teams": teams})


@login_required
def start_entry(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_403(request, "entries.edit_entry", Team.objects.select_related("category__competition"),
                             pk=team_id)  # fmt: skip
    form = StartEntryForm(request.POST or None, category=team.category)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.start_entry(
                request.user,  # type: ignore[arg-type]
                team,
                title=form.cleaned_data["title"],
                work_type=form.cleaned_data["work_type"],
                theme=form.cleaned_data["theme"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("entry-detail", pk=entry.pk)
    return render(request, "entries/start_entry.html", {"team": team, "form": form})


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = entry_for(request, pk)
    can_edit = request.user.has_perm("entries.edit_entry", entry)
    draft_form = DraftForm(
        initial={"title": entry.title, "description": entry.description, "theme": entry.theme},
        category=entry.category,
    )
    upload_form = UploadForm()
    if request.method == "POST" and not can_edit:
        raise DjangoPermissionDenied  # someone who may only look (an organiser, a teacher who may not help)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "save":
                draft_form = DraftForm(request.POST, category=entry.category)
                if draft_form.is_valid():
                    services.update_draft(request.user, entry, **draft_form.cleaned_data)  # type: ignore[arg-type]
                    messages.success(request, _("Draft saved."))
                    return redirect("entry-detail", pk=entry.pk)
            elif action == "upload":
                upload_form = UploadForm(request.POST, request.FILES)
                if upload_form.is_valid():
                    upload = upload_form.cleaned_data["file"]
                    data = services.read_upload(entry, upload)  # the size is checked before anything is read
                    services.upload_draft_file(request.user, entry, filename=upload.name, data=data)  # type: ignore[arg-type]
                    messages.success(request, _("File uploaded. It is in your draft; submit when you are ready."))
                    return redirect("entry-detail", pk=entry.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
    versions = entry.versions.order_by("-number")
    member = is_team_member(request.user, entry)
    return render(
        request,
        "entries/entry_detail.html",
        {
            "entry": entry,
            "competition": entry.category.competition,
            "can_edit": can_edit,
            # A teacher on a student's entry: read-only unless the competition lets teachers help (then the
            # page says so, and each change is recorded with the teacher's name).
            "teacher_helping": can_edit and not member,
            # A competition whose schools ask to join: why the team cannot submit yet, in words.
            "not_admitted": selectors.school_not_admitted_text(entry.category.competition, entry.team),
            "teacher_read_only": not can_edit and not member and is_team_teacher(request.user, entry),
            "helper_changes": _helper_changes(entry),
            "draft_form": draft_form,
            "upload_form": upload_form,
            "versions": versions,
            "changed_since_sent": selectors.changed_since_sent(entry),
        },
    )


def _helper_changes(entry: Entry) -> list[dict[str, Any]]:
    """What people outside the team (a helping teacher) changed on the entry: who, when, what."""
    labels = {
        "start entry": _("started the entry"),
        "save draft": _("changed the details"),
        "upload file": _("uploaded a file"),
        "set file from the studio": _("saved the work from the studio"),
        "submit": _("submitted a version"),
        "withdraw": _("withdrew the entry"),
        # The back office (Django admin) records its generic actions.
        "add": _("added it in the back office"),
        "change": _("changed it in the back office"),
        "delete": _("deleted it in the back office"),
    }
    # An action code with no phrase of its own is never shown raw.
    fallback = {ChangeRecord.Via.ADMIN: _("changed it in the back office")}
    return [{"at": r.at, "who": r.actor or r.actor_name,
             "what": labels.get(r.action) or fallback.get(r.via) or _("made a change")}
            for r in changes_to(entry)[:20]]  # fmt: skip


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = entry_for(request, pk)
    return submit_response(request, lambda: services.submit_entry(request.user, entry),  # type: ignore[arg-type]
                           entry_pk=entry.pk)  # fmt: skip


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = entry_for(request, pk)
    try:
        services.withdraw_entry(request.user, entry)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your entry is withdrawn. You can submit again before the deadline."))
    return redirect("entry-detail", pk=entry.pk)


def work_file_response(field_file: Any, mime: str, filename: str) -> FileResponse:
    """The stored file as it is (its bytes are what the receipt's hash covers), under a name whose extension
    is that of its real type."""
    name = download_name(filename, extension_for_mime(mime))
    response = FileResponse(field_file.open("rb"), content_type=mime, filename=name)
    harden_work_response(response, mime)
    return response


@login_required
@xframe_options_sameorigin
def draft_file(request: HttpRequest, pk: int) -> FileResponse:
    entry = entry_for(request, pk)
    if not entry.draft_file:
        raise DjangoPermissionDenied
    return work_file_response(entry.draft_file, entry.draft_mime, entry.draft_file_name)


@login_required
@xframe_options_sameorigin
def version_file(request: HttpRequest, pk: int) -> FileResponse:
    version = get_object_or_404(EntryVersion.objects.select_related("entry__team"), pk=pk)
    require_perm(request, "entries.view_entry", version.entry)
    return work_file_response(version.file, version.mime, version.file_name)


# ---------------------------------------------------------------- a teacher's school: its roster and teams


def _open_categories(school):  # type: ignore[no-untyped-def]
    now = timezone.now()
    categories = Category.objects.filter(competition__submission_deadline__gt=now).select_related("competition")
    return Category.objects.filter(pk__in=[c.pk for c in categories if c.admits_level(school.level)]).select_related(
        "competition"
    )


@login_required
def school_home(request: HttpRequest) -> HttpResponse:
    return _school_page(request)


def _school_page(request: HttpRequest, team_form: TeamForm | None = None, status: int = 200) -> HttpResponse:
    """The teacher's school page; `team_form` is a refused team form, shown again with all it had."""
    school = teacher_school(request)
    students = account_selectors.school_students(request.user)  # type: ignore[arg-type]
    context = {
        "school": school,
        "students": students,
        "locked": lockout.locked_usernames([s.username for s in students]),
        "teams": selectors.teams_for(request.user).prefetch_related("members", "entries"),  # type: ignore[arg-type]
        "entries": selectors.entries_for(request.user),  # type: ignore[arg-type]
        "csv_form": StudentCsvForm(),
        "student_form": StudentForm(),
        "consent_form": ConsentForm(),
        "team_form": team_form or TeamForm(categories=_open_categories(school), students=students),
        "created": request.session.pop("created_logins", None) if team_form is None else None,
    }
    return render(request, "accounts/school_home.html", context, status=status)


@login_required
@require_POST
def create_team(request: HttpRequest) -> HttpResponse:
    """A team from the form; a refusal shows the page again with the name, category and members kept and
    the reason beside the field it concerns."""
    school = teacher_school(request)
    students = account_selectors.school_students(request.user)  # type: ignore[arg-type]
    form = TeamForm(request.POST, categories=_open_categories(school), students=students)
    if form.is_valid():
        try:
            services.create_team(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["category"],
                name=form.cleaned_data["name"],
                members=form.cleaned_data["members"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Team created."))
            return redirect("school-home")
    return _school_page(request, team_form=form, status=400)


# ---------------------------------------------------------------- organisers: competitions at a glance, exports


@login_required
def organiser_home(request: HttpRequest) -> HttpResponse:
    from aigc_contest.web.entries.participation import dashboard_figures

    require(request.user, "contests.see_organiser_pages")
    competitions = competitions_run_by(request.user).prefetch_related("categories")
    rows = []
    for competition in competitions:
        rows.append(
            {
                "competition": competition,
                **dashboard_figures(competition),  # each number links to the list it counts
                "can_change": request.user.has_perm("contests.change_competition", competition),
            }
        )
    return render(request, "contests/organiser_home.html",
                  {"rows": rows, "can_add": request.user.has_perm("contests.add_competition")})


@login_required
def export_participants(request: HttpRequest, slug: str) -> HttpResponse:
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "contests.export_participants", competition)
    response, writer = csv_response(f"{slug}-participants.csv")
    writer.writerow(["team", "category", "school", "supervising_teacher", "username", "display_name", "grade", "consent"])
    teams = Team.objects.filter(competition=competition).select_related("category", "school", "supervising_teacher")
    for team in teams.prefetch_related("members__consents"):
        for member in team.members.all():
            writer.writerow(
                [
                    team.name,
                    team.category.slug,
                    team.school.code if team.school else "",
                    team.supervising_teacher.username if team.supervising_teacher else "",
                    member.username,
                    member.display_name,
                    member.grade,
                    "yes" if member.has_consent else "no",
                ]
            )
    return response


@login_required
def export_entries(request: HttpRequest, slug: str) -> HttpResponse:
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "contests.export_participants", competition)
    response, writer = csv_response(f"{slug}-entries.csv")
    writer.writerow(["entry_id", "team", "category", "work_type", "title", "status", "versions",
                     "last_submitted_at_utc", "content_hash"])
    entries = Entry.objects.filter(category__competition=competition).select_related("team", "category")
    for entry in entries.prefetch_related("versions"):
        versions = list(entry.versions.all())
        last = versions[-1] if versions else None
        writer.writerow(
            [
                entry.pk,
                entry.team.name,
                entry.category.slug,
                entry.work_type,
                entry.title,
                entry.status,
                len(versions),
                last.submitted_at.isoformat(timespec="milliseconds") if last else "",
                last.content_hash if last else "",
            ]
        )
    return response
