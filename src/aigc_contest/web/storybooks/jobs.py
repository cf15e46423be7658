"""The `storybook.text` job kind: one writing step of the storybook pipeline (outline, character sheet, page
texts, or one page again). Pictures are ordinary `image` jobs.

Like every runner, this one takes plain data (the plan and the book as JSON in the job's parameters) and
returns plain data (the new plan, book or page); `services.sync_work` puts the result into the book.
"""

from __future__ import annotations

from typing import Any

from aigc_contest.web.jobs.kinds import (
    SAFETY_POLICY_PARAM,
    JobFailure,
    JobKind,
    JobOutput,
    Progress,
    RunContext,
    register,
    safety_policy_of,
)

TEXT_KIND = "storybook.text"
TEXT_STEPS = ("outline", "characters", "pages", "page_text")


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from pydantic import ValidationError

    from aigc_contest.works.storybook.model import Storybook
    from aigc_contest.works.storybook.pipeline import StoryPlan

    step = params.get("step")
    if step not in TEXT_STEPS:
        raise JobFailure(f"unknown storybook step {step!r}")
    try:
        StoryPlan.model_validate(params.get("plan"))
        if step == "page_text":
            book = Storybook.model_validate(params.get("book"))
            book.page(str(params.get("page_id")))
        if params.get(SAFETY_POLICY_PARAM):
            safety_policy_of(params)
    except (ValidationError, ValueError) as exc:
        raise JobFailure("This storybook step cannot be started.", detail=str(exc)) from exc
    return dict(params), ""


def _run_one(params: dict[str, Any], progress: Progress) -> JobOutput:
    from aigc_contest.works.storybook import pipeline
    from aigc_contest.works.storybook.model import Storybook

    plan = pipeline.StoryPlan.model_validate(params["plan"])
    generator = pipeline.Generator(policy=safety_policy_of(params))  # the school's settings, None for the default
    step = params["step"]
    progress(0.05, "writing")
    if step == "outline":
        return JobOutput(result={"plan": pipeline.make_outline(plan, generator).model_dump(mode="json")})
    if step == "characters":
        return JobOutput(result={"plan": pipeline.make_character_sheet(plan, generator).model_dump(mode="json")})
    if step == "pages":
        plan, book = pipeline.make_page_texts(plan, generator)
        return JobOutput(result={"plan": plan.model_dump(mode="json"), "book": book.model_dump(mode="json")})
    book = Storybook.model_validate(params["book"])
    page_id = str(params["page_id"])
    rewritten = pipeline.regenerate_page_text(book, page_id, generator, model=plan.brief.text_model,
                                              instruction=str(params.get("instruction") or "")[:300],
                                              seed=params.get("seed"))  # fmt: skip
    return JobOutput(result={"page": rewritten.page(page_id).model_dump(mode="json", exclude={"image", "candidates"})})


def run_text_steps(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    outcomes: list[JobOutput | Exception] = []
    for context in contexts:
        try:
            outcomes.append(_run_one(context.params, progress))
        except Exception as exc:  # noqa: BLE001 - reported for this job only; the runner words it for the child
            outcomes.append(exc)
    return outcomes


register(JobKind(TEXT_KIND, run_text_steps, queue="gpu", prepare=_prepare, label="storybook writing"))
