"""Every picture a work's document names is named one way: `job-asset:N` (`works.pictures`). Storybooks
named their pictures by storage path and the image studio by the bare number; both become references.

A storybook picture is found by its stored file among the work's own picture jobs (or by the job asset its
provenance records). One no job made any more, but still in storage, is kept inline in the book (as an
imported book's pictures are); one gone from storage is dropped, since no page could show it. Documents
that name their pictures by reference already (novels) are left as they are."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db import migrations

PREFIX = "job-asset:"


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX) and value[len(PREFIX) :].isdigit()


def _storybook_picture(image: Any, assets: dict[str, int], owned: set[int]) -> dict[str, Any] | None:
    """The book's picture named by reference (or inline), or None when nothing of it is left."""
    if not isinstance(image, dict) or image.get("data") is not None or _is_reference(image.get("path")):
        return image
    path = str(image.get("path") or "")
    asset_pk = assets.get(path)
    recorded = (image.get("provenance") or {}).get("asset")
    if asset_pk is None and isinstance(recorded, int) and recorded in owned:
        asset_pk = recorded
    if asset_pk is not None:
        return {**image, "path": f"{PREFIX}{asset_pk}"}
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return None
    return {**{k: v for k, v in image.items() if k != "path"}, "path": None,
            "data": base64.b64encode(data).decode("ascii")}  # fmt: skip


def _storybook(book: dict[str, Any], assets: dict[str, int], owned: set[int]) -> dict[str, Any]:
    book = dict(book)
    if book.get("cover_image") is not None:
        book["cover_image"] = _storybook_picture(book["cover_image"], assets, owned)
    pages = []
    for page in book.get("pages") or []:
        page = dict(page)
        if page.get("image") is not None:
            page["image"] = _storybook_picture(page["image"], assets, owned)
        if "candidates" in page:
            page["candidates"] = [
                kept for c in page["candidates"] or [] if (kept := _storybook_picture(c, assets, owned)) is not None
            ]
        pages.append(page)
    book["pages"] = pages
    characters = []
    for character in book.get("characters") or []:
        character = dict(character)
        if character.get("reference_image") is not None:
            character["reference_image"] = _storybook_picture(character["reference_image"], assets, owned)
        characters.append(character)
    if "characters" in book:
        book["characters"] = characters
    return book


def name_pictures_by_reference(apps: Any, schema_editor: Any) -> None:
    Work = apps.get_model("works", "Work")
    JobAsset = apps.get_model("jobs", "JobAsset")
    for work in Work.objects.filter(kind__in=["storybook", "image"]).order_by("pk"):
        document = work.document
        if not isinstance(document, dict):
            continue
        if work.kind == "image":
            picture = document.get("picture")
            if not isinstance(picture, dict) or not isinstance(picture.get("asset"), int):
                continue
            document = {**document, "picture": {**picture, "asset": f"{PREFIX}{picture['asset']}"}}
        else:
            if not isinstance(document.get("book"), dict):
                continue
            rows = JobAsset.objects.filter(job__work_job__work_id=work.pk, job__work_job__step="picture")
            assets = {str(name): pk for pk, name in rows.values_list("pk", "file")}
            document = {**document, "book": _storybook(document["book"], assets, set(assets.values()))}
        if document != work.document:
            Work.objects.filter(pk=work.pk).update(document=document)  # no new revision: the same work


def name_pictures_by_path(apps: Any, schema_editor: Any) -> None:
    """Back: the image studio's bare numbers and the storybooks' storage paths again."""
    Work = apps.get_model("works", "Work")
    JobAsset = apps.get_model("jobs", "JobAsset")

    def pk_of(value: Any) -> int | None:
        return int(value[len(PREFIX) :]) if _is_reference(value) else None

    for work in Work.objects.filter(kind__in=["storybook", "image"]).order_by("pk"):
        document = work.document
        if not isinstance(document, dict):
            continue
        if work.kind == "image":
            picture = document.get("picture")
            if isinstance(picture, dict) and pk_of(picture.get("asset")) is not None:
                document = {**document, "picture": {**picture, "asset": pk_of(picture["asset"])}}
        elif isinstance(document.get("book"), dict):
            names = dict(JobAsset.objects.filter(job__work_job__work_id=work.pk).values_list("pk", "file"))
            paths = {f"{PREFIX}{pk}": str(name) for pk, name in names.items()}
            text = json.dumps(document["book"])
            for reference, path in paths.items():
                text = text.replace(f'"{reference}"', json.dumps(path))
            document = {**document, "book": json.loads(text)}
        Work.objects.filter(pk=work.pk).update(document=document)


class Migration(migrations.Migration):
    dependencies = [
        ("works", "0004_finetuned_model_kind"),
        ("jobs", "0001_initial"),
    ]

    operations = [migrations.RunPython(name_pictures_by_reference, name_pictures_by_path)]
