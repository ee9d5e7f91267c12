"""Renderer tests: expected output pinned inline (huggingface_hub's test_cli_output style)."""

from __future__ import annotations

import json

from sample_plans import new_repo_plan, risky_plan

from release.plan import Plan, render_json, render_markdown, render_text
from release.plan.model import CommitFiles, DeleteRepo, FileOperation, UpdateCard

RISKY_TEXT = """\
!!! This plan DESTROYS 3 objects, PUBLISHES 1 object and UNGATES 1 object:
!!!   ~ files:org/Tulu-8B@main  commit on main: +1 file, ~1 file, -1 file, 16.0 GB to upload, parent cccccccccccc  [destroys]
!!! -/+ tag:org/Tulu-8B@v1.0    MOVE tag v1.0: dddddddddddd -> main (its head after this plan's commit)  [destroys, moves-tag]
!!!   ~ settings:org/Tulu-8B    gating: manual -> off  [ungates]
!!!   ~ settings:org/Tulu-8B    visibility: private -> public  [publishes, drift]
!!!   - repo:org/Tulu-old       DELETE PUBLIC repo and all its revisions (family tulu, variant old)  [destroys]

Changes made outside release (drift); this plan restores the configuration:
    ~ settings:org/Tulu-8B    visibility was set to private outside release

release will perform the following actions (+ create, ~ update, - destroy, -/+ replace):

  # org/Tulu-8B
    ~ card:org/Tulu-8B        README.md: 2 metadata change(s), body +1 -1 line(s)
          - license: mit
          + license: apache-2.0
          + pipeline_tag: text-generation
          --- a/README.md
          +++ b/README.md
          @@ -1,3 +1,3 @@
           # Tulu 8B

          -Old intro.
          +New intro.
    ~ files:org/Tulu-8B@main  commit on main: +1 file, ~1 file, -1 file, 16.0 GB to upload, parent cccccccccccc  [destroys]
          ~ config.json (100 B -> 120 B)
          + model.safetensors (16.0 GB)
          - old.bin (10 B)
  -/+ tag:org/Tulu-8B@v1.0    MOVE tag v1.0: dddddddddddd -> main (its head after this plan's commit)  [destroys, moves-tag]
    ~ settings:org/Tulu-8B    gating: manual -> off  [ungates]
    ~ settings:org/Tulu-8B    visibility: private -> public  [publishes, drift]

  # org/Tulu-old
    - repo:org/Tulu-old       DELETE PUBLIC repo and all its revisions (family tulu, variant old)  [destroys]

Notices (reported, not acted on):
    ! repo:org/Taken  unmanaged-collision: org/Taken exists on the Hub but is not managed by release; left alone.

Plan: 1 to add, 4 to change, 3 to destroy.
"""

RISKY_MARKDOWN = """\
## release plan: 1 to add, 4 to change, 3 to destroy

> [!CAUTION]
> This plan **DESTROYS 3 objects, PUBLISHES 1 object and UNGATES 1 object**. Review these first.

| | Address | Risk | What |
|---|---|---|---|
| `~` | `files:org/Tulu-8B@main` | destroys | commit on main: +1 file, ~1 file, -1 file, 16.0 GB to upload, parent cccccccccccc |
| `-/+` | `tag:org/Tulu-8B@v1.0` | destroys, moves-tag | MOVE tag v1.0: dddddddddddd -> main (its head after this plan's commit) |
| `~` | `settings:org/Tulu-8B` | ungates | gating: manual -> off |
| `~` | `settings:org/Tulu-8B` | publishes, drift | visibility: private -> public |
| `-` | `repo:org/Tulu-old` | destroys | DELETE PUBLIC repo and all its revisions (family tulu, variant old) |

### Changes made outside release (drift)

This plan restores the configuration:

- `~` `settings:org/Tulu-8B`: visibility was set to private outside release

### Changes

| | Address | Flags | What |
|---|---|---|---|
| `~` | `card:org/Tulu-8B` |  | README.md: 2 metadata change(s), body +1 -1 line(s) |
| `~` | `files:org/Tulu-8B@main` | destroys | commit on main: +1 file, ~1 file, -1 file, 16.0 GB to upload, parent cccccccccccc |
| `-/+` | `tag:org/Tulu-8B@v1.0` | destroys, moves-tag | MOVE tag v1.0: dddddddddddd -> main (its head after this plan's commit) |
| `~` | `settings:org/Tulu-8B` | ungates | gating: manual -> off |
| `~` | `settings:org/Tulu-8B` | publishes, drift | visibility: private -> public |
| `-` | `repo:org/Tulu-old` | destroys | DELETE PUBLIC repo and all its revisions (family tulu, variant old) |

### Details

<details><summary><code>card:org/Tulu-8B</code>: README.md: 2 metadata change(s), body +1 -1 line(s)</summary>

```diff
- license: mit
+ license: apache-2.0
+ pipeline_tag: text-generation
--- a/README.md
+++ b/README.md
@@ -1,3 +1,3 @@
 # Tulu 8B

-Old intro.
+New intro.
```

</details>

<details><summary><code>files:org/Tulu-8B@main</code>: commit on main: +1 file, ~1 file, -1 file, 16.0 GB to upload, parent cccccccccccc</summary>

```diff
~ config.json (100 B -> 120 B)
+ model.safetensors (16.0 GB)
- old.bin (10 B)
```

</details>

### Notices (reported, not acted on)

- `repo:org/Taken`: unmanaged-collision: org/Taken exists on the Hub but is not managed by release; left alone.

<sub>plan format 2.3 · Hub requests while planning: 7</sub>
"""


def test_text_pinned() -> None:
    assert render_text(risky_plan()) == RISKY_TEXT


def test_markdown_pinned() -> None:
    assert render_markdown(risky_plan()) == RISKY_MARKDOWN


def test_empty_plan() -> None:
    assert render_text(Plan()) == "No changes. The Hub matches the configuration.\n"
    assert render_markdown(Plan(requests=4)) == (
        "## release plan: no changes\n\n"
        "No changes. The Hub matches the configuration.\n\n"
        "<sub>plan format 2.3 · Hub requests while planning: 4</sub>\n")


def test_summary_line_counts_like_terraform() -> None:
    # MoveTag is a replace: one to add and one to destroy. The commit that prunes old.bin is
    # a change and a destroy: every deletion is counted, as in the `!!!` header.
    last = render_text(risky_plan()).splitlines()[-1]
    assert last == "Plan: 1 to add, 4 to change, 3 to destroy."
    assert render_text(risky_plan()).startswith("!!! This plan DESTROYS 3 objects,")
    assert render_text(new_repo_plan()) == (
        "release will perform the following actions (+ create, ~ update, - destroy, -/+ replace):\n"
        "\n"
        "  # org/New\n"
        "    + repo:org/New    create model repo, private (family tulu, variant 8B)\n"
        "    + tag:org/New@v1  tag v1 -> main (its head after this plan's commit)\n"
        "\n"
        "Plan: 2 to add, 0 to change, 0 to destroy.\n")


def test_color_only_when_asked() -> None:
    plain = render_text(risky_plan())
    colored = render_text(risky_plan(), color=True)
    assert "\x1b[" not in plain
    assert colored.startswith("\x1b[1m\x1b[31m!!! This plan DESTROYS 3 objects, PUBLISHES 1 "
                              "object and UNGATES 1 object:\x1b[0m\n")
    assert "\x1b[1m\x1b[31m    - repo:org/Tulu-old" in colored
    # Stripping the colour gives back the plain text.
    import re
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


def test_targeted_plan_says_so() -> None:
    plan = Plan(changes=new_repo_plan().changes, targets=("org/New",))
    assert render_text(plan).startswith(
        "Warning: targeted plan (org/New): other changes may be pending.\n")
    assert "> [!WARNING]\n> Targeted plan (org/New)" in render_markdown(plan)


def _huge_plan(repos: int = 3000) -> Plan:
    """Thousands of card diffs and commits, with one destroy at the very end."""
    changes: list = []
    for index in range(repos):
        repo = f"org/model-{index:05d}"
        changes.append(UpdateCard(
            repo_id=repo, old_text="# old\n" + "line\n" * 20, new_text="# new\n" + "row\n" * 20,
            old_oid="a" * 40, new_oid="b" * 40, parent_commit="c" * 40))
        changes.append(CommitFiles(repo_id=repo, branch="main", parent_commit="c" * 40,
                                   operations=(FileOperation(path="w.bin", op="add", size=9),)))
    changes.append(DeleteRepo(repo_id="org/zz-last", family="f", variant="v"))
    return Plan(changes=tuple(changes), requests=3001)


def test_markdown_truncates_under_the_github_limit() -> None:
    plan = _huge_plan()
    full = render_markdown(plan, max_chars=10**9)
    assert len(full) > 1_000_000  # the test would prove nothing with a small plan
    text = render_markdown(plan)
    assert len(text) <= 65536
    assert text.startswith("## release plan: 0 to add, 6000 to change, 1 to destroy\n")
    # The destroy, last in the plan, is still shown up front; details went first.
    assert "| `-` | `repo:org/zz-last` | destroys |" in text.split("### Changes")[0]
    assert "> [!NOTE]\n> Truncated to fit 65,536 characters: omitted 6000 detail block(s), " \
        in text
    assert "more changes, see the JSON plan |" in text
    assert text.rstrip().endswith("Hub requests while planning: 3001</sub>")


def test_markdown_truncation_keeps_details_when_they_fit() -> None:
    plan = risky_plan()
    limit = len(RISKY_MARKDOWN) - 1
    text = render_markdown(plan, max_chars=limit)
    assert len(text) <= limit
    assert "Truncated" in text and "detail block(s)" in text
    assert "| `-` | `repo:org/Tulu-old` | destroys |" in text


def test_markdown_never_exceeds_tiny_limits() -> None:
    for limit in (0, 10, 200, 700, 1500):
        assert len(render_markdown(risky_plan(), max_chars=limit)) <= limit


def test_json_round_trip_and_deterministic_bytes() -> None:
    plan = risky_plan()
    text = render_json(plan)
    assert text == plan.to_json()
    again = Plan.from_json(text)
    assert again == plan
    assert again.to_json() == text
    # Insertion order of fingerprints does not leak into the bytes.
    shuffled = Plan(changes=plan.changes, notices=plan.notices, requests=plan.requests,
                    fingerprints=dict(reversed(list(plan.fingerprints.items()))))
    assert shuffled.to_json() == text


def test_json_shape() -> None:
    data = json.loads(render_json(risky_plan()))
    assert data["format_version"] == "2.3"
    assert data["requests"] == 7
    assert data["summary"] == {"add": 1, "change": 4, "destroy": 3, "move": 0, "destroys": 3,
                               "publishes": 1, "unpublishes": 0, "gates": 0, "ungates": 1,
                               "moves-tag": 1, "drift": 1, "notices": 1, "blocked": 0}
    visibility = data["changes"][4]
    assert visibility == {
        "kind": "set_visibility", "address": "settings:org/Tulu-8B", "action": "update",
        "flags": ["publishes", "drift"], "drift": True,
        "reason": "visibility was set to private outside release",
        "before": {"visibility": "private"}, "after": {"visibility": "public"},
        "fields": {"repo_id": "org/Tulu-8B", "old": "private", "new": "public"}}
    card = data["changes"][0]
    assert card["metadata_changes"][0] == {"key": "license", "action": "change", "old": "mit",
                                           "new": "apache-2.0"}
    assert card["body_diff"].endswith("-Old intro.\n+New intro.")
    assert data["fingerprints"]["tag:org/Tulu-8B@v1.0"] == {"target": "d" * 40}
    assert list(data["fingerprints"]) == sorted(data["fingerprints"])


def test_repos_sort_naturally_in_plans_and_status() -> None:
    """`7B` before `70B`, `1B` before `10B` (issue 16): digit runs read as numbers."""
    from plancase import load_desired, load_observed

    from release.plan.diff import build_plan
    from release.status import build_status
    from release.status import render_text as render_status

    spec = {"repos": [{"id": f"org/M-{size}"} for size in ("70B", "10B", "7B", "1B")]}
    desired, parts = load_desired(spec)
    observed = load_observed({}, desired, parts)
    plan = build_plan(desired, observed)
    expected = ["org/M-1B", "org/M-7B", "org/M-10B", "org/M-70B"]
    text = render_text(plan)
    headers = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("# ")]
    assert headers == expected, text
    markdown = render_markdown(plan)
    assert [markdown.index(f"`repo:{repo}`") for repo in expected] == sorted(
        markdown.index(f"`repo:{repo}`") for repo in expected)
    status = render_status(build_status(desired, observed, plan))
    assert [status.index(repo) for repo in expected] == sorted(status.index(r) for r in expected)
