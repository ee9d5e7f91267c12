"""The pipeline the commands share: config -> desired state -> observe the Hub -> plan.

Kept out of cli.py so the CLI stays a thin printer, and so tests and the benchmark can run the
exact same steps in-process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.state import DesiredState


@dataclass(frozen=True)
class Project:
    """Where a config lives and where the tool keeps its local state (caches, local hub)."""

    config_dir: Path

    @property
    def root(self) -> Path:
        return self.config_dir.resolve().parent

    @property
    def state_dir(self) -> Path:
        return self.root / ".release"


@dataclass
class Desired:
    config: Any  # release.config.schema.ReleaseConfig
    state: DesiredState
    bytes_hashed: int = 0
    files_hashed: int = 0
    warnings: tuple[Any, ...] = ()  # release.desired.StructureWarning: shown as plan notices


def load_desired(project: Project, overrides: Sequence[str], *, scan: bool = True) -> Desired:
    """Compose and expand the config; with `scan`, hash the checkpoint folders it names."""
    from release.config.load import load_config
    from release.desired import expand, expand_with_warnings

    config = load_config(project.config_dir, list(overrides))
    if not scan:
        return Desired(config, expand(config, base_dir=project.root))
    from release.artifacts import HashCache, scan_folder

    with HashCache(project.state_dir / "cache" / "hashes.json") as cache:
        def scan_artifacts(folder: Path, include: tuple[str, ...],
                           ignore: tuple[str, ...]) -> Any:
            return scan_folder(folder, include, ignore, cache)

        expansion = expand_with_warnings(config, base_dir=project.root,
                                         scan_artifacts=scan_artifacts)
        stats = cache.stats
    return Desired(config, expansion.state, bytes_hashed=stats.bytes_hashed,
                   files_hashed=stats.files_hashed, warnings=expansion.warnings)


@contextmanager
def hub_session(project: Project, config: Any) -> Iterator[Any]:
    """A HubSession for the config's `hub` section; the local hub's data lives in the project."""
    from release.hub.client import connect

    hub = config.hub
    data_dir = Path(hub.data_dir)
    if not data_dir.is_absolute():
        data_dir = project.root / data_dir
    kind = getattr(hub.kind, "value", hub.kind)
    with connect(str(kind), hub.endpoint, hub.token_env, data_dir=data_dir,
                 cache_dir=project.state_dir / "cache") as session:
        yield session


def observe(session: Any, desired: DesiredState) -> Any:
    """The ObservedState of the Hub for `desired`, with the number of requests it took."""
    from release.hub.observe import HubReader, ShaCache

    before = session.meter.total
    reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
    observed = reader.observe(desired)
    return dataclasses.replace(observed, requests=session.meter.total - before)


def make_plan(session: Any, desired: DesiredState, targets: Sequence[str] = (),
              warnings: Sequence[Any] = ()) -> Any:
    """Observe the Hub and diff it against `desired` -> Plan.

    `warnings` (expansion's `StructureWarning`s) become notices with code `structure`: a
    notice is in the plan's JSON, text and PR comment alike, which a reviewer needs to see
    before approving a release of an incomplete checkpoint; the plan format stays 1.x (notice
    codes are an open set).
    """
    from release.plan import build_plan

    observed = observe(session, desired)
    plan = build_plan(desired, observed, targets=tuple(targets))
    plan = dataclasses.replace(plan, hub=session.hub_id, identity=observed.identity)
    if not warnings:
        return plan
    return with_structure_notices(plan, warnings, desired, observed)


def status_report(session: Any, desired: Desired) -> Any:
    """`release status`: the Hub's provenance vs the config, with the requests it took."""
    from release.config.variants import resolve_variants
    from release.status import build_status, read_hub

    before = session.meter.total
    snapshot = read_hub(session.api, desired.state, endpoint=session.endpoint)
    snapshot = dataclasses.replace(snapshot, requests=session.meter.total - before)
    order = {(name, variant.key): index for name, family in desired.config.families.items()
             for index, variant in enumerate(resolve_variants(name, family))}
    return build_status(desired.state, snapshot, order)


def with_structure_notices(plan: Any, warnings: Sequence[Any], desired: DesiredState,
                           observed: Any) -> Any:
    """`plan` with a `structure` notice per warning (restricted to the plan's targets)."""
    from release.plan.model import Notice
    from release.plan.targets import Selection

    notices = [Notice(address=w.address, code="structure", message=w.message,
                      repo_id=w.repo_id) for w in warnings]
    if plan.targets:
        _, notices = Selection(plan.targets, desired, observed).restrict([], notices)
    merged = sorted([*plan.notices, *notices], key=lambda n: (n.address, n.code))
    return dataclasses.replace(plan, notices=tuple(merged))



def check_saved_plan(session: Any, plan: Any, config_digest: str, *,
                     allow_config_change: bool = False) -> list[str]:
    """Refuse a saved plan made against another hub, identity or config (before any write);
    returns the warnings to print. Costs one `whoami`."""
    from release.hub.observe import HubReader, ShaCache
    from release.plan.saved import Here, check_bound

    reader = HubReader(session.api, ShaCache(None), endpoint=session.endpoint)
    here = Here(hub=session.hub_id, identity=reader.whoami(), config_digest=config_digest)
    return check_bound(plan, here, allow_config_change=allow_config_change)


def apply_plan(session: Any, plan: Any, *, provenance: Any = None, check_stale: bool = True,
               parallelism: int | None = None, stop: Any = None, events: Any = None,
               policy: Any = None) -> Any:
    """Carry `plan` out on the session's Hub -> ApplyResult.

    With `check_stale` (always for a saved plan) the objects the plan fingerprinted are read
    again first, and a StalePlanError naming the ones that changed is raised before any write.
    `provenance` ({repo id: Provenance}, from the desired state) feeds the commit trailers;
    without it they come from the cards the stale check read.
    """
    import threading

    from huggingface_hub.utils import disable_progress_bars

    from release.apply import DEFAULT_PARALLELISM, Applier, ApplyEvents
    from release.apply.runner import check_stale as refuse_if_stale
    from release.hub.observe import HubReader, ShaCache
    from release.hub.write import HubWriter, RetryPolicy

    disable_progress_bars()  # apply reports its own progress; tqdm bars would interleave
    refuse_unwritable(session, plan)
    reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
    found: dict[str, Any] = {}
    if check_stale:
        observed = refuse_if_stale(plan, reader)
        found = {repo_id: repo.provenance for repo_id, repo in observed.repos.items()
                 if repo.provenance is not None}
    writer = HubWriter(session.api, policy or RetryPolicy(), meter=session.meter)
    applier = Applier(plan=plan, writer=writer, tree=reader.tree,
                      provenance={**found, **(provenance or {})},
                      parallelism=parallelism or DEFAULT_PARALLELISM,
                      stop=stop or threading.Event(), events=events or ApplyEvents(),
                      meter=session.meter)
    return applier.run()


def refuse_unwritable(session: Any, plan: Any) -> None:
    """Refuse, before the first write, a plan the token cannot carry out (one `whoami`).

    A read-only token, or a namespace that is neither the token's user nor an org it can write
    to, would otherwise get every write refused by the Hub one by one.
    """
    from release.errors import ReleaseError
    from release.hub.access import write_problems
    from release.hub.errors import to_hub_error

    namespaces = {change.repo_id.split("/", 1)[0] if hasattr(change, "repo_id")
                  else change.namespace for change in plan.changes}
    try:
        whoami = session.api.whoami()
    except Exception as exc:  # noqa: BLE001 - translated, never swallowed
        raise to_hub_error("hub", exc, session.endpoint) from exc
    problems = write_problems(whoami, namespaces)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        source = f" (from {session.token_source})" if session.token_source else ""
        raise ReleaseError(
            f"the token{source} cannot write where this plan writes; nothing was written:\n"
            f"{listed}\nuse a token with write access there: 'hf auth login', or the variable "
            "hub.token_env names")
