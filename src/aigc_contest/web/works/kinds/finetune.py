"""Fine-tuned models (the Wukong-Huahua fine-tuning track): a team trains a LoRA on its own pictures.

The document:
    {"description": str, "declaration": bool,
     "images": [{"path", "name", "sha256", "width", "height", "caption", "dhash"}],
     "recipe": {"base", "rank", "steps", "resolution", "learning_rate", "seed"} | null,
     "lora": {"origin": "trained" | "uploaded", "path", "sha256", "bytes", "format", "rank", "components",
              "base_model", "base_hash", "steps", "losses", "dataset_hash", "images", "recipe", "job",
              "seconds", "samples": [{"path", "prompt", "seed", "step"}]} | null}
The training set is stored by the services (`attach_file`) after its checks (each picture an image upload
screened by the safety layer; a ZIP passes `works.archives.read_zip`) and is private to the team: only the
team and its teachers see the pictures (finetuning/rules.py); the entry's file holds a summary of the set,
never the pictures. Training is a `finetune.train` job (finetuning/jobs.py) whose finished result `apply`
puts into the document. Nothing is written by the AI: no writing or picture steps.

The submitted version is one self-contained HTML model card without script: the description, the base
model and its hash, a data summary, the recipe, the steps, the loss curve (inline SVG), sample pictures if
any, and the LoRA's sha256.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.jobs.kinds import JobFailure, JobOutput, Progress
from aigc_contest.web.works.base import ImageModel, Next, Picture, VersionFile, Words
from aigc_contest.web.works.models import Work, WorkJob, WorkKind

TRAIN_STEP = "train"
DESCRIPTION_MAX = 4000
CAPTION_MAX = 300  # what the text encoder reads is far shorter; keeps the page and the card bounded
IMAGES_MAX = 200
IMAGES_MIN = 5
RECIPE_KEYS = ("base", "rank", "steps", "resolution", "learning_rate", "seed")


def empty_document() -> dict[str, Any]:
    return {"description": "", "declaration": False, "images": [], "recipe": None, "lora": None}


def _image(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict) or not item.get("path"):
        return None
    return {
        "path": str(item["path"]),
        "name": str(item.get("name") or "")[:120],
        "sha256": str(item.get("sha256") or ""),
        "width": int(item.get("width") or 0),
        "height": int(item.get("height") or 0),
        "caption": " ".join(str(item.get("caption") or "").split())[:CAPTION_MAX],
        "dhash": str(item.get("dhash") or "")[:32],
    }


def _recipe(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not value.get("base"):
        return None
    try:
        return {
            "base": str(value["base"])[:200],
            "rank": int(value.get("rank") or 4),
            "steps": int(value.get("steps") or 1),
            "resolution": int(value.get("resolution") or 512),
            "learning_rate": float(value.get("learning_rate") or 1e-4),
            "seed": int(value.get("seed") or 0),
        }
    except (TypeError, ValueError) as exc:
        raise ServiceError(_("That recipe cannot be saved."), "invalid") from exc


class FinetuneKind:
    kind = WorkKind.FINETUNE
    text_job = ""
    steps: dict[str, Any] = {}

    def wrong_entry(self) -> str:
        return _("This page trains fine-tuned models; this entry is another type of work.")

    def start(self, entry: Any, options: dict[str, Any]) -> dict[str, Any] | None:
        return empty_document()

    def texts(self, document: Any) -> list[Words]:
        document = document or {}
        words = [Words(str(document.get("description") or ""))]
        words += [Words(str(item.get("caption") or "")) for item in document.get("images") or []
                  if isinstance(item, dict)]  # fmt: skip
        return words

    def clean(self, document: Any) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise ServiceError(_("That fine-tuned model cannot be saved."), "invalid")
        images = [clean for item in document.get("images") or [] if (clean := _image(item)) is not None]
        if len(images) > IMAGES_MAX:
            raise ServiceError(_("A training set holds at most %(n)d pictures.") % {"n": IMAGES_MAX}, "too_many")
        lora = document.get("lora")
        return {
            "description": str(document.get("description") or "").strip()[:DESCRIPTION_MAX],
            "declaration": bool(document.get("declaration")),
            "images": images,
            "recipe": _recipe(document.get("recipe")),
            "lora": dict(lora) if isinstance(lora, dict) and lora.get("path") else None,
        }

    def text_params(
        self, work: Work, step: str, target: str, document: Any, options: dict[str, Any]
    ) -> dict[str, Any]:
        raise ServiceError(_("Unknown change."), "bad_request")

    def prepare_text(self, params: dict[str, Any]) -> dict[str, Any]:
        raise JobFailure("fine-tuned models have no writing steps")

    def run_text(self, params: dict[str, Any], progress: Progress) -> JobOutput:
        raise JobFailure("fine-tuned models have no writing steps")

    def apply(
        self, work: Work, item: WorkJob, screen: Callable[[Any, dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """A finished training run's LoRA becomes the work's LoRA (the job's first asset, its record)."""
        if item.step != TRAIN_STEP:
            return None
        asset = item.job.assets.order_by("index").first()
        if asset is None:
            raise ServiceError("the training job stored no LoRA", "no_lora")
        result = dict(item.job.result or {})
        noted = {int(s.get("index", -1)): s for s in result.get("samples") or [] if isinstance(s, dict)}
        samples = [
            {"path": a.file.name, **{k: noted.get(a.index, {}).get(k) for k in ("prompt", "seed", "step")}}
            for a in item.job.assets.order_by("index") if a.index > 0 and a.content_type.startswith("image/")
        ]  # fmt: skip
        document = self.clean(work.document)
        document["lora"] = {
            "origin": "trained", "path": asset.file.name, "sha256": str(result.get("sha256") or ""),
            "bytes": int(result.get("bytes") or 0), "format": "diffusers", "rank": result.get("rank"),
            "components": ["unet"], "base_model": str(result.get("base_model") or ""),
            "base_hash": str(result.get("base_hash") or ""), "steps": int(result.get("steps") or 0),
            "losses": [float(x) for x in result.get("losses") or []][:100_000],
            "dataset_hash": str(result.get("dataset_hash") or ""), "images": int(result.get("images") or 0),
            "recipe": result.get("recipe") or {}, "job": item.job_id, "seconds": float(result.get("seconds") or 0),
            "samples": samples,
        }  # fmt: skip
        return document

    def next_steps(self, work: Work, pending: list[WorkJob]) -> Next:
        return Next()

    def picture_prompt(
        self, work: Work, target: str, model: ImageModel, options: dict[str, Any]
    ) -> dict[str, Any] | None:
        raise ServiceError(_("A fine-tuned model is trained on your pictures; it does not draw here."), "bad_request")

    def use_picture(self, work: Work, target: str, picture: Picture) -> dict[str, Any] | None:
        return None

    def version_file(self, work: Work) -> VersionFile:
        document = self.clean(work.document)
        lora = document["lora"]
        if not lora:
            raise ServiceError(_("Train a LoRA or upload one before sending the model."), "no_lora")
        if not document["description"]:
            raise ServiceError(_("Describe the fine-tuned model before sending it."), "invalid")
        summary = data_summary(document["images"])
        meta = {
            "finetune": {
                "lora_sha256": lora.get("sha256"), "origin": lora.get("origin"), "format": lora.get("format"),
                "rank": lora.get("rank"), "base_model": lora.get("base_model"), "base_hash": lora.get("base_hash"),
                "steps": lora.get("steps"), "recipe": lora.get("recipe") or document["recipe"] or {},
                "dataset_hash": lora.get("dataset_hash"), "training_set": summary, "job": lora.get("job"),
            }
        }  # fmt: skip
        return VersionFile(filename="model-card.html", data=render_card(document).encode("utf-8"),
                           mime="text/html", meta=meta)  # fmt: skip


FINETUNE = FinetuneKind()


# ---------------------------------------------------------------- the data summary, the loss curve, the card


def data_summary(images: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the card says about the set: how many pictures, their sizes, the captions' length."""
    if not images:
        return {"images": 0}
    widths = [int(i.get("width") or 0) for i in images]
    heights = [int(i.get("height") or 0) for i in images]
    captions = [len(str(i.get("caption") or "")) for i in images]
    return {
        "images": len(images),
        "captioned": sum(1 for n in captions if n),
        "smallest": f"{min(widths)}×{min(heights)}",
        "largest": f"{max(widths)}×{max(heights)}",
        "mean_caption_chars": round(sum(captions) / len(captions)),
    }


def loss_curve_svg(losses: Sequence[float], *, width: int = 480, height: int = 180, title: str = "") -> str:
    """The loss per step as an inline SVG polyline (no script, no external file); "" for no steps.

    Long runs are thinned to at most one point per horizontal pixel (the mean of each bucket)."""
    values = [float(v) for v in losses if v == v and abs(float(v)) != float("inf")]
    if not values:
        return ""
    if len(values) > width:
        size = len(values) / width
        values = [sum(chunk) / len(chunk) for b in range(width)
                  if (chunk := values[int(b * size): max(int(b * size) + 1, int((b + 1) * size))])]  # fmt: skip
    pad = 28
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = " ".join(
        f"{pad + i * step:.1f},{height - pad - (v - low) / span * (height - 2 * pad):.1f}" for i, v in enumerate(values)
    )
    label = html.escape(title or "Training loss")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" class="loss-curve"><title>{label}</title>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff" stroke="#ccc"/>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#888"/>'
        f'<text x="{pad}" y="{pad - 8}" font-size="11">{high:.4g}</text>'
        f'<text x="{pad}" y="{height - 8}" font-size="11">{low:.4g}</text>'
        f'<polyline fill="none" stroke="#1f5fbf" stroke-width="1.5" points="{points}"/></svg>'
    )


def _data_uri(path: str) -> str:
    with default_storage.open(path, "rb") as handle:
        data = handle.read()
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/webp" if data[8:12] == b"WEBP" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def render_card(document: dict[str, Any]) -> str:
    """The model card as one HTML file: no script, every picture inline."""
    esc = html.escape
    lora = document["lora"] or {}
    recipe = lora.get("recipe") or document.get("recipe") or {}
    summary = data_summary(document["images"])
    rows: list[tuple[str, Any]] = [
        ("Made by", "training on this platform" if lora.get("origin") == "trained" else "uploaded (trained elsewhere)"),
        ("Base model", lora.get("base_model") or recipe.get("base") or "not stated"),
        ("Base model weights SHA-256", lora.get("base_hash") or "not known"),
        ("LoRA format", lora.get("format") or ""),
        ("LoRA rank", lora.get("rank") or ""),
        ("Training steps", lora.get("steps") or ""),
        ("Training time (s)", round(float(lora.get("seconds") or 0), 1) or ""),
        ("LoRA file SHA-256", lora.get("sha256") or ""),
        ("Training set SHA-256", lora.get("dataset_hash") or ""),
    ]
    parts = [
        "<!doctype html><html><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Model card</title>",
        "<style>body{font-family:system-ui,'Noto Sans CJK TC',sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem"
        " .5rem;text-align:left;vertical-align:top}code{word-break:break-all}.samples{display:grid;"
        "grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem}.samples img{width:100%;height:auto}"
        "</style></head><body>",
        "<h1>Model card</h1>",
        "<section><h2>About this model</h2>"
        + "".join(f"<p>{esc(line)}</p>" for line in document["description"].splitlines() if line.strip())
        + "</section>",
        "<section><h2>The model</h2><table>"
        + "".join(f"<tr><th>{esc(k)}</th><td><code>{esc(str(v))}</code></td></tr>" for k, v in rows if v != "")
        + "</table></section>",
    ]
    if recipe:
        parts.append("<section><h2>Recipe</h2><table>" + "".join(
            f"<tr><th>{esc(k.replace('_', ' '))}</th><td><code>{esc(str(recipe[k]))}</code></td></tr>"
            for k in RECIPE_KEYS if k in recipe) + "</table></section>")  # fmt: skip
    parts.append("<section><h2>Training data</h2><table>" + "".join(
        f"<tr><th>{esc(k.replace('_', ' '))}</th><td>{esc(str(v))}</td></tr>" for k, v in summary.items())
        + "</table><p>The pictures themselves stay private to the team.</p></section>")  # fmt: skip
    curve = loss_curve_svg(lora.get("losses") or [])
    if curve:
        losses = lora["losses"]
        parts.append(f"<section><h2>Loss curve</h2>{curve}<p>First loss {losses[0]:.4f}, last loss "
                     f"{losses[-1]:.4f}, {len(losses)} steps.</p></section>")  # fmt: skip
    samples = [s for s in lora.get("samples") or [] if isinstance(s, dict) and s.get("path")]
    if samples:
        parts.append('<section><h2>Sample pictures</h2><div class="samples">')
        for sample in samples:
            caption = " · ".join(str(x) for x in (sample.get("prompt"), sample.get("step") and f"step {sample['step']}",
                                                 sample.get("seed") is not None and f"seed {sample.get('seed')}") if x)  # fmt: skip
            parts.append(f'<figure><img src="{_data_uri(sample["path"])}" alt="{esc(str(sample.get("prompt") or "Sample"))}">'
                         f"<figcaption>{esc(caption)}</figcaption></figure>")  # fmt: skip
        parts.append("</div></section>")
    parts.append("</body></html>")
    return "".join(parts)
