"""The organiser's lists of who takes part in a competition: entries, teams, schools and teachers, each
searchable, filterable, sortable and paginated (django-filter for the filters, django-tables2 for the
tables), and a report per school. Reads only; every number on these pages links to the list behind it.
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.models import GuardianConsent, School, User
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.entries.models import Entry, Team, WorkType

PER_PAGE = 50


def _search(queryset: QuerySet[Any], fields: tuple[str, ...], value: str) -> QuerySet[Any]:
    words = value.split()[:5]
    for word in words:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(condition)
    return queryset


# ------------------------------------------------------------------------------------------------ entries


class EntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=None, empty_label=_("any"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Entry.Status.choices, empty_label=_("any")
    )
    school = django_filters.ModelChoiceFilter(
        label=_("School"), field_name="team__school", queryset=None, empty_label=_("any")
    )
    work_type = django_filters.ChoiceFilter(
        label=_("Work type"), choices=WorkType.choices, empty_label=_("any")
    )
    # The team a count on the teams list clicks through to (kept while the other filters change).
    team = django_filters.NumberFilter(label=_("Team"), field_name="team_id", widget=forms.HiddenInput)

    class Meta:
        model = Entry
        fields = ["q", "category", "status", "school", "work_type", "team"]

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["category"].queryset = competition.categories.all()
        self.filters["school"].queryset = participating_schools(competition)

    def search(self, queryset: QuerySet[Entry], name: str, value: str) -> QuerySet[Entry]:
        return _search(
            queryset, ("title", "team__name", "team__school__name_en", "team__school__code"), value
        )


class EntryTable(tables.Table):
    title = tables.Column(
        verbose_name=_("Title"), linkify=lambda record: reverse("entry-detail", args=[record.pk])
    )
    team = tables.Column(verbose_name=_("Team"), accessor="team__name", order_by=("team__name",))
    school = tables.Column(
        verbose_name=_("School"),
        accessor="team__school__name_en",
        order_by=("team__school__name_en",),
        default="—",
    )
    category = tables.Column(
        verbose_name=_("Category"), accessor="category__name_en", order_by=("category__order",)
    )
    work_type = tables.Column(verbose_name=_("Work type"))
    status = tables.Column(verbose_name=_("Status"))
    version_count = tables.Column(verbose_name=_("Versions"))
    updated_at = tables.DateTimeColumn(verbose_name=_("Last change"), format="Y-m-d H:i")

    class Meta:
        model = Entry
        fields = ("title", "team", "school", "category", "work_type", "status", "version_count", "updated_at")
        order_by = ("-updated_at",)
        attrs = {"class": "data-table"}


def competition_entries(competition: Competition) -> QuerySet[Entry]:
    return Entry.objects.filter(category__competition=competition).select_related("team__school", "category")


# -------------------------------------------------------------------------------------------------- teams


class TeamFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=None, empty_label=_("any"))
    school = django_filters.ModelChoiceFilter(label=_("School"), queryset=None, empty_label=_("any"))
    # The supervising teacher a count on the teachers list clicks through to.
    teacher = django_filters.NumberFilter(label=_("Teacher"), field_name="supervising_teacher_id",
                                          widget=forms.HiddenInput)
    # The student a count on the students list clicks through to.
    member = django_filters.NumberFilter(label=_("Student"), field_name="members", widget=forms.HiddenInput)

    class Meta:
        model = Team
        fields = ["q", "category", "school", "teacher", "member"]

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["category"].queryset = competition.categories.all()
        self.filters["school"].queryset = participating_schools(competition)

    def search(self, queryset: QuerySet[Team], name: str, value: str) -> QuerySet[Team]:
        return _search(
            queryset, ("name", "school__name_en", "supervising_teacher__username", "members__username"), value
        ).distinct()


class TeamTable(tables.Table):
    name = tables.Column(verbose_name=_("Team"))
    school = tables.Column(verbose_name=_("School"), accessor="school__name_en", default="—")
    category = tables.Column(
        verbose_name=_("Category"), accessor="category__name_en", order_by=("category__order",)
    )
    supervising_teacher = tables.Column(
        verbose_name=_("Teacher"), accessor="supervising_teacher__username", default="—"
    )
    member_count = tables.Column(verbose_name=_("Members"))
    entry_count = tables.Column(verbose_name=_("Entries"))

    class Meta:
        model = Team
        fields = ("name", "school", "category", "supervising_teacher", "member_count", "entry_count")
        order_by = ("name",)
        attrs = {"class": "data-table"}

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.competition = competition

    def render_member_count(self, value: int, record: Team) -> str:
        url = reverse("organiser-students", args=[self.competition.slug]) + f"?team={record.pk}"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_entry_count(self, value: int, record: Team) -> str:
        url = reverse("organiser-entries", args=[self.competition.slug]) + f"?team={record.pk}"
        return format_html('<a href="{}">{}</a>', url, value)


def competition_teams(competition: Competition) -> QuerySet[Team]:
    return (
        Team.objects.filter(competition=competition)
        .select_related("school", "category", "supervising_teacher")
        .annotate(member_count=Count("members", distinct=True), entry_count=Count("entries", distinct=True))
    )


# ------------------------------------------------------------------------------------------------ schools


def participating_schools(competition: Competition) -> QuerySet[School]:
    return School.objects.filter(teams__competition=competition).distinct().order_by("name_en")


class SchoolFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    level = django_filters.ChoiceFilter(
        label=_("Level"), choices=School._meta.get_field("level").choices, empty_label=_("any")
    )

    class Meta:
        model = School
        fields = ["q", "level"]

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def search(self, queryset: QuerySet[School], name: str, value: str) -> QuerySet[School]:
        return _search(queryset, ("name_en", "name_zh_hant", "name_zh_hans", "code", "district"), value)


class _CountLink(tables.Column):
    """A count that links to a list filtered by this school (and, optionally, a status)."""

    def __init__(self, *args: Any, target: str, status: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        self.status = status

    def render(self, value: int, record: School, table: Any) -> str:  # type: ignore[override]
        url = reverse(self.target, args=[table.competition.slug]) + f"?school={record.pk}"
        if self.status:
            url += f"&status={self.status}"
        return format_html('<a href="{}">{}</a>', url, value)


class SchoolTable(tables.Table):
    name_en = tables.Column(verbose_name=_("School"))
    level = tables.Column(verbose_name=_("Level"))
    district = tables.Column(verbose_name=_("District"), default="—")
    team_count = _CountLink(verbose_name=_("Teams"), target="organiser-teams")
    entry_count = _CountLink(verbose_name=_("Entries"), target="organiser-entries")
    submitted_count = _CountLink(verbose_name=_("Submitted"), target="organiser-entries", status="submitted")
    report = tables.Column(verbose_name=_("Report"), empty_values=(), orderable=False)

    class Meta:
        model = School
        fields = ("name_en", "level", "district", "team_count", "entry_count", "submitted_count")
        order_by = ("name_en",)
        attrs = {"class": "data-table"}

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.competition = competition

    def render_report(self, record: School) -> str:
        url = reverse("organiser-school-report", args=[self.competition.slug, record.code])
        return format_html('<a href="{}">{}</a>', url, _("Report"))


def competition_schools(competition: Competition) -> QuerySet[School]:
    in_competition = Q(teams__competition=competition)
    return participating_schools(competition).annotate(
        team_count=Count("teams", filter=in_competition, distinct=True),
        entry_count=Count("teams__entries", filter=in_competition, distinct=True),
        submitted_count=Count(
            "teams__entries",
            filter=in_competition & Q(teams__entries__status=Entry.Status.SUBMITTED),
            distinct=True,
        ),
    )


# ----------------------------------------------------------------------------------------------- teachers


class TeacherFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    school = django_filters.ModelChoiceFilter(label=_("School"), queryset=None, empty_label=_("any"))

    class Meta:
        model = User
        fields = ["q", "school"]

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["school"].queryset = participating_schools(competition)

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return _search(queryset, ("username", "display_name", "email", "school__name_en"), value)


class TeacherTable(tables.Table):
    username = tables.Column(verbose_name=_("Login name"))
    display_name = tables.Column(verbose_name=_("Name"), default="—")
    email = tables.EmailColumn(verbose_name=_("E-mail"), default="—")
    school = tables.Column(verbose_name=_("School"), accessor="school__name_en", default="—")
    team_count = tables.Column(verbose_name=_("Teams supervised"))

    class Meta:
        model = User
        fields = ("username", "display_name", "email", "school", "team_count")
        order_by = ("username",)
        attrs = {"class": "data-table"}

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.competition = competition

    def render_team_count(self, value: int, record: User) -> str:
        url = reverse("organiser-teams", args=[self.competition.slug]) + f"?teacher={record.pk}"
        return format_html('<a href="{}">{}</a>', url, value)


def competition_teachers(competition: Competition) -> QuerySet[User]:
    schools = participating_schools(competition)
    return (
        User.objects.filter(role="teacher", school__in=schools)
        .select_related("school")
        .annotate(team_count=Count("supervised_teams", filter=Q(supervised_teams__competition=competition)))
    )


# ----------------------------------------------------------------------------------------------- students


def competition_students(competition: Competition) -> QuerySet[User]:
    """Everyone in a team of the competition, once, with `live_consent` and `team_count` annotated."""
    in_competition = User.objects.filter(teams__competition=competition).values("pk")
    return (
        User.objects.filter(pk__in=in_competition)
        .select_related("school")
        .annotate(
            live_consent=Exists(GuardianConsent.objects.filter(student=OuterRef("pk"), revoked_at__isnull=True)),
            team_count=Count("teams", filter=Q(teams__competition=competition), distinct=True),
        )
    )


# Who needs a guardian's consent and has none (as `User.has_consent` says: adults and staff need none).
WITHOUT_CONSENT = Q(role="student", is_adult=False, live_consent=False)


class StudentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    school = django_filters.ModelChoiceFilter(label=_("School"), queryset=None, empty_label=_("any"))
    consent = django_filters.ChoiceFilter(
        label=_("Guardian's consent"), method="filter_consent", empty_label=_("any"),
        choices=[("given", _("given or not needed")), ("missing", _("missing"))],
    )
    needs_support = django_filters.BooleanFilter(
        label=_("Needs support"),
        widget=forms.Select(choices=[("", _("any")), ("true", _("yes")), ("false", _("no"))]),
    )
    # The team a count on the teams list clicks through to.
    team = django_filters.NumberFilter(label=_("Team"), field_name="teams", widget=forms.HiddenInput)

    class Meta:
        model = User
        fields = ["q", "school", "consent", "needs_support", "team"]

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["school"].queryset = participating_schools(competition)

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return _search(queryset, ("username", "display_name", "grade", "school__name_en"), value)

    def filter_consent(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(WITHOUT_CONSENT) if value == "missing" else queryset.exclude(WITHOUT_CONSENT)


class StudentTable(tables.Table):
    username = tables.Column(verbose_name=_("Login name"))
    display_name = tables.Column(verbose_name=_("Name"), default="—")
    school = tables.Column(verbose_name=_("School"), accessor="school__name_en", default="—")
    grade = tables.Column(verbose_name=_("Grade"), default="—")
    consent = tables.Column(verbose_name=_("Guardian's consent"), accessor="live_consent", empty_values=(),
                            order_by=("live_consent",))
    needs_support = tables.BooleanColumn(verbose_name=_("Needs support"), yesno=(_("yes"), _("no")))
    team_count = tables.Column(verbose_name=_("Teams"))

    class Meta:
        model = User
        fields = ("username", "display_name", "school", "grade", "consent", "needs_support", "team_count")
        order_by = ("username",)
        attrs = {"class": "data-table"}

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.competition = competition

    def render_consent(self, value: bool, record: User) -> str:
        if value or record.is_adult or record.role != "student":
            return str(_("given or not needed"))
        return str(_("missing"))

    def render_team_count(self, value: int, record: User) -> str:
        url = reverse("organiser-teams", args=[self.competition.slug]) + f"?member={record.pk}"
        return format_html('<a href="{}">{}</a>', url, value)


def dashboard_figures(competition: Competition) -> dict[str, int]:
    """The organiser dashboard's numbers for one competition; each is the length of one list here."""
    entries = competition_entries(competition)
    return {
        "teams": Team.objects.filter(competition=competition).count(),
        "entries": entries.count(),
        "submitted": entries.filter(status=Entry.Status.SUBMITTED).count(),
        "schools": participating_schools(competition).count(),
        "teachers": competition_teachers(competition).count(),
        "students": competition_students(competition).count(),
    }


def scope(competition: Competition, filterset: Any) -> str:
    """What a hidden filter (the team, teacher or student a count clicked through from) narrows the list
    to, in words: "Team: Kite flyers"; empty when none is set."""
    form = filterset.form
    if not form.is_valid():
        return ""
    found = []
    for name, label, lookup in (("team", _("Team"), lambda pk: Team.objects.filter(competition=competition, pk=pk)),
                                ("teacher", _("Teacher"), lambda pk: competition_teachers(competition).filter(pk=pk)),
                                ("member", _("Student"), lambda pk: competition_students(competition).filter(pk=pk))):
        value = form.cleaned_data.get(name)
        if name in form.fields and value is not None:
            obj = lookup(int(value)).first()
            shown = (getattr(obj, "display_name", "") or getattr(obj, "username", "") or getattr(obj, "name", "")
                     if obj is not None else "—")
            found.append(f"{label}: {shown}")
    return " · ".join(found)


# ---------------------------------------------------------------------------------------- a school report


def school_report(competition: Competition, school: School) -> dict[str, Any]:
    teams = competition_teams(competition).filter(school=school).order_by("category__order", "name")
    entries = (
        competition_entries(competition).filter(team__school=school).order_by("category__order", "title")
    )
    students = competition_students(competition).filter(school=school)
    by_status = {status: entries.filter(status=status).count() for status, _label in Entry.Status.choices}
    return {
        "school": school,
        "teams": teams,
        "entries": entries,
        "students": students.count(),
        "without_consent": students.filter(WITHOUT_CONSENT).count(),
        "needs_support": students.filter(needs_support=True).count(),
        "by_status": by_status,
        "teachers": competition_teachers(competition).filter(school=school),
    }
