"""The `novel.text` job kind: the text model writes a whole first draft (graph, then passages) or one part
of a story again. Pictures are ordinary `image` jobs.

Like every runner, this one takes plain data (settings, and the story as JSON for one part) and returns
plain data (the novel JSON, or one passage); `services.sync_jobs` puts the result into the story.
"""

from __future__ import annotations

from typing import Any

from aigc_contest.web.jobs.kinds import (
    JobFailure,
    JobKind,
    JobOutput,
    Progress,
    RunContext,
    register,
    safety_policy_of,
)

TEXT_KIND = "novel.text"
TEXT_STEPS = ("draft", "node_text")


def _prepare(params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    from aigc_contest.generation.registry import RegistryError, shared_registry
    from aigc_contest.works.novel.generate import MAX_NODES, MIN_NODES
    from aigc_contest.works.novel.model import Novel, NovelFormatError

    params = dict(params)
    step = params.get("step")
    if step not in TEXT_STEPS:
        raise JobFailure(f"unknown novel step {step!r}")
    if not isinstance(params.get("theme"), str):
        raise JobFailure("This writing step cannot be started.", detail="theme must be text")
    try:
        params["model"] = shared_registry().resolve(params.get("model") or None, "text").name
    except RegistryError as exc:
        raise JobFailure("No writing model is set up on this site.", detail=str(exc)) from exc
    if step == "draft":
        nodes = params.get("nodes")
        if not isinstance(nodes, int) or isinstance(nodes, bool) or not MIN_NODES <= nodes <= MAX_NODES:
            raise JobFailure("This writing step cannot be started.", detail=f"nodes must be {MIN_NODES}..{MAX_NODES}")
    else:
        try:
            Novel.from_data(params.get("document")).node(str(params.get("node")))
        except (NovelFormatError, KeyError) as exc:
            raise JobFailure("This writing step cannot be started.", detail=str(exc)) from exc
    return params, ""


def _run_one(params: dict[str, Any], progress: Progress) -> JobOutput:
    from aigc_contest.generation.registry import shared_registry
    from aigc_contest.works.novel.generate import (
        GenerationSettings,
        generate_novel,
        regenerate_node,
        settings_for_document,
    )
    from aigc_contest.works.novel.model import Novel

    backend = shared_registry().text_backend(params["model"])
    seed = params.get("seed")
    progress(0.02, "writing")
    if params["step"] == "draft":
        settings = GenerationSettings(model=params["model"], theme=params["theme"], language=params.get("language", "en"),
                                      nodes=params["nodes"], seed=seed, policy=safety_policy_of(params))  # fmt: skip

        def on_progress(done: int, total: int, what: str) -> None:
            progress(done / max(total, 1), what)

        report = generate_novel(backend, settings, on_progress)
        return JobOutput(result={"document": report.novel.model_dump(mode="json", exclude_none=True),
                                 "report": report.to_dict()})  # fmt: skip
    novel = Novel.from_data(params["document"])
    node_id = str(params["node"])
    settings = settings_for_document(params["model"], params["theme"], novel, seed, safety_policy_of(params))
    story = regenerate_node(backend, settings, novel, node_id)
    return JobOutput(result={"node": node_id, "text": story.node(node_id).text})


def run_text_steps(contexts: list[RunContext], progress: Progress) -> list[JobOutput | Exception]:
    outcomes: list[JobOutput | Exception] = []
    for context in contexts:
        try:
            outcomes.append(_run_one(context.params, progress))
        except Exception as exc:  # noqa: BLE001 - reported for this job only; the runner words it for the child
            outcomes.append(exc)
    return outcomes


register(JobKind(TEXT_KIND, run_text_steps, queue="gpu", prepare=_prepare, label="story writing"))
