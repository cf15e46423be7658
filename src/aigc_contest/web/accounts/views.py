from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts import selectors, services
from aigc_contest.web.accounts.forms import ConsentForm, StudentCsvForm, StudentForm
from aigc_contest.web.accounts.models import User
from aigc_contest.web.accounts.signals import students_created
from aigc_contest.web.accounts.slips import Slip, render_slips
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.core.shortcuts import require_perm


def teacher_school(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The school whose roster the signed-in teacher (or organiser) manages; refused for anyone else."""
    user = request.user
    school = getattr(user, "school", None)
    if school is None or not user.has_perm("accounts.manage_roster", school):
        raise DjangoPermissionDenied
    return school


def _remember_logins(request: HttpRequest, created: list[tuple[User, str]]) -> None:
    # Shown once on the next page so the teacher can print them; never stored in plain text elsewhere.
    request.session["created_logins"] = [(u.username, u.display_name, p) for u, p in created]
    students_created.send(sender=User, teacher=request.user, students=[user for user, _password in created])


@login_required
@require_POST
def import_students(request: HttpRequest) -> HttpResponse:
    school = teacher_school(request)
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
    school = teacher_school(request)
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
def set_needs_support(request: HttpRequest, student_id: int) -> HttpResponse:
    """The teacher switches a student's "needs learning support" mark on or off from the roster."""
    student = get_object_or_404(User, pk=student_id)
    require_perm(request, "accounts.view_student", student)
    wanted = request.POST.get("needs_support")
    if wanted not in {"on", "off"}:
        messages.error(request, _("Choose whether the student needs learning support."))
        return redirect("school-home")
    try:
        services.set_needs_support(request.user, student, wanted == "on")  # type: ignore[arg-type]
    except ServiceError as exc:
        raise DjangoPermissionDenied from exc
    if wanted == "on":
        messages.success(request, _("%s is marked as needing learning support.") % student)
    else:
        messages.success(request, _("%s is no longer marked as needing learning support.") % student)
    return redirect("school-home")


@login_required
@require_POST
def login_slips(request: HttpRequest) -> HttpResponse:
    """Login slips (PDF) for students of the teacher's school: from the logins just shown after registering
    (`username`/`password` pairs the page sends back), or, for the students ticked on the roster, with new
    passwords set now (the old ones stop working). Nothing is printed for anyone outside the school."""
    school = teacher_school(request)
    students = {s.username: s for s in selectors.school_students(request.user)}  # type: ignore[arg-type]
    slips: list[Slip] = []
    if request.POST.get("mode") == "reset":
        chosen = [s for s in students.values() if str(s.pk) in set(request.POST.getlist("student"))]
        for student in chosen:
            try:
                password = services.reset_password(request.user, student)  # type: ignore[arg-type]
            except ServiceError:
                continue
            slips.append(Slip(student.username, student.display_name, password))
    else:
        pairs = zip(request.POST.getlist("username"), request.POST.getlist("password"), strict=False)
        slips = [Slip(u, students[u].display_name, p) for u, p in pairs if u in students and p]
    if not slips:
        messages.error(request, _("Choose at least one student for the login slips."))
        return redirect("school-home")
    response = HttpResponse(render_slips(slips, school_name=school.tr("name")), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="login-slips.pdf"'
    response["Cache-Control"] = "no-store"  # passwords inside
    return response


@login_required
@require_POST
def unlock_login(request: HttpRequest) -> HttpResponse:
    """A teacher (their school's students) or an organiser (any login name) lifts a sign-in lock."""
    username = request.POST.get("username", "")
    try:
        services.unlock_login(request.user, username)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise DjangoPermissionDenied from exc
    messages.success(request, _("%s can sign in again.") % username)
    back = request.POST.get("next", "")
    return HttpResponseRedirect(back) if back in {"/school/", "/organiser/"} else redirect("dashboard")


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Everyone (students too) changes their own password: the old one, then the new one twice."""

    success_url = "/dashboard/"
    success_message = gettext_lazy("Your password is changed. Use the new one next time you sign in.")
