"""Render a Plan as text (terminal), Markdown (PR comment, step summary) or JSON (saved plan).

Renderers return strings; only the CLI prints. Reviewers read risk first: the text and Markdown
outputs open with what the plan destroys and publishes, show drift (changes made outside
release) apart from what the config asks for, and end with Terraform's summary line.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from release.plan.describe import SYMBOLS, Details, Summary
from release.plan.model import LOUD_FLAGS, RISKY_FLAGS, Change, Notice, Plan

NO_CHANGES = "No changes. The Hub matches the configuration."


def no_changes(plan: Plan) -> str:
    """The last line of a plan without changes: in sync, or drift the config does not undo."""
    drift = len(plan.drift_notices)
    if not drift:
        return NO_CHANGES
    return (f"No changes to apply, but {drift} object{'s' if drift != 1 else ''} changed "
            "outside release (the notices marked 'changed outside release'); the config does "
            "not let release restore them.")

_RESET, _BOLD, _RED, _GREEN, _YELLOW, _MAGENTA = (
    "\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m")
_ACTION_COLOR = {"create": _GREEN, "update": _YELLOW, "delete": _RED, "replace": _MAGENTA}


def _moved(plan: Plan) -> str:
    """` (1 repo moved)` after the change count (a move is a change), or nothing."""
    moves = plan.counts.move
    return f" ({moves} repo{'s' if moves != 1 else ''} moved)" if moves else ""


def summary_line(plan: Plan) -> str:
    counts = plan.counts
    return (f"Plan: {counts.add} to add, {counts.change} to change{_moved(plan)}, "
            f"{counts.destroy} to destroy.")


def _risky(plan: Plan) -> list[Change]:
    return list(plan.risky)


def _risk_words(plan: Plan) -> str:
    parts = []
    for flag in RISKY_FLAGS:
        count = len(plan.flagged(flag))
        if count:
            parts.append(f"{flag.upper()} {count} object{'s' if count != 1 else ''}")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


# --------------------------------------------------------------------------------------------
# Text


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{_RESET}" if self.color and codes else text


def render_text(plan: Plan, color: bool = False) -> str:
    """A Terraform-like plan for a terminal: `+ ~ - -/+`, grouped per repo, the summary last."""
    paint = _Paint(color)
    summary, details = Summary(), Details()
    width = min(60, max((len(c.address) for c in plan.changes), default=0))
    out: list[str] = []

    def line(change: Change | Notice, symbol: str, indent: str = "  ") -> str:
        flags = list(getattr(change, "flags", ()))
        tag = f"  [{', '.join(flags)}]" if flags else ""
        text = f"{indent}{symbol:>3} {change.address:<{width}}  {summary.visit(change)}{tag}"
        codes: tuple[str, ...] = (_ACTION_COLOR.get(change.action, ""),)
        if any(f in LOUD_FLAGS for f in flags):
            codes = (_BOLD, _RED)
        return paint(text, *codes)

    if plan.targets:
        out += [paint(f"Warning: targeted plan ({', '.join(plan.targets)}): other changes may "
                      "be pending.", _YELLOW), ""]
    if plan.blocked:
        out.append(paint("Blocked: apply refuses this plan until the config or the Hub "
                         "changes:", _BOLD, _RED))
        out += [paint(f"  x {n.address}  {n.code}: {n.message}", _RED) for n in plan.blocked]
        out.append("")
    risky = _risky(plan)
    if risky:
        out.append(paint(f"!!! This plan {_risk_words(plan)}:", _BOLD, _RED))
        out += [line(c, SYMBOLS[c.action], indent="!!! ") for c in risky]
        out.append("")
    if plan.drift:
        out.append(paint("Changes made outside release (drift); this plan restores the "
                         "configuration:", _BOLD, _YELLOW))
        out += [f"  {SYMBOLS[c.action]:>3} {c.address:<{width}}  {c.reason}" for c in plan.drift]
        out.append("")
    resumed = [c for c in plan.changes if c.reason and not c.drift]
    if resumed:
        out.append(paint("Resuming an earlier apply that was stopped before it finished:",
                         _BOLD))
        out += [f"  {SYMBOLS[c.action]:>3} {c.address:<{width}}  {c.reason}" for c in resumed]
        out.append("")
    if plan.changes:
        out.append("release will perform the following actions "
                   "(+ create, ~ update, - destroy, -/+ replace):")
        group = None
        for change in plan.changes:
            if change.group != group:
                group = change.group
                out += ["", f"  # {group}"]
            out.append(line(change, SYMBOLS[change.action]))
            out += [f"{' ' * 10}{d}" for d in details.visit(change)]
        out.append("")
    told = [n for n in plan.notices if not n.blocks]
    if told:
        out.append("Notices (reported, not acted on):")
        for notice in told:
            drift = " (changed outside release)" if notice.drift else ""
            out.append(f"    ! {notice.address}  {summary.visit(notice)}{drift}")
        out.append("")
    out.append(paint(summary_line(plan), _BOLD) if plan.has_changes else no_changes(plan))
    return "\n".join(line.rstrip() for line in "\n".join(out).split("\n")) + "\n"


# --------------------------------------------------------------------------------------------
# Markdown


def _code(text: str) -> str:
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(lines: Sequence[str], lang: str = "diff") -> str:
    body = "\n".join(lines)
    fence = "```"
    while fence in body:
        fence += "`"
    return f"{fence}{lang}\n{body}\n{fence}\n"


@dataclass
class _Section:
    """A heading and items, of which the first `keep` are shown; the rest are counted."""

    heading: str
    items: list[str]
    more: str  # format with {n}
    keep: int = -1
    lengths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.keep = len(self.items)
        self.lengths = [len(item) for item in self.items]

    def more_line(self, omitted: int) -> str:
        return self.more.format(n=omitted) if omitted else ""

    def size(self, keep: int | None = None) -> int:
        keep = self.keep if keep is None else keep
        if not self.items:
            return 0
        return (len(self.heading) + sum(self.lengths[:keep])
                + len(self.more_line(len(self.items) - keep)))

    def render(self) -> str:
        if not self.items:
            return ""
        return self.heading + "".join(self.items[:self.keep]) + self.more_line(
            len(self.items) - self.keep)

    @property
    def omitted(self) -> int:
        return len(self.items) - self.keep


def _row(change: Change, summary: Summary) -> str:
    return (f"| `{SYMBOLS[change.action]}` | {_code(change.address)} | "
            f"{', '.join(change.flags)} | {_cell(summary.visit(change))} |\n")


def _details_block(change: Change, lines: list[str], summary: Summary) -> str:
    # Inside <summary> Markdown is not reliably rendered: HTML, escaped.
    return (f"\n<details><summary><code>{html.escape(change.address)}</code>: "
            f"{html.escape(summary.visit(change))}</summary>\n\n{_fence(lines)}\n"
            "</details>\n")


def render_markdown(plan: Plan, max_chars: int = 65536) -> str:
    """A PR comment / step summary: counts, then destroys and publishes, then the rest collapsed.

    Never longer than `max_chars` (GitHub's comment limit): detail blocks go first, then change
    rows, notices and drift lines; the counts and the risky items are kept as long as possible,
    and the output says what was left out.
    """
    summary, details = Summary(), Details()
    counts = plan.counts
    if plan.has_changes:
        head = (f"## release plan: {counts.add} to add, {counts.change} to change"
                f"{_moved(plan)}, {counts.destroy} to destroy\n\n")
    else:
        head = f"## release plan: no changes\n\n{no_changes(plan)}\n\n"
    if plan.blocked:
        head += ("> [!CAUTION]\n> **Blocked**: apply refuses this plan until the config or "
                 "the Hub changes:\n"
                 + "".join(f"> - {_code(n.address)} {n.code}: {_cell(n.message)}\n"
                           for n in plan.blocked) + "\n")
    risky = _risky(plan)
    if risky:
        head += f"> [!CAUTION]\n> This plan **{_risk_words(plan)}**. Review these first.\n\n"
    if plan.targets:
        head += (f"> [!WARNING]\n> Targeted plan ({_cell(', '.join(plan.targets))}): other "
                 "changes may be pending.\n\n")
    sections = {
        "risky": _Section("| | Address | Risk | What |\n|---|---|---|---|\n",
                          [_row(c, summary) for c in risky],
                          "| | … | | {n} more risky changes, see the JSON plan |\n"),
        "drift": _Section("\n### Changes made outside release (drift)\n\nThis plan restores "
                          "the configuration:\n\n",
                          [f"- `{SYMBOLS[c.action]}` {_code(c.address)}: {_cell(c.reason)}\n"
                           for c in plan.drift],
                          "- … and {n} more\n"),
        "changes": _Section("\n### Changes\n\n| | Address | Flags | What |\n|---|---|---|---|\n",
                            [_row(c, summary) for c in plan.changes],
                            "| | … | | {n} more changes, see the JSON plan |\n"),
        "details": _Section("\n### Details\n",
                            [_details_block(c, lines, summary) for c in plan.changes
                             if (lines := details.visit(c))],
                            "\n_{n} more detail blocks omitted._\n"),
        "notices": _Section("\n### Notices (reported, not acted on)\n\n",
                            [f"- {_code(n.address)}: {_cell(summary.visit(n))}"
                             f"{' (changed outside release)' if n.drift else ''}\n"
                             for n in plan.notices if not n.blocks],
                            "- … and {n} more notices\n"),
    }
    # One blank line before the footer whatever precedes it (counted in `total`).
    foot = f"\n<sub>plan format {plan.format_version} · Hub requests while planning: " \
           f"{plan.requests}</sub>\n"
    order = ("risky", "drift", "changes", "details", "notices")
    # Truncation note budget: reserved only when something is dropped.
    note_budget = 400

    def total(reserve: int) -> int:
        return len(head) + sum(s.size() for s in sections.values()) + len(foot) + reserve

    if total(0) > max_chars:
        for name in ("details", "changes", "notices", "drift", "risky"):
            section = sections[name]
            while section.keep > 0 and total(note_budget) > max_chars:
                section.keep -= 1
        omitted = [f"{s.omitted} {label}" for label, s in (
            ("detail block(s)", sections["details"]), ("change row(s)", sections["changes"]),
            ("notice(s)", sections["notices"]), ("drift line(s)", sections["drift"]),
            ("risky change row(s)", sections["risky"])) if s.omitted]
        head += (f"> [!NOTE]\n> Truncated to fit {max_chars:,} characters: omitted "
                 f"{', '.join(omitted)}. The complete plan is in `release plan --format json` "
                 "or the saved plan file.\n\n")
    body = head + "".join(sections[name].render() for name in order)
    text = body.rstrip("\n") + "\n" + foot
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if len(text) > max_chars:  # only with an absurdly small limit: cut, and say so
        cut = "\n\n_[truncated]_\n"
        text = text[:max(0, max_chars - len(cut))] + cut
        text = text[:max_chars]
    return text


# --------------------------------------------------------------------------------------------
# JSON


def render_json(plan: Plan) -> str:
    """The versioned, deterministic JSON plan (what `plan -o FILE` saves and apply reads)."""
    return plan.to_json()
