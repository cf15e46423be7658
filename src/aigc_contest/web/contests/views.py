"""Public competition pages, and the organiser's set-up pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.contests import selectors, services
from aigc_contest.web.contests.forms import (
    BaseRubricFormSet,
    CategoryForm,
    CloneForm,
    CompetitionSetupForm,
    CriterionForm,
    ThemeForm,
    kept_forms,
)
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.contests.timeline import Edge, typed_clock
from aigc_contest.web.core.shortcuts import require_perm


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    competitions = list(selectors.public_competitions())
    return render(request, "home.html", {"competitions": competitions, "now": now})


def competition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    competition = selectors.competition_by_slug(slug)
    now = timezone.now()
    return render(
        request,
        "contests/competition_detail.html",
        {"competition": competition, "stage": competition.stage(now), "now": now},
    )


# ---------------------------------------------------------------- organisers: setting a competition up
# Each page reads what is typed with its form, writes through `contests.services`, and on any refusal
# shows the page again with everything typed kept and each message beside its field.


def _setup_competition(request: HttpRequest, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    require_perm(request, "contests.change_competition", competition)
    return competition


def _put_errors(form: forms.BaseForm, errors: Mapping[Any, list[str]]) -> None:
    for name, messages_ in errors.items():
        for message in messages_:
            form.add_error(name if name in form.fields else None, message)


def _section_errors(formset: forms.BaseFormSet, exc: services.SetupError, section: str,
                    forms_kept: list[forms.BaseForm]) -> None:  # fmt: skip
    for (row, name), messages_ in exc.for_section(section).items():
        targets = forms_kept if row is None and name else [forms_kept[row]] if row is not None and row < len(forms_kept) else []
        if not targets:
            formset.non_form_errors().extend(messages_)
            continue
        for form in targets:
            _put_errors(form, {name: messages_})


def _page(request: HttpRequest, template: str, competition: Competition | None, status: int = 200,
          **context: Any) -> HttpResponse:  # fmt: skip
    if competition is not None:
        context.setdefault("line", selectors.timeline_line(competition))
    return render(request, template, {"competition": competition, **context}, status=status)


@login_required
def competition_new(request: HttpRequest) -> HttpResponse:
    require_perm(request, "contests.add_competition")
    form = CompetitionSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            competition = services.create_competition(request.user, form.setup_values())
        except services.SetupError as exc:
            _put_errors(form, dict(exc.errors))
        else:
            messages.success(request, _("Competition created. Now add its themes, categories and rubric."))
            return redirect("competition-themes", slug=competition.slug)
    status = 400 if form.is_bound else 200
    return _page(request, "contests/setup_details.html", None, status=status, form=form, step="details")


@login_required
def competition_setup(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _setup_competition(request, slug)
    form = CompetitionSetupForm(request.POST or None, instance=competition)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_competition(request.user, competition, form.setup_values())
        except services.SetupError as exc:
            competition.refresh_from_db()
            _put_errors(form, dict(exc.errors))
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing to change."))
            if "timezone" in changed:
                messages.info(request, _zone_note(competition, form))
            return redirect("competition-setup", slug=competition.slug)
    status = 400 if form.is_bound else 200
    return _page(request, "contests/setup_details.html", competition, status=status, form=form, step="details")


def _zone_note(competition: Competition, form: CompetitionSetupForm) -> str:
    """What a change of zone did to the timeline (the same words as the back office's)."""
    when = " ".join(typed_clock(competition.submission_deadline, competition.zone, Edge.END))
    if form.zone_changed_only():
        text = _("The timeline kept its moments; on the %(zone)s clock the submission deadline is now %(when)s.")
    else:
        text = _("The times you typed were read on the %(zone)s clock and the others kept their moments; "
                 "the submission deadline is now %(when)s.")  # fmt: skip
    return text % {"zone": competition.timezone, "when": when}


def _theme_initial(competition: Competition) -> list[dict[str, Any]]:
    return [{"id": t.pk, **{name: getattr(t, name) for name in services.THEME_FIELDS}}
            for t in competition.themes.order_by("order", "id")]  # fmt: skip


ThemeFormSet = forms.formset_factory(ThemeForm, extra=3, can_delete=True)


def _kept(formset: forms.BaseFormSet) -> list[forms.BaseForm]:
    return list(kept_forms(formset))


def _rows(forms_kept: list[forms.BaseForm]) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in forms_kept]


@login_required
def competition_themes(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _setup_competition(request, slug)
    formset = ThemeFormSet(request.POST or None, initial=_theme_initial(competition), prefix="themes")
    if request.method == "POST" and formset.is_valid():
        kept = _kept(formset)
        try:
            report = services.save_themes(request.user, competition, _rows(kept))
        except services.SetupError as exc:
            _section_errors(formset, exc, "themes", kept)
        else:
            messages.success(request, _("Themes saved.") if report.changed else _("Nothing to change."))
            return redirect("competition-themes", slug=slug)
    status = 400 if formset.is_bound else 200
    return _page(request, "contests/setup_themes.html", competition, status=status, formset=formset, step="themes")


def _category_initial(competition: Competition) -> list[dict[str, Any]]:
    return [{"id": c.pk, **{name: getattr(c, name) for name in services.CATEGORY_FIELDS}, "themes": list(c.themes.all())}
            for c in competition.categories.prefetch_related("themes").order_by("order", "id")]  # fmt: skip


@login_required
def competition_categories(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _setup_competition(request, slug)
    formset_class = forms.formset_factory(CategoryForm, extra=1 if competition.categories.exists() else 2,
                                          can_delete=True)  # fmt: skip
    formset = formset_class(request.POST or None, initial=_category_initial(competition), prefix="categories",
                            form_kwargs={"competition": competition})  # fmt: skip
    if request.method == "POST" and formset.is_valid():
        kept = _kept(formset)
        try:
            report = services.save_categories(request.user, competition, _rows(kept))
        except services.SetupError as exc:
            _section_errors(formset, exc, "categories", kept)
        else:
            messages.success(request, _("Categories saved.") if report.changed else _("Nothing to change."))
            return redirect("competition-categories", slug=slug)
    status = 400 if formset.is_bound else 200
    return _page(request, "contests/setup_categories.html", competition, status=status, formset=formset,
                 step="categories", has_themes=competition.themes.exists())  # fmt: skip


@login_required
def competition_rubric(request: HttpRequest, slug: str) -> HttpResponse:
    competition = _setup_competition(request, slug)
    criteria = list(competition.criteria.order_by("order", "id"))
    initial = [{"id": c.pk, **{name: getattr(c, name) for name in services.CRITERION_FIELDS if name != "descriptors"}}
               for c in criteria]  # fmt: skip
    levels = [[{"band": band, "text": text} for band, text in (c.descriptors or {}).items()] for c in criteria]
    formset_class: Any = forms.formset_factory(CriterionForm, formset=BaseRubricFormSet, extra=1 if criteria else 4,
                                          can_delete=True)  # fmt: skip
    formset = formset_class(request.POST or None, initial=initial, levels_initial=levels, prefix="criteria")
    if request.method == "POST" and formset.is_valid():
        kept = formset.kept_forms()
        try:
            report = services.save_rubric(request.user, competition, formset.rows())
        except services.SetupError as exc:
            _section_errors(formset, exc, "criteria", kept)
        else:
            messages.success(request, _("Rubric saved.") if report.changed else _("Nothing to change."))
            return redirect("competition-rubric", slug=slug)
    status = 400 if formset.is_bound else 200
    total = services.rubric_total(c.weight for c in criteria)
    return _page(request, "contests/setup_rubric.html", competition, status=status, formset=formset, step="rubric",
                 total=f"{total.normalize():f}" if criteria else None)  # fmt: skip


@login_required
def competition_clone(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Competition, slug=slug)
    require_perm(request, "contests.view_competition", source)
    require_perm(request, "contests.add_competition")
    deadline_day = source.local(source.submission_deadline).date()
    try:
        next_year = deadline_day.replace(year=deadline_day.year + 1)
    except ValueError:  # 29 February
        next_year = deadline_day + timedelta(days=365)
    form = CloneForm(request.POST or None,
                     initial={"slug": f"{source.slug}-next", "name_en": source.name_en, "deadline_day": next_year})
    if request.method == "POST" and form.is_valid():
        days = (form.cleaned_data["deadline_day"] - deadline_day).days
        try:
            competition = services.clone_competition(request.user, source, slug=form.cleaned_data["slug"],
                                                     name_en=form.cleaned_data["name_en"], days=days)  # fmt: skip
        except services.SetupError as exc:
            for place, messages_ in exc.errors.items():
                for message in messages_:
                    form.add_error(place if place in form.fields else None, message)
        else:
            messages.success(request, _("Competition copied; every date moved by %(days)d days.") % {"days": days})
            return redirect("competition-setup", slug=competition.slug)
    status = 400 if form.is_bound else 200
    return _page(request, "contests/setup_clone.html", source, status=status, form=form, step="clone")


@login_required
def competition_export(request: HttpRequest, slug: str) -> HttpResponse:
    competition = get_object_or_404(Competition, slug=slug)
    require_perm(request, "contests.view_competition", competition)
    response = HttpResponse(services.dump_toml(services.export_spec(competition)), content_type="application/toml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{competition.slug}.toml"'
    return response
