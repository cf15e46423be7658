"""People, their roles and schools.

Minimal personal data: a student is a login name, a display name (a nickname is fine), a school and a
grade. No birth date, address, phone or photo; a guardian's consent is recorded as a fact (who recorded
it, when, how) without the guardian's identity.
"""

from __future__ import annotations

from typing import Any

import rules
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.core.translation import TranslatedFieldsMixin


class SchoolLevel(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    SEN = "sen", _("Special educational needs")
    OPEN = "open", _("Open (university, community, industry)")


class School(TranslatedFieldsMixin, models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=SchoolLevel.choices)
    district = models.CharField(_("district"), max_length=100, blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.name_en


class Role(models.TextChoices):
    ORGANISER = "organiser", _("Organiser")
    TEACHER = "teacher", _("Teacher")
    STUDENT = "student", _("Student")
    JUDGE = "judge", _("Judge")
    PARTICIPANT = "participant", _("Adult participant")
    # Someone who runs, watches or judges particular competitions: their powers are their roles on those
    # competitions (contests.CompetitionRole), never this field.
    STAFF = "staff", _("Competition team member")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.STUDENT)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    school = models.ForeignKey(
        School, verbose_name=_("school"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    grade = models.CharField(_("grade"), max_length=10, blank=True, help_text=_("e.g. P4 or S2"))
    is_adult = models.BooleanField(
        _("18 or over"), default=False, help_text=_("Adults submit without a guardian's consent.")
    )
    needs_support = models.BooleanField(
        _("needs learning support"), default=False, help_text=_("Simpler pages, larger text, read-aloud.")
    )
    # Adults who sign up outside a school may say where they take part from (optional, free text).
    region = models.CharField(_("country or region"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """The platform's own permissions (django-rules) decide for everyone, superusers too: Django's
        "superusers may do anything" applies only to the back office's model permissions (the admin)."""
        if rules.perm_exists(perm):
            return bool(self.is_active and rules.has_perm(perm, self, obj))
        return super().has_perm(perm, obj)

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER

    @property
    def is_teacher(self) -> bool:
        return self.role == Role.TEACHER

    @property
    def is_student(self) -> bool:
        return self.role in {Role.STUDENT, Role.PARTICIPANT}

    @property
    def is_judge(self) -> bool:
        return self.role == Role.JUDGE

    @property
    def held_competition_roles(self) -> dict[int, frozenset[str]]:
        """{competition id: the roles held on it}, read once per user object (one query a request). The
        roles themselves are the contests app's (`CompetitionRole`); this only reads them by relation."""
        cached = self.__dict__.get("_held_competition_roles")
        if cached is None:
            found: dict[int, set[str]] = {}
            if self.pk is not None:
                for competition_id, role in self.competition_roles.values_list("competition_id", "role"):
                    found.setdefault(competition_id, set()).add(role)
            cached = {k: frozenset(v) for k, v in found.items()}
            self.__dict__["_held_competition_roles"] = cached
        return cached

    def forget_competition_roles(self) -> None:
        self.__dict__.pop("_held_competition_roles", None)

    @property
    def runs_competitions(self) -> bool:
        """Owner, organiser or viewer of at least one competition (the organiser pages are theirs)."""
        return any(roles - {"judge"} for roles in self.held_competition_roles.values())

    @property
    def judges_competitions(self) -> bool:
        return self.is_judge or any("judge" in roles for roles in self.held_competition_roles.values())

    @property
    def has_consent(self) -> bool:
        """Adults need none; a minor needs a recorded, unrevoked guardian consent."""
        if self.is_adult or not self.is_student:
            return True
        return self.consents.filter(revoked_at__isnull=True).exists()


class GuardianConsent(models.Model):
    class Method(models.TextChoices):
        PAPER = "paper", _("Signed paper form kept by the school")
        EMAIL = "email", _("Email from the guardian kept by the school")
        SCHOOL_SYSTEM = "school_system", _("Recorded in the school's own system")

    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    method = models.CharField(_("how consent was given"), max_length=20, choices=Method.choices)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consents_recorded")
    recorded_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("guardian consent")
        verbose_name_plural = _("guardian consents")

    def __str__(self) -> str:
        return f"consent for {self.student} ({self.get_method_display()})"


class ChangeRecord(models.Model):
    """Who changed participants' data on their behalf: a teacher helping with a draft, an organiser in the
    back office. One row per change, kept when the changed object is deleted."""

    class Via(models.TextChoices):
        SITE = "site", _("Site")
        ADMIN = "admin", _("Back office")
        API = "api", _("API")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True,
                              on_delete=models.SET_NULL, related_name="changes_made")
    actor_name = models.CharField(_("login name"), max_length=150)  # kept if the account is deleted
    via = models.CharField(_("where"), max_length=8, choices=Via.choices, default=Via.SITE)
    action = models.CharField(_("what"), max_length=80)
    content_type = models.ForeignKey(ContentType, null=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [before, after]}
    # The competition the change concerns, so that its owners and organisers read their own audit log.
    competition = models.ForeignKey("contests.Competition", verbose_name=_("competition"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        indexes = [models.Index(fields=["content_type", "object_id"]), models.Index(fields=["competition", "at"])]

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.action} {self.object_repr}"


class ApiToken(models.Model):
    """A personal token for scripts (``Authorization: Bearer aigc_…``), acting as its owner with the owner's
    permissions. Only the SHA-256 of the token is kept: it is shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=16, unique=True)  # shown, to tell tokens apart
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
