"""The pure planner core: `build_plan(desired, observed)` -> `Plan` -> text / markdown / json.

    plan = build_plan(desired, observed, targets=("tulu3/8B-*",))
    print(render_text(plan))
    saved = render_json(plan)            # == plan.to_json()
    assert Plan.from_json(saved) == plan
"""

from __future__ import annotations

from release.plan.diff import build_plan
from release.plan.fingerprint import fingerprint_of, stale_addresses
from release.plan.model import (
    CHANGE_KINDS,
    FORMAT_VERSION,
    AddCollectionItem,
    AnyChange,
    Change,
    CommitFiles,
    ContentCommit,
    CreateBranch,
    CreateCollection,
    CreateRepo,
    CreateTag,
    DeleteBranch,
    DeleteRepo,
    DeleteTag,
    FileOperation,
    MoveTag,
    Notice,
    Plan,
    PlanCounts,
    PlanFormatError,
    PlanVisitor,
    RemoveCollectionItem,
    SetGating,
    SetVisibility,
    UpdateCard,
    UpdateCollection,
    UpdateCollectionItem,
)
from release.plan.render import render_json, render_markdown, render_text

__all__ = [
    "CHANGE_KINDS", "FORMAT_VERSION", "AddCollectionItem", "AnyChange", "Change", "CommitFiles",
    "ContentCommit", "CreateBranch", "CreateCollection", "CreateRepo", "CreateTag",
    "DeleteBranch", "DeleteRepo", "DeleteTag", "FileOperation", "MoveTag", "Notice", "Plan",
    "PlanCounts", "PlanFormatError", "PlanVisitor", "RemoveCollectionItem", "SetGating",
    "SetVisibility", "UpdateCard", "UpdateCollection", "UpdateCollectionItem", "build_plan",
    "fingerprint_of", "render_json", "render_markdown", "render_text", "stale_addresses",
]
