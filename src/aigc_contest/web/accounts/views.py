from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts import services
from aigc_contest.web.accounts.forms import ConsentForm, StudentCsvForm, StudentForm
from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests.models import Category
from aigc_contest.web.core import notifications
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm
from aigc_contest.web.entries import selectors as entry_selectors
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.forms import TeamForm


def _teacher_school(request: HttpRequest):  # type: ignore[no-untyped-def]
    user = request.user
    school = getattr(user, "school", None)
    if school is None or not user.has_perm("accounts.manage_roster", school):
        raise DjangoPermissionDenied
    return school


def _open_categories(school):  # type: ignore[no-untyped-def]
    now = timezone.now()
    categories = Category.objects.filter(competition__submission_deadline__gt=now).select_related("competition")
    return Category.objects.filter(pk__in=[c.pk for c in categories if c.admits_level(school.level)]).select_related(
        "competition"
    )


@login_required
def school_home(request: HttpRequest) -> HttpResponse:
    school = _teacher_school(request)
    students = entry_selectors.school_students(request.user)  # type: ignore[arg-type]
    context = {
        "school": school,
        "students": students,
        "teams": entry_selectors.teams_for(request.user).prefetch_related("members", "entries"),  # type: ignore[arg-type]
        "entries": entry_selectors.entries_for(request.user),  # type: ignore[arg-type]
        "csv_form": StudentCsvForm(),
        "student_form": StudentForm(),
        "consent_form": ConsentForm(),
        "team_form": TeamForm(categories=_open_categories(school), students=students),
        "created": request.session.pop("created_logins", None),
    }
    return render(request, "accounts/school_home.html", context)


def _remember_logins(request: HttpRequest, created: list[tuple[User, str]]) -> None:
    # Shown once on the next page so the teacher can print them; never stored in plain text elsewhere.
    request.session["created_logins"] = [(u.username, u.display_name, p) for u, p in created]
    notifications.account_created(request.user, [user for user, _password in created])  # type: ignore[arg-type]


@login_required
@require_POST
def import_students(request: HttpRequest) -> HttpResponse:
    school = _teacher_school(request)
    form = StudentCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file to import."))
        return redirect("school-home")
    raw = form.cleaned_data["file"].read(2_000_000)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        messages.error(request, _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
        return redirect("school-home")
    result = services.import_students_csv(request.user, school, text)  # type: ignore[arg-type]
    if not result.ok:
        return render(request, "accounts/import_errors.html", {"errors": result.errors}, status=400)
    _remember_logins(request, result.created)
    messages.success(request, _("%d students registered.") % len(result.created))
    return redirect("school-home")


@login_required
@require_POST
def add_student(request: HttpRequest) -> HttpResponse:
    school = _teacher_school(request)
    form = StudentForm(request.POST)
    if form.is_valid():
        try:
            created = services.create_student(request.user, school, **form.cleaned_data)  # type: ignore[arg-type]
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            _remember_logins(request, [created])
            messages.success(request, _("Student registered."))
    else:
        messages.error(request, _("Fill in the login name and display name."))
    return redirect("school-home")


@login_required
@require_POST
def record_consent(request: HttpRequest, student_id: int) -> HttpResponse:
    student = get_object_or_404(User, pk=student_id)
    form = ConsentForm(request.POST)
    require_perm(request, "accounts.record_consent", student)
    if form.is_valid():
        services.record_consent(request.user, student, form.cleaned_data["method"])  # type: ignore[arg-type]
        messages.success(request, _("Consent recorded for %s.") % student)
    return redirect("school-home")


@login_required
@require_POST
def create_team(request: HttpRequest) -> HttpResponse:
    school = _teacher_school(request)
    students = entry_selectors.school_students(request.user)  # type: ignore[arg-type]
    form = TeamForm(request.POST, categories=_open_categories(school), students=students)
    if form.is_valid():
        try:
            entry_services.create_team(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["category"],
                name=form.cleaned_data["name"],
                members=form.cleaned_data["members"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Team created."))
    else:
        messages.error(request, _("Give the team a name, a category and at least one member."))
    return redirect("school-home")
