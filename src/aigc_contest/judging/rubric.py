"""A weighted rubric and the formula that turns one judge's criterion scores into one sheet score.

Formula (every sheet = one judge's scores for one entry):

    sheet = 100 * sum_c w_c * (s_c - min_c) / (max_c - min_c)  /  sum_c w_c

Each criterion is first mapped onto [0, 1] by its own range, so a 1–5 criterion and a 0–20 criterion
count only by their weights; the weighted mean is then put on the rubric's common 0–100 scale.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCALE_MIN = 0.0
SCALE_MAX = 100.0


class RubricError(ValueError):
    """The rubric file or object is not usable (message says why)."""


class Criterion(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    weight: float = Field(gt=0)
    min: float
    max: float
    name: str | None = None
    descriptors: dict[str, str] | None = None

    @model_validator(mode="after")
    def _range(self) -> Criterion:
        if not self.max > self.min:
            raise ValueError(f"criterion {self.id!r}: max ({self.max}) must be greater than min ({self.min})")
        return self


class Rubric(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    criteria: list[Criterion] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"duplicate criterion ids: {', '.join(duplicated)}")
        return self

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    def index(self) -> dict[str, int]:
        return {c.id: i for i, c in enumerate(self.criteria)}

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        weights = np.array([c.weight for c in self.criteria], dtype=float)
        lows = np.array([c.min for c in self.criteria], dtype=float)
        highs = np.array([c.max for c in self.criteria], dtype=float)
        return weights, lows, highs

    def normalise(self, matrix: np.ndarray) -> np.ndarray:
        """Criterion scores (rows × criteria, raw units) → the same on 0–100 per criterion."""
        _, lows, highs = self.arrays()
        return SCALE_MAX * (matrix - lows) / (highs - lows)

    def combine(self, matrix: np.ndarray) -> np.ndarray:
        """Criterion scores (rows × criteria, raw units) → sheet scores on 0–100 (formula above)."""
        weights, _, _ = self.arrays()
        return self.normalise(matrix) @ weights / weights.sum()


def load_rubric(path: str | Path) -> Rubric:
    """Read `{"criteria": [{"id", "weight", "min", "max"}, ...]}`; RubricError with the reason otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RubricError(f"rubric file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"cannot read rubric {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise RubricError(f"rubric {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    return parse_rubric(data, source=str(path))


def parse_rubric(data: object, source: str = "rubric") -> Rubric:
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'rubric'}: {err['msg']}" for err in exc.errors()
        )
        raise RubricError(f"{source} is not a valid rubric: {problems}") from exc
