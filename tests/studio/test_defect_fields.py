"""Each check of a novel names the field of the part's form it is about, so the editor can mark it."""

from __future__ import annotations

import copy


def test_defects_name_their_field_and_choice() -> None:
    from aigc_contest.web.works.kinds.novel import defect_field, validate_document
    from aigc_contest.web.works.kinds.novel_starter import starter_novel

    story = copy.deepcopy(starter_novel("en"))
    story["variables"] = {"courage": {"type": "int", "initial": 0}}
    story["nodes"][0]["choices"][1]["condition"] = "courage >="  # cannot be read
    story["nodes"][1]["choices"][1]["target"] = "nowhere"
    story["nodes"][2]["choices"] = []  # a dead end
    found = {(d["code"], d["node"]): (d["field"], d["choice"]) for d in validate_document(story)}
    assert found[("condition-syntax", "start")] == ("condition", 1)
    assert found[("missing-target", "left")] == ("target", 1)
    assert found[("dead-end", "right")] == ("ending", None)
    assert defect_field("title-too-long", "title has 300 characters (limit 200)") == ("title", None)
    assert defect_field("undeclared-variable", "choice 2 sets 'luck': not declared") == ("sets", 1)
    assert defect_field("label-too-long", "no number") == ("choices", None)
