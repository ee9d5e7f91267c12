"""The pipeline the commands share: config -> desired state -> observe the Hub -> plan.

Kept out of cli.py so the CLI stays a thin printer, and so tests and the benchmark can run the
exact same steps in-process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from release.state import DesiredState

if TYPE_CHECKING:  # the seams, typed; imported only by the type checker to keep start-up lazy
    import threading
    from collections.abc import Callable, Mapping

    from release.apply import ApplyEvents, ApplyResult
    from release.apply.content import Copies
    from release.artifacts.lock import Lock
    from release.config.schema import ReleaseConfig
    from release.desired import FolderRevision, StructureWarning
    from release.hub.api import Session
    from release.hub.client import HubSession
    from release.hub.write import RetryPolicy
    from release.plan.model import ContentCommit, Notice, Plan
    from release.state import ObservedFile, ObservedState, Provenance
    from release.status import PublishedRevision, StatusReport
    from release.upstream import UpstreamLag

HASH_CACHE_NAME = "hashes.json"  # in the session's cache dir: what the scan hashed


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

    @property
    def cache_path(self) -> Path:
        return self.state_dir / "cache" / HASH_CACHE_NAME

    @property
    def lock_path(self) -> Path:
        """The lock file, committed beside conf/ (like uv.lock beside pyproject.toml)."""
        from release.artifacts.lock import LOCK_NAME

        return self.root / LOCK_NAME


@dataclass
class Desired:
    config: ReleaseConfig
    state: DesiredState
    bytes_hashed: int = 0
    files_hashed: int = 0
    warnings: tuple[StructureWarning, ...] = ()  # shown as plan notices


def load_desired(project: Project, overrides: Sequence[str], *, scan: bool = True) -> Desired:
    """Compose and expand the config; with `scan`, take checkpoint files from the lock.

    Files come from `release.lock` (a folder that is here must agree with its entry); without a
    lock file, from the folders themselves. Folders are hashed through the hash cache.
    """
    from release.artifacts.lock import read_lock
    from release.desired import expand, expand_with_warnings

    lock = read_lock(project.lock_path)
    config = load_project_config(project, overrides, lock)
    if not scan:
        return Desired(config, expand(config, base_dir=project.root))
    from release.artifacts import HashCache
    from release.artifacts.locked import LockedSource

    with HashCache(project.cache_path) as cache:
        source = LockedSource(project.root, lock, cache, overrides=tuple(overrides))
        expansion = expand_with_warnings(config, base_dir=project.root, artifacts=source)
        source.check_unused(config.families, expansion.state.retired_revisions)
        stats = cache.stats
    return Desired(config, expansion.state, bytes_hashed=stats.bytes_hashed,
                   files_hashed=stats.files_hashed, warnings=expansion.warnings)


def load_project_config(project: Project, overrides: Sequence[str],
                        lock: Lock | None) -> ReleaseConfig:
    """The checked config, with the runs found on disk and those the lock recorded."""
    from release.config.discover import RecordedRun, find_runs
    from release.config.load import load_config

    recorded = [RecordedRun(e.family, e.variant, e.folder, e.run)
                for e in (lock.entries.values() if lock is not None else ()) if e.run is not None]
    return load_config(project.config_dir, list(overrides),
                       find_runs=lambda config: find_runs(config, project.root, recorded))


@dataclass(frozen=True)
class LockResult:
    """What `release lock` did: revisions hashed, kept as they were, and not found anywhere."""

    path: Path
    written: bool
    hashed: tuple[str, ...]
    kept: tuple[str, ...]
    missing: tuple[FolderRevision, ...]
    dropped: tuple[str, ...]
    bytes_hashed: int = 0


def lock_artifacts(project: Project, overrides: Sequence[str],
                   targets: Sequence[str] = ()) -> LockResult:
    """`release lock`: rewrite the lock entries of the selected folders that are here."""
    from release.artifacts import HashCache
    from release.artifacts.lock import read_lock, write_lock
    from release.artifacts.locked import Locker, target_matcher
    from release.desired import expand

    lock = read_lock(project.lock_path)
    config = load_project_config(project, overrides, lock)
    with HashCache(project.cache_path) as cache:
        matcher = target_matcher(targets)
        locker = Locker(project.root, lock, cache, selected=matcher)
        state = expand(config, base_dir=project.root, artifacts=locker)
        entries = locker.entries(config.families, state.retired_revisions)
        bytes_hashed = cache.stats.bytes_hashed
    if unmatched := matcher.unmatched():  # before writing: a typo must not look like success
        from release.errors import ConfigError, ConfigErrors

        raise ConfigErrors([ConfigError(
            f"--target {target!r} matches no checkpoint folder revision the config declares",
            location="--target",
            hint="use an address files:REPO@BRANCH, a repo id, family/variant, family or "
                 "folder; globs ok") for target in unmatched])
    written = write_lock(project.lock_path, entries) if entries or lock is not None else False
    new = {entry.revision for entry in entries}
    dropped = sorted(set(lock.entries) - new) if lock is not None else []
    return LockResult(project.lock_path, written, tuple(locker.hashed), tuple(locker.kept),
                      tuple(locker.missing), tuple(dropped), bytes_hashed)


@contextmanager
def hub_session(project: Project, config: ReleaseConfig) -> Iterator[HubSession]:
    """A HubSession for the config's `hub` section; the local hub's data lives in the project."""
    from release.config.schema import HubKind
    from release.hub.client import connect

    hub = config.hub
    data_dir = Path(hub.data_dir)
    if not data_dir.is_absolute():
        data_dir = project.root / data_dir
    # A HubKind, or its plain string when the config was built without the schema.
    kind = hub.kind.value if isinstance(hub.kind, HubKind) else str(hub.kind)
    with connect(kind, hub.endpoint, hub.token_env, data_dir=data_dir,
                 cache_dir=project.state_dir / "cache",
                 rate_limit=hub.rate_limit) as session:
        yield session


def observe(session: Session, desired: DesiredState) -> ObservedState:
    """The ObservedState of the Hub for `desired`, with the number of requests it took."""
    from release.hub.observe import HubReader, ShaCache

    before = session.meter.total
    reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
    observed = reader.observe(desired)
    return dataclasses.replace(observed, requests=session.meter.total - before)


def make_plan(session: Session, desired: DesiredState, targets: Sequence[str] = (),
              warnings: Sequence[StructureWarning] = (), today: date | None = None) -> Plan:
    """Observe the Hub and diff it against `desired` -> Plan.

    `warnings` (expansion's `StructureWarning`s) become notices with code `structure`: a
    notice is in the plan's JSON, text and PR comment alike, which a reviewer needs to see
    before approving a release of an incomplete checkpoint; the plan format stays 1.x (notice
    codes are an open set). Then protection and release policy (`release.plan.guards`) may
    block the plan; `today` (default: today in UTC) is the date an embargo is compared with.
    """
    from release.plan import build_plan
    from release.plan.guards import guarded
    from release.plan.passes import with_notices

    observed = observe(session, desired)
    plan = build_plan(desired, observed, targets=tuple(targets),
                      passes=[with_notices(structure_notices(warnings)),
                              guarded(desired, observed, today or datetime.now(UTC).date())])
    return dataclasses.replace(plan, hub=session.hub_id, identity=observed.identity)


def refuse_blocked(plan: Plan) -> None:
    """Raise, before any write, when protection or release policy blocks `plan`."""
    from release.errors import ReleaseError

    if plan.blocked:
        listed = "\n".join(f"  - {n.address}: {n.message}" for n in plan.blocked)
        raise ReleaseError(f"this plan is blocked ({len(plan.blocked)}); nothing was "
                           f"written:\n{listed}")


def status_report(session: Session, desired: Desired, root: Path = Path(".")) -> StatusReport:
    """`release status`: the plan's observation and diff, sorted per variant (one truth)."""
    from release.config.variants import resolve_variants
    from release.plan import build_plan
    from release.status import build_status, published_commits

    observed = observe(session, desired.state)
    plan = build_plan(desired.state, observed)
    order = {(name, variant.key): index for name, family in desired.config.families.items()
             for index, variant in enumerate(resolve_variants(name, family))}
    before = session.meter.total
    published = published_revisions(session, published_commits(desired.state, observed))
    observed = dataclasses.replace(
        observed, requests=observed.requests + session.meter.total - before)
    return build_status(desired.state, observed, plan, order, published,
                        upstream_lags(desired, observed, root))


def upstream_lags(desired: Desired, observed: ObservedState,
                  root: Path) -> dict[str, UpstreamLag]:
    """repo id -> how far its published upstream commit (its card's provenance) is behind the
    upstream branch head, in the family's local clone (`release.upstream`); git only."""
    from release.config.sources import display_path
    from release.upstream import find_clone, upstream_lag

    found: dict[str, UpstreamLag] = {}
    known: dict[tuple[str, str | None, str], UpstreamLag] = {}
    for repo in desired.state.repos:
        have = observed.repo(repo.repo_id)
        upstream = desired.config.families[repo.family].upstream
        provenance = have.provenance if have is not None else None
        if upstream is None or provenance is None or not provenance.upstream_commit:
            continue
        key = (upstream.path or "", upstream.branch, provenance.upstream_commit)
        if key not in known:
            clone = find_clone(upstream.path, root)
            shown = display_path(clone) if clone else (upstream.path or "the config's checkout")
            known[key] = upstream_lag(provenance.upstream_commit, clone, upstream.branch,
                                      shown_clone=str(shown), repo=upstream.repo)
        found[repo.repo_id] = known[key]
    return found


def published_revisions(session: Session, commits: Mapping[str, Sequence[tuple[str, str]]],
                        ) -> dict[str, list[PublishedRevision]]:
    """Each published revision with its commit's trailers: one history page per commit not
    seen before (cached by sha; apply records the commits it makes, so after an apply on this
    machine it costs nothing)."""
    from release.hub.errors import to_hub_error
    from release.hub.observe import HubReader, ShaCache
    from release.status import PublishedRevision

    reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
    found: dict[str, list[PublishedRevision]] = {}
    for repo_id, revisions in commits.items():
        for name, sha in revisions:
            try:
                record = reader.commit_record(repo_id, sha)
            except Exception as exc:  # noqa: BLE001 - translated, never swallowed
                raise to_hub_error(f"repo:{repo_id}", exc, session.endpoint) from exc
            found.setdefault(repo_id, []).append(PublishedRevision(
                name=name, commit=sha, made_by_release=bool(record["release"]),
                trailers=dict(record.get("trailers") or {})))
    return found


def structure_notices(warnings: Sequence[StructureWarning]) -> list[Notice]:
    """A `structure` notice per expansion warning (an incomplete checkpoint)."""
    from release.plan.model import Notice

    return [Notice(address=w.address, code="structure", message=w.message, repo_id=w.repo_id)
            for w in warnings]


def check_saved_plan(session: Session, plan: Plan, config_digest: str, *,
                     allow_config_change: bool = False) -> list[str]:
    """Refuse a saved plan made against another hub, identity or config (before any write);
    returns the warnings to print. Costs one `whoami`."""
    from release.hub.observe import HubReader, ShaCache
    from release.plan.saved import Here, check_bound

    reader = HubReader(session.api, ShaCache(None), endpoint=session.endpoint)
    here = Here(hub=session.hub_id, identity=reader.whoami(), config_digest=config_digest)
    return check_bound(plan, here, allow_config_change=allow_config_change)


def apply_plan(session: Session, plan: Plan, *,
               provenance: Mapping[str, Provenance] | None = None, check_stale: bool = True,
               parallelism: int | None = None, stop: threading.Event | None = None,
               events: ApplyEvents | None = None, policy: RetryPolicy | None = None,
               root: Path | None = None) -> ApplyResult:
    """Carry `plan` out on the session's Hub -> ApplyResult.

    With `check_stale` (always for a saved plan) the objects the plan fingerprinted are read
    again first, and a StalePlanError naming the ones that changed is raised before any write.
    `provenance` ({repo id: Provenance}, from the desired state) feeds the commit trailers;
    without it they come from the cards the stale check read. Checkpoint files are read under
    `root` (the project; default: the working directory); those whose folder is not here are
    copied from where the repo already holds the same content, and if some are nowhere, a
    `ContentUnavailable` names them before any write.
    """
    import threading

    from huggingface_hub.utils import disable_progress_bars

    from release.apply import DEFAULT_PARALLELISM, Applier, ApplyEvents
    from release.apply.content import LocalFiles
    from release.apply.runner import check_stale as refuse_if_stale
    from release.artifacts import HashCache
    from release.hub.observe import HubReader, ShaCache
    from release.hub.pacing import pacer
    from release.hub.write import HubWriter, RetryPolicy
    from release.origin import find_origin

    disable_progress_bars()  # apply reports its own progress; tqdm bars would interleave
    refuse_blocked(plan)
    refuse_unwritable(session, plan)
    refuse_invalid_cards(session, plan)
    reader = HubReader(session.api, ShaCache(session.cache_dir), endpoint=session.endpoint)
    found: dict[str, Provenance] = {}
    if check_stale:
        observed = refuse_if_stale(plan, reader)
        found = {observed.aliases.current(repo_id): repo.provenance
                 for repo_id, repo in observed.repos.items() if repo.provenance is not None}
    root = root or Path(".")
    copies = content_copies(session, plan, root, reader.tree)
    writer = HubWriter(session.api, policy or RetryPolicy(), meter=session.meter)
    stop = stop or threading.Event()
    applier = Applier(plan=plan, writer=writer, tree=reader.tree,
                      provenance={**found, **(provenance or {})},
                      parallelism=parallelism or DEFAULT_PARALLELISM,
                      stop=stop, events=events or ApplyEvents(),
                      meter=session.meter, root=root, copies=copies,
                      origin=find_origin(root),
                      files=LocalFiles(HashCache(Path(session.cache_dir) / HASH_CACHE_NAME)),
                      remember_commit=reader.remember_commit)
    # Past --max-wait every Hub call fails at once: stop scheduling, as on Ctrl-C.
    with pacer().stopping(stop):
        return applier.run()


def refuse_invalid_cards(session: Session, plan: Plan) -> None:
    """Refuse, before the first write, cards whose metadata the Hub would reject on commit.

    The Hub validates a README's front matter on every commit (400 `Invalid metadata in
    README.md`); after `release validate`'s offline check this catches the rest (a Hub list
    newer than ours), before a repo is created for a card that cannot be written. The call is
    the one huggingface_hub makes before each such commit (HfApi._validate_yaml, which
    create_commit uses), made once per group of cards with one verdict
    (`hfapi.validation_group`: repo type + the user's front-matter metadata, not the body nor
    release's provenance block; cards.validation_key says why). The group's first card goes to
    the Hub; its verdict is every member's: a refusal names each of them, an acceptance is
    remembered by `ReleaseHfApi`, so no member's commit asks again. A family whose cards share
    their `card.metadata` costs one request, however many repos it has.
    """
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    from release.apply import DEFAULT_PARALLELISM
    from release.errors import ReleaseError
    from release.hub.errors import card_metadata_problems, to_hub_error
    from release.hub.hfapi import validation_group
    from release.plan.changes import UpdateCard

    def refusal(members: list[UpdateCard]) -> str | None:
        first = members[0]
        try:
            session.api._validate_yaml(first.new_text, repo_type="model")
        except ValueError as exc:
            return "; ".join(card_metadata_problems(str(exc)))
        except Exception as exc:  # noqa: BLE001 - translated, never swallowed
            raise to_hub_error(f"card:{first.repo_id}", exc, session.endpoint) from exc
        return None

    cards = [change for change in plan.changes if isinstance(change, UpdateCard)]
    keys = [validation_group(change.new_text, "model") for change in cards]
    groups: dict[str, list[UpdateCard]] = {}
    for key, change in zip(keys, cards, strict=True):
        groups.setdefault(key, []).append(change)
    # Concurrently: one round trip per group, one after another, was ~30 s at N = 1000 cards
    # with distinct metadata.
    with warnings.catch_warnings(), \
            ThreadPoolExecutor(max_workers=DEFAULT_PARALLELISM) as pool:
        warnings.simplefilter("ignore")  # an empty-metadata warning is not a refusal
        verdicts = dict(zip(groups, pool.map(refusal, groups.values()), strict=True))
    refused = [f"  - card:{change.repo_id}: {problems}"
               for key, change in zip(keys, cards, strict=True) if (problems := verdicts[key])]
    if refused:
        raise ReleaseError(
            "the Hub refuses the metadata of these cards; nothing was written:\n"
            + "\n".join(refused)
            + "\nFix those card.metadata fields in the config ('release validate' checks the "
            "Hub's lists) and plan again.")


def refuse_unwritable(session: Session, plan: Plan) -> None:
    """Refuse, before the first write, a plan the token cannot carry out (one `whoami`).

    A read-only token, or a namespace that is neither the token's user nor an org it can write
    to, would otherwise get every write refused by the Hub one by one.
    """
    from release.address import Address
    from release.errors import ReleaseError
    from release.hub.access import write_problems
    from release.hub.errors import to_hub_error
    from release.plan.changes import MoveRepo

    # A move writes in the namespace the repo leaves too (the Hub checks both).
    namespaces = {Address.parse(change.address).namespace for change in plan.changes} | {
        change.old_repo_id.split("/", 1)[0] for change in plan.changes
        if isinstance(change, MoveRepo)}
    try:
        whoami = session.api.whoami(cache=True)  # the plan or saved-plan check asked already
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


def content_copies(session: Session, plan: Plan, root: Path,
                   tree: Callable[[str, str], Mapping[str, ObservedFile]]) -> dict[str, Copies]:
    """{repo id: Copies} for the plan's files whose folder is not under `root` (no writes)."""
    from release.address import Aliases
    from release.apply.content import find_sources
    from release.hub.errors import to_hub_error

    aliases = Aliases(plan.aliases)

    def heads(repo_id: str) -> dict[str, str]:
        from huggingface_hub.errors import RepositoryNotFoundError

        for name in aliases.names(repo_id):  # a repo this plan moves is still at its old id
            try:
                refs = session.api.list_repo_refs(name)
            except RepositoryNotFoundError:
                continue
            except Exception as exc:  # translated, never swallowed
                raise to_hub_error(f"repo:{name}", exc, session.endpoint) from exc
            return {ref.name: ref.target_commit for ref in refs.branches}
        return {}  # created by this plan: holds nothing yet

    by_repo: dict[str, list[ContentCommit]] = {}
    for commit in plan.content_commits():
        by_repo.setdefault(commit.repo_id, []).append(commit)
    copies: dict[str, Copies] = {}
    for repo_id, commits in by_repo.items():
        found = find_sources(repo_id, commits, root, heads, tree)
        if found:
            copies[repo_id] = found
    return copies
