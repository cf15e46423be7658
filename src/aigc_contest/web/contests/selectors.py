"""Reads for competitions."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from aigc_contest.web.contests.models import Category, Competition, Theme


def public_competitions() -> QuerySet[Competition]:
    return Competition.objects.filter(is_public=True).prefetch_related("categories")


def competition_by_slug(slug: str) -> Competition:
    return get_object_or_404(
        Competition.objects.filter(is_public=True).prefetch_related(
            Prefetch("categories", queryset=Category.objects.prefetch_related("themes")),
            "themes",
            "criteria",
        ),
        slug=slug,
    )


def category_themes(category: Category) -> QuerySet[Theme]:
    if category.any_theme:
        return category.competition.themes.all()
    return category.themes.all()
