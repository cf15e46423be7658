"""A fine-tuning entry with its people, a models file naming trainable models, and jobs run in-process."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest


@pytest.fixture
def ft(make_competition: Any, make_school: Any, make_user: Any) -> SimpleNamespace:
    from aigc_contest.web.contests.roles_services import make_creator_owner
    from aigc_contest.web.entries import services

    competition, category, theme = make_competition("wukong", levels=("primary",), work_types=("finetuned_model",))
    school = make_school("school-a")
    teacher = make_user("teacher.a", "teacher", school)
    student, teammate = make_user("amy", "student", school), make_user("ben", "student", school)
    classmate = make_user("cat", "student", school)
    organiser = make_user("org", "organiser")
    make_creator_owner(organiser, competition)
    team = services.create_team(teacher, category, name="Painters", members=[student, teammate])
    entry = services.start_entry(student, team, title="Ink dragons", work_type="finetuned_model", theme=theme)
    return SimpleNamespace(competition=competition, category=category, entry=entry, team=team, student=student,
                           teammate=teammate, classmate=classmate, teacher=teacher, organiser=organiser)


def write_models_file(folder: Path, image_path: str) -> Path:
    models = folder / "models.toml"
    models.write_text(
        '[[models]]\nname = "wukong-tiny"\nkind = "image"\nbackend = "diffusers"\n'
        f'path = "{image_path}"\nlanguages = ["en", "zh-Hans", "zh-Hant"]\ntest_model = true\n'
        'options = { device = "cpu" }\n'
        '[[models]]\nname = "other-image"\nkind = "image"\nbackend = "diffusers"\n'
        f'path = "{image_path}"\ntest_model = true\n',
        encoding="utf-8",
    )
    return models


@pytest.fixture
def models_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Names only: for the tests that never load the weights."""
    models = write_models_file(tmp_path, (tmp_path / "no-weights-here").as_posix())
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    return models


@pytest.fixture
def jobs_in_process(settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.AIGC_FINETUNE_CHECKPOINTS = str(tmp_path / "checkpoints")
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0, "quotas": {}}
    return settings.AIGC_JOBS


def picture(seed: int, size: tuple[int, int] = (96, 80)) -> bytes:
    """A picture of its own (random blocks from `seed`), so different seeds are not near-duplicates."""
    import random

    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (8, 8))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64)])
    image = image.resize(size, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def resized(data: bytes, size: tuple[int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").resize(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None) -> bytes:
    """A safetensors file from the format rules (zero-filled F32 tensors)."""
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + 4 * count]}
        offset += 4 * count
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + b"\0" * offset


def lora_tensors(rank: int = 4, prefix: str = "unet", dim: int = 32) -> dict[str, tuple[str, list[int]]]:
    tensors: dict[str, tuple[str, list[int]]] = {}
    for layer in ("to_q", "to_k", "to_v", "to_out.0"):
        module = f"{prefix}.down_blocks.0.attentions.0.transformer_blocks.0.attn1.{layer}"
        tensors[f"{module}.lora.down.weight"] = ("F32", [rank, dim])
        tensors[f"{module}.lora.up.weight"] = ("F32", [dim, rank])
    return tensors
