"""The organiser's lists of who takes part in a competition: entries, teams, schools and teachers, each
searchable, filterable, sortable and paginated (django-filter for the filters, django-tables2 for the
tables), and a report per school. Reads only; every number on these pages links to the list behind it.
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.models import School, User
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

    class Meta:
        model = Entry
        fields = ["q", "category", "status", "school", "work_type"]

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

    class Meta:
        model = Team
        fields = ["q", "category", "school"]

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

    def render_entry_count(self, value: int, record: Team) -> str:
        url = reverse("organiser-entries", args=[self.competition.slug]) + f"?q={record.name}"
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


def competition_teachers(competition: Competition) -> QuerySet[User]:
    schools = participating_schools(competition)
    return (
        User.objects.filter(role="teacher", school__in=schools)
        .select_related("school")
        .annotate(team_count=Count("supervised_teams", filter=Q(supervised_teams__competition=competition)))
    )


# ---------------------------------------------------------------------------------------- a school report


def school_report(competition: Competition, school: School) -> dict[str, Any]:
    teams = competition_teams(competition).filter(school=school).order_by("category__order", "name")
    entries = (
        competition_entries(competition).filter(team__school=school).order_by("category__order", "title")
    )
    students = User.objects.filter(teams__competition=competition, school=school).distinct()
    by_status = {status: entries.filter(status=status).count() for status, _label in Entry.Status.choices}
    return {
        "school": school,
        "teams": teams,
        "entries": entries,
        "students": students.count(),
        "without_consent": sum(1 for s in students.prefetch_related("consents") if not s.has_consent),
        "needs_support": students.filter(needs_support=True).count(),
        "by_status": by_status,
        "teachers": competition_teachers(competition).filter(school=school),
    }
