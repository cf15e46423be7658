"""The organiser's participation lists, per-school report and messages to the teachers taking part."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tables2 import RequestConfig

from aigc_contest.web.accounts.models import School
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries import participation as p
from aigc_contest.web.entries import services


def _competition(request: HttpRequest, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "contests.view_participation", competition)
    return competition


def _list(
    request: HttpRequest, competition: Competition, *, title: str, filterset: Any, table: Any
) -> HttpResponse:
    RequestConfig(request, paginate={"per_page": p.PER_PAGE}).configure(table)
    return render(
        request,
        "entries/organiser_list.html",
        {
            "competition": competition,
            "title": title,
            "filter": filterset,
            "table": table,
            "total": filterset.qs.count(),
            "scope": p.scope(competition, filterset),
        },
    )


@login_required
def entries(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.EntryFilter(request.GET, queryset=p.competition_entries(competition), competition=competition)
    return _list(request, competition, title=_("Entries"), filterset=found, table=p.EntryTable(found.qs))


@login_required
def teams(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.TeamFilter(request.GET, queryset=p.competition_teams(competition), competition=competition)
    return _list(
        request,
        competition,
        title=_("Teams"),
        filterset=found,
        table=p.TeamTable(found.qs, competition=competition),
    )


@login_required
def schools(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.SchoolFilter(request.GET, queryset=p.competition_schools(competition), competition=competition)
    return _list(
        request,
        competition,
        title=_("Schools"),
        filterset=found,
        table=p.SchoolTable(found.qs, competition=competition),
    )


@login_required
def teachers(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.TeacherFilter(
        request.GET, queryset=p.competition_teachers(competition), competition=competition
    )
    return _list(request, competition, title=_("Teachers"), filterset=found,
                 table=p.TeacherTable(found.qs, competition=competition))


@login_required
def students(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _competition(request, slug)
    found = p.StudentFilter(request.GET, queryset=p.competition_students(competition), competition=competition)
    return _list(request, competition, title=_("Students"), filterset=found,
                 table=p.StudentTable(found.qs, competition=competition))


@login_required
def school_report(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    competition = _competition(request, slug)
    school = get_object_or_404(p.participating_schools(competition), code=code)
    assert isinstance(school, School)
    return render(
        request,
        "entries/organiser_school_report.html",
        {
            "competition": competition,
            **p.school_report(competition, school),
        },
    )


class TeacherMessageForm(forms.Form):
    category: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("To the teachers of"), queryset=None, required=False,
        empty_label=gettext_lazy("every category"),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000)

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = competition.categories.all()  # type: ignore[attr-defined]


@login_required
def message_teachers(request: HttpRequest, slug: str) -> HttpResponse:
    """Write to every teacher taking part (or one category's); a preview says how many will receive it."""
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "contests.message_teachers", competition)
    form = TeacherMessageForm(request.POST or None, competition=competition)
    if request.method == "POST" and form.is_valid():
        category = form.cleaned_data["category"]
        if request.POST.get("confirm") == "yes":
            try:
                queued, without = services.message_teachers(
                    request.user, competition, subject=form.cleaned_data["subject"],  # type: ignore[arg-type]
                    body=form.cleaned_data["body"], category=category,
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                text = ngettext("Your message is on its way to %(n)d teacher.",
                                "Your message is on its way to %(n)d teachers.", queued) % {"n": queued}
                if without:
                    text += " " + ngettext("%(n)d teacher has no e-mail address.",
                                           "%(n)d teachers have no e-mail address.", without) % {"n": without}
                messages.success(request, text)
                return redirect("organiser-message-teachers", slug=slug)
        teachers = services.teachers_to_message(competition, category)
        return render(request, "entries/organiser_message.html", {
            "competition": competition, "form": form, "preview": True, "teachers": len(teachers),
            "with_address": sum(1 for t in teachers if t.email),
        })
    return render(request, "entries/organiser_message.html", {"competition": competition, "form": form})
