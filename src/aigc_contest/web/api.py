"""The versioned JSON API (/api/v1/), with its OpenAPI schema at /api/v1/openapi.json.

Authentication: the browser session (with CSRF), or for scripts a personal token
(`Authorization: Bearer aigc_…`, made on the account's token page) or HTTP Basic. Every route asks the
same django-rules permissions as the pages, and the same services do the writes. Every error status a
route can answer is in the schema, with the body `{"detail": …}`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, NinjaAPI, Schema, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import APIKeyCookie, HttpBasicAuth, HttpBearer

from aigc_contest.web.accounts.tokens import user_for_token
from aigc_contest.web.certificates.api import router as certificates_router
from aigc_contest.web.contests import api as setup_api
from aigc_contest.web.contests import selectors as contest_selectors
from aigc_contest.web.core.api_schema import PUBLIC_READ_ERRORS, READ_ERRORS, WRITE_ERRORS, ApiError, ErrorOut
from aigc_contest.web.core.errors import PermissionDenied, ServiceError
from aigc_contest.web.entries import selectors as entry_selectors
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.entries.models import Entry, Team
from aigc_contest.web.judging.api import router as results_router
from aigc_contest.web.judging.organiser_api import router as judging_router


class BasicAuth(HttpBasicAuth):
    def authenticate(self, request: HttpRequest, username: str, password: str):  # type: ignore[no-untyped-def]
        user = authenticate(request, username=username, password=password)
        if user is not None:
            request.user = user
        return user


class TokenAuth(HttpBearer):
    """A personal API token; like Basic, it needs no CSRF token (scripts hold no cookie)."""

    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[no-untyped-def]
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; CSRF is checked on unsafe methods. A request without a signed-in
    session (a script) is not this method's to refuse: HTTP Basic is tried next."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None  # no session: no CSRF question, and the next authenticator answers
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None):  # type: ignore[no-untyped-def]
        return request.user if request.user.is_authenticated else None


class _InstantEncoder(NinjaJSONEncoder):
    """Instants in ISO 8601 to the microsecond (Django's encoder stops at the millisecond): a deadline typed
    "23:59" lasts to :59.999999 (`contests/timeline.py`), and the API gives that very instant."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class _Renderer(JSONRenderer):
    encoder_class = _InstantEncoder


api = NinjaAPI(
    title="aigc-contest API",
    renderer=_Renderer(),
    version="1",
    urls_namespace="api-v1",
    auth=[SessionAuth(), TokenAuth(), BasicAuth()],
    docs_url="/docs",
)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """401 says how to authenticate (RFC 9110 asks for the header)."""
    response = api.create_response(request, {"detail": "Sign in: a personal token (Bearer) or HTTP Basic."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="aigc-contest", Basic realm="aigc-contest", charset="UTF-8"'
    return response


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    """An error whose detail may be messages by field (422 of a competition spec)."""
    return api.create_response(request, {"detail": exc.detail}, status=exc.status_code)


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    school_levels: list[str]
    work_types: list[str]
    min_team_size: int
    max_team_size: int
    any_theme: bool
    submission_limit: int


class ThemeOut(Schema):
    id: int
    title: str


class CompetitionOut(Schema):
    slug: str
    name: str
    description: str
    timezone: str
    stage: str
    registration_opens_at: datetime
    submission_opens_at: datetime
    submission_deadline: datetime
    results_at: datetime
    categories: list[CategoryOut]
    themes: list[ThemeOut]


class TeamOut(Schema):
    id: int
    name: str
    competition: str
    category: str
    members: list[str]


class VersionOut(Schema):
    number: int
    submitted_at: datetime
    content_hash: str
    file_sha256: str


class EntryOut(Schema):
    id: int
    team: int
    category: str
    title: str
    work_type: str
    status: str
    has_file: bool
    versions: list[VersionOut]


class SubmitIn(Schema):
    # Optional idempotency: when given and equal to the latest version's content hash, no new version is made.
    expected_content_hash: str | None = None


def _competition_out(c) -> CompetitionOut:  # type: ignore[no-untyped-def]
    return CompetitionOut(
        slug=c.slug,
        name=c.tr("name"),
        description=c.tr("description"),
        timezone=c.timezone,
        stage=c.stage().value,
        registration_opens_at=c.registration_opens_at,
        submission_opens_at=c.submission_opens_at,
        submission_deadline=c.submission_deadline,
        results_at=c.results_at,
        categories=[
            CategoryOut(
                id=cat.pk, slug=cat.slug, name=cat.tr("name"), school_levels=cat.school_levels,
                work_types=cat.work_types, min_team_size=cat.min_team_size, max_team_size=cat.max_team_size,
                any_theme=cat.any_theme, submission_limit=cat.submission_limit,
            )
            for cat in c.categories.all()
        ],
        themes=[ThemeOut(id=t.pk, title=t.tr("title")) for t in c.themes.all()],
    )


def _entry_out(entry: Entry) -> EntryOut:
    return EntryOut(
        id=entry.pk,
        team=entry.team_id,
        category=entry.category.slug,
        title=entry.title,
        work_type=entry.work_type,
        status=entry.status,
        has_file=bool(entry.draft_file),
        versions=[
            VersionOut(number=v.number, submitted_at=v.submitted_at, content_hash=v.content_hash, file_sha256=v.file_sha256)
            for v in entry.versions.order_by("number")
        ],
    )


@api.get("/competitions", response={200: list[CompetitionOut]}, auth=None, tags=["competitions"])
def list_competitions(request: HttpRequest) -> list[CompetitionOut]:
    return [_competition_out(c) for c in contest_selectors.public_competitions().prefetch_related("themes")]


api.post("/competitions", **setup_api.CREATE)(setup_api.create_competition)


@api.get("/competitions/{slug}", response={200: CompetitionOut, **PUBLIC_READ_ERRORS}, auth=None,
         tags=["competitions"])
def get_competition(request: HttpRequest, slug: str) -> CompetitionOut:
    return _competition_out(contest_selectors.competition_by_slug(slug))


@api.get("/teams", response={200: list[TeamOut], 401: ErrorOut}, tags=["teams"])
def list_teams(request: HttpRequest) -> list[TeamOut]:
    teams = entry_selectors.teams_for(request.user).prefetch_related("members")  # type: ignore[arg-type]
    return [
        TeamOut(id=t.pk, name=t.name, competition=t.competition.slug, category=t.category.slug,
                members=[m.username for m in t.members.all()])
        for t in teams
    ]


@api.get("/entries", response={200: list[EntryOut], 401: ErrorOut}, tags=["entries"])
def list_entries(request: HttpRequest) -> list[EntryOut]:
    return [_entry_out(e) for e in entry_selectors.entries_for(request.user).prefetch_related("versions")]  # type: ignore[arg-type]


def _entry(request: HttpRequest, entry_id: int, perm: str) -> Entry:
    entry = get_object_or_404(Entry.objects.select_related("team", "category__competition"), pk=entry_id)
    if not request.user.has_perm(perm, entry):
        # 404, not 403: an entry you may not see does not exist for you.
        raise HttpError(404, "Not found")
    return entry


@api.get("/entries/{entry_id}", response={200: EntryOut, **READ_ERRORS}, tags=["entries"])
def get_entry(request: HttpRequest, entry_id: int) -> EntryOut:
    return _entry_out(_entry(request, entry_id, "entries.view_entry"))


@api.post("/entries/{entry_id}/submit", response={201: VersionOut, 200: VersionOut, 400: ErrorOut, **WRITE_ERRORS},
          tags=["entries"])
def submit_entry(request: HttpRequest, entry_id: int, payload: SubmitIn | None = None):  # type: ignore[no-untyped-def]
    now = timezone.now()  # the deadline is judged at the instant the request arrived
    try:
        submission = entry_services.submit(
            request.user,  # type: ignore[arg-type]
            entry_id,
            now=now,
            expected_content_hash=payload.expected_content_hash if payload else None,
            visible_perm="entries.view_entry",  # an entry you may not see does not exist for you
        )
    except entry_services.EntryNotFound as exc:
        raise HttpError(404, "Not found") from exc
    except PermissionDenied as exc:
        raise HttpError(403, exc.message) from exc
    except ServiceError as exc:
        raise HttpError(409 if exc.code in {"deadline_passed", "limit_reached", "not_open"} else 400, exc.message) from exc
    version = submission.version
    return Status(201 if submission.created else 200,
                  VersionOut(number=version.number, submitted_at=version.submitted_at,
                             content_hash=version.content_hash, file_sha256=version.file_sha256))


@api.post("/entries/{entry_id}/withdraw", response={200: EntryOut, **WRITE_ERRORS}, tags=["entries"])
def withdraw_entry(request: HttpRequest, entry_id: int) -> EntryOut:
    entry = _entry(request, entry_id, "entries.view_entry")
    try:
        entry_services.withdraw_entry(request.user, entry)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise HttpError(403, exc.message) from exc
    except ServiceError as exc:
        raise HttpError(409, exc.message) from exc
    return _entry_out(entry)


@api.get("/teams/{team_id}", response={200: TeamOut, **READ_ERRORS}, tags=["teams"])
def get_team(request: HttpRequest, team_id: int) -> TeamOut:
    team = get_object_or_404(Team.objects.select_related("competition", "category"), pk=team_id)
    if not request.user.has_perm("entries.view_team", team):
        raise HttpError(404, "Not found")
    return TeamOut(id=team.pk, name=team.name, competition=team.competition.slug, category=team.category.slug,
                   members=[m.username for m in team.members.all()])



class DraftFileOut(Schema):
    entry: int
    file_name: str
    mime: str
    size: int
    sha256: str


@api.put("/entries/{entry_id}/file", response={200: DraftFileOut, 400: ErrorOut, 413: ErrorOut, **WRITE_ERRORS},
         tags=["entries"])
def put_draft_file(request: HttpRequest, entry_id: int, file: File[UploadedFile]):  # type: ignore[no-untyped-def]
    """Replace the team's draft file (multipart field `file`), checked exactly as on the entry page: a file
    that is refused leaves the draft as it was. Submitting is a separate step (`POST …/submit`)."""
    entry = _entry(request, entry_id, "entries.view_entry")
    try:
        data = entry_services.read_upload(entry, file)
        info = entry_services.upload_draft_file(request.user, entry, filename=file.name or "upload", data=data)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise HttpError(403, exc.message) from exc
    except ServiceError as exc:
        raise HttpError(413 if exc.code == "too_large" else 400, exc.message) from exc
    entry.refresh_from_db()
    return DraftFileOut(entry=entry.pk, file_name=entry.draft_file_name, mime=info.mime, size=info.size,
                        sha256=info.sha256)


# Results (embargoed) live with the judging app, certificate checks with the certificates app.
api.add_router("/", results_router)
api.add_router("/", certificates_router)
# The organisers' routes: set-up (a competition as a spec), judging, certificates (above).
api.add_router("/", setup_api.router)
api.add_router("/", judging_router)
