"""The pure planner core: `build_plan(desired, observed)` -> `Plan` -> text / markdown / json.

    plan = build_plan(desired, observed, targets=("tulu3/8B-*",))
    print(render_text(plan))
    saved = render_json(plan)            # == plan.to_json()
    assert Plan.from_json(saved) == plan
"""

from __future__ import annotations

# Re-exports; the change kinds come whole with the model (no list of names to keep in sync).
from release.plan.diff import build_plan as build_plan
from release.plan.fingerprint import fingerprint_of as fingerprint_of
from release.plan.fingerprint import stale_addresses as stale_addresses
from release.plan.model import *  # noqa: F403
from release.plan.render import render_json as render_json
from release.plan.render import render_markdown as render_markdown
from release.plan.render import render_text as render_text
