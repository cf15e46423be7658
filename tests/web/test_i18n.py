"""Pages in Traditional Chinese (Hong Kong), Simplified Chinese and English, and catalogues that are complete.

Browsers in Hong Kong and Taiwan send zh-HK / zh-TW, in mainland China zh-CN; Django's LocaleMiddleware
maps these to the zh-hant / zh-hans catalogues. The compiled .mo files are committed (CI machines may have
no gettext tools), so a test checks that they say exactly what the .po files say.
"""

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client

import aigc_contest.web

WEB_DIR = Path(aigc_contest.web.__file__).resolve().parent
LOCALE_DIR = WEB_DIR / "locale"
CATALOGUES = ["zh_Hant", "zh_Hans"]
DEMO_PASSWORD = "aigc-demo-2024"

# One phrase per page and script; each pair differs between Traditional and Simplified.
HOME = {"en": "AI creativity competitions", "zh-hant": "AI 創意比賽", "zh-hans": "AI 创意比赛"}
SIGN_IN = {"en": "Sign in", "zh-hant": "登入", "zh-hans": "登录"}
GUARDIAN_CONSENT = {"en": "Guardian consent", "zh-hant": "監護人同意", "zh-hans": "监护人同意"}
MY_ENTRIES = {"en": "My competitions and entries", "zh-hant": "我的比賽和作品", "zh-hans": "我的比赛和作品"}
CONTENT_HASH = {"en": "SHA-256 of the file", "zh-hant": "檔案的 SHA-256", "zh-hans": "文件的 SHA-256"}


# --- a small .po reader (no third-party package needed) -------------------------------------------------

@dataclass
class PoEntry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


def parse_po(path: Path) -> list[PoEntry]:
    """Active entries of a .po file (obsolete `#~` entries and the header are left out)."""
    entries: list[PoEntry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        flags = {f.strip() for line in lines if line.startswith("#,") for f in line[2:].split(",")}
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
            if match:
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
            elif key:
                fields[key] += _unquote(line)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        msgstrs = [fields[k] for k in sorted(k for k in fields if k.startswith("msgstr"))]
        entries.append(PoEntry(fields["msgid"], fields.get("msgid_plural"), msgstrs, flags))
    return entries


PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# --- catalogue checks (no database) ----------------------------------------------------------------------

@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_every_message_is_translated_and_keeps_its_placeholders(catalogue: str) -> None:
    entries = parse_po(LOCALE_DIR / catalogue / "LC_MESSAGES" / "django.po")
    assert len(entries) > 200
    empty = [e.msgid for e in entries if not e.msgstr or any(not s.strip() for s in e.msgstr)]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not empty, f"untranslated in {catalogue}: {empty}"
    assert not fuzzy, f"fuzzy (unchecked) translations in {catalogue}: {fuzzy}"
    for entry in entries:
        for msgstr in entry.msgstr:
            assert _placeholders(msgstr) == _placeholders(entry.msgid), (entry.msgid, msgstr)


@pytest.mark.parametrize("catalogue", CATALOGUES)
def test_compiled_mo_says_exactly_what_the_po_says(catalogue: str) -> None:
    folder = LOCALE_DIR / catalogue / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in parse_po(folder / "django.po"):
        if entry.msgid_plural is None:
            if compiled.gettext(entry.msgid) != entry.msgstr[0]:
                stale.append(entry.msgid)
        elif compiled.ngettext(entry.msgid, entry.msgid_plural, 1) != entry.msgstr[0]:
            stale.append(entry.msgid)
    assert not stale, f"{catalogue}/django.mo is out of date; run compilemessages (see locale/README.md): {stale}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
def test_catalogues_cover_every_string_in_the_source(tmp_path: Path, settings: Any, monkeypatch: Any) -> None:
    """makemessages, run on a copy of the web package, finds no string that the catalogues lack."""
    from django.core.management import call_command

    copy = tmp_path / "web"
    shutil.copytree(WEB_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=CATALOGUES, ignore_patterns=["migrations/*"], verbosity=0)
    for catalogue in CATALOGUES:
        entries = parse_po(copy / "locale" / catalogue / "LC_MESSAGES" / "django.po")
        missing = [e.msgid for e in entries if "fuzzy" in e.flags or not all(s.strip() for s in e.msgstr)]
        assert not missing, f"new strings to translate in {catalogue} (see locale/README.md): {missing}"


# --- pages -----------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("zh-HK", "zh-hant"), ("zh-TW", "zh-hant"), ("zh-HK,zh;q=0.9,en;q=0.8", "zh-hant"),
     ("zh-CN", "zh-hans"), ("zh-SG", "zh-hans"), ("en-GB", "en")],
)
def test_browser_language_picks_the_script(accept_language: str, language: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    home = client.get("/")
    login = client.get("/accounts/login/")
    assert home.headers["Content-Language"] == language
    html_lang = {"en": "en", "zh-hant": "zh-Hant", "zh-hans": "zh-Hans"}[language]
    assert f'<html lang="{html_lang}">' in home.content.decode()
    for response, phrases in ((home, HOME), (login, SIGN_IN)):
        text = response.content.decode()
        assert phrases[language] in text
        for other, phrase in phrases.items():
            if other != language and phrase not in phrases[language]:
                assert phrase not in text, (accept_language, phrase)


@pytest.mark.django_db
def test_language_switcher_overrides_the_browser() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB")
    assert HOME["en"] in client.get("/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.cookies["django_language"].value == "zh-hans"
    assert SIGN_IN["zh-hans"] in client.get("/accounts/login/").content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    text = client.get("/").content.decode()
    assert HOME["zh-hant"] in text and HOME["zh-hans"] not in text


@pytest.mark.django_db
@pytest.mark.parametrize(("accept_language", "column"), [("zh-HK", "zh_hant"), ("zh-CN", "zh_hans"), ("en", "en")])
def test_competition_name_follows_the_language(demo: Any, accept_language: str, column: str) -> None:
    from aigc_contest.web.contests.models import Competition

    competition = Competition.objects.get(slug="hk-inter-school-aigc")
    names = {c: getattr(competition, f"name_{c}") for c in ("en", "zh_hant", "zh_hans")}
    assert len(set(names.values())) == 3
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    for url in ("/", "/competitions/hk-inter-school-aigc/"):
        text = client.get(url).content.decode()
        assert names[column] in text
        assert all(name not in text for c, name in names.items() if c != column), url


def _english_ui_phrases(html: str) -> list[str]:
    """The catalogue's English messages (two words or more) that appear in an English page."""
    msgids = {e.msgid for e in parse_po(LOCALE_DIR / "zh_Hant" / "LC_MESSAGES" / "django.po")}
    return sorted(m for m in msgids if " " in m and "%" not in m and m in html)


@pytest.mark.django_db
def test_signed_in_pages_have_no_english_ui_left(demo: Any) -> None:
    from aigc_contest.web.entries.models import Entry

    entry = Entry.objects.filter(team__members__username="p.mei").first()
    assert entry is not None
    pages = [("teacher.primary", "/school/", GUARDIAN_CONSENT), ("p.mei", "/me/", MY_ENTRIES),
             ("p.mei", f"/entries/{entry.pk}/", CONTENT_HASH)]
    for username, url, phrases in pages:
        english = Client(HTTP_ACCEPT_LANGUAGE="en")
        # Sign-in throttling (django-axes) needs the request a real sign-in has; Client.login has none.
        assert english.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
        english_html = english.get(url).content.decode()
        ui_phrases = _english_ui_phrases(english_html)
        assert len(ui_phrases) >= 3, url  # the comparison below has something to compare
        for accept_language, language in (("zh-HK", "zh-hant"), ("zh-CN", "zh-hans")):
            client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
            assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
            text = client.get(url).content.decode()
            assert phrases[language] in text, (url, language)
            left = [p for p in ui_phrases if p in text]
            assert not left, f"English left on {url} in {language}: {left}"
