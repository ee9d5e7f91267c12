"""The command line: the only module that prints or chooses exit codes.

Every failure the user can act on is a `ReleaseError`; `main` prints it as one message (no
traceback unless --debug) and exits 1. Subcommands stay thin: they call into the pure core
and the renderers, then print.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from release.errors import ReleaseError, redact


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="RELEASE_DEBUG", help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Declarative release manager for model families on the Hugging Face Hub."""
    ctx.obj = {"debug": debug}


@cli.group()
def hub() -> None:
    """The local hub: a Hub-compatible server for offline use, tests and rehearsals."""


@hub.command("serve")
@click.option("--data-dir", required=True, type=click.Path(file_okay=False),
              help="Where repos, LFS objects and collections are stored.")
@click.option("--port", default=8000, show_default=True, help="TCP port (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--auth", "auth_file", type=click.Path(dir_okay=False, exists=True),
              help="YAML/JSON with users, orgs and tokens (default: one open local user).")
@click.option("--latency-ms", default=0, show_default=True, help="Added to every request.")
@click.option("--regular-only", is_flag=True,
              help="Store every file as regular (no LFS), so clients with xet on still work.")
@click.option("--duplicate-collections", is_flag=True,
              help="Creating a collection with an existing title makes a second one, as the real "
                   "Hub does (default: answer 409 with the existing slug).")
@click.option("--private-storage-quota", metavar="SIZE",
              help="Private storage per namespace (e.g. 100GB, 1TB, 5000000); past it writes "
                   "to private repos answer 403 'Private repository storage limit reached'.")
@click.option("--rate-limit", metavar="REQUESTS/WINDOW",
              help="Rehearse the Hub's API quota: fixed windows per user with its RateLimit "
                   "headers and 429s, e.g. 1000/300s (a free account); compress time with "
                   "e.g. 100/3s.")
def hub_serve(data_dir: str, port: int, host: str, auth_file: str | None, latency_ms: int,
              regular_only: bool, duplicate_collections: bool,
              private_storage_quota: str | None, rate_limit: str | None) -> None:
    """Serve the local hub in the foreground until Ctrl-C."""
    from release.localhub import DEFAULT_USER, serve
    from release.localhub.names import parse_size
    from release.localhub.ratelimit import QuotaPolicy

    quota = None
    if private_storage_quota is not None:
        try:
            quota = parse_size(private_storage_quota)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--private-storage-quota") from None
    api_quota = ""
    if rate_limit:
        try:
            api_quota = f"; API quota {QuotaPolicy.parse(rate_limit)} per user"
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--rate-limit") from None

    def announce(endpoint: str) -> None:
        who = f"auth from {auth_file}" if auth_file else f"open mode, user {DEFAULT_USER}"
        click.echo(f"Local hub at {endpoint} (data in {data_dir}; {who}{api_quota}). "
                   "Ctrl-C to stop.")
        sys.stdout.flush()  # whoever reads the endpoint through a pipe needs it now

    try:
        serve(data_dir, port, host, auth=auth_file, latency_ms=latency_ms,
              regular_only=regular_only, duplicate_collections=duplicate_collections,
              private_storage_quota=quota, rate_limit=rate_limit, on_ready=announce)
    except KeyboardInterrupt:
        pass
    click.echo("Local hub stopped.")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, turning ReleaseError into a message and exit code 1."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="release", standalone_mode=False)
    except ReleaseError as err:
        if debug:
            raise
        click.echo(redact(f"Error: {err}"), err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as err:
        click.echo(redact(_click_message(err)), err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _click_message(err: click.ClickException) -> str:
    """What `err.show()` prints (usage, hint, message), as text we can redact."""
    import io

    buffer = io.StringIO()
    err.show(file=buffer)
    return buffer.getvalue().rstrip("\n")


# --------------------------------------------------------------------------------------------
# validate / show: the config model, offline

_CONFIG_DIR = click.option(
    "--config-dir", type=click.Path(path_type=Path), envvar="RELEASE_CONFIG_DIR",
    default=Path("conf"), show_default=True,
    help="The Hydra config directory (holding config.yaml); env RELEASE_CONFIG_DIR.")
_OVERRIDES = click.argument("overrides", nargs=-1)


class _Duration(click.ParamType):
    """`90s`, `30m`, `2h` or plain seconds."""

    name = "duration"
    _UNITS = {"s": 1, "m": 60, "h": 3600}

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        text = str(value).strip().lower()
        unit = self._UNITS.get(text[-1:], 0)
        number = text[:-1] if unit else text
        try:
            seconds = float(number) * (unit or 1)
        except ValueError:
            seconds = -1.0
        if seconds < 0:
            self.fail(f"{value!r} is not a duration like 90s, 30m or 2h", param, ctx)
        return seconds


_MAX_WAIT = click.option(
    "--max-wait", type=_Duration(), default="60m", show_default=True,
    help="The most time to wait in total for the Hub's rate limit (429s, spent windows); "
         "past it, stop with exit 1 (a re-run resumes).")


def _pace(max_wait: float) -> None:
    """Every Hub call is paced by the Hub's rate limit; waits are announced on stderr."""
    from release.hub.pacing import pacer

    pacer().configure(max_wait_s=max_wait, notify=lambda text: click.echo(text, err=True))


def _expand_config(config_dir: Path, overrides: tuple[str, ...]) -> tuple[Any, Any]:
    """(config, desired state) without reading checkpoints or talking to any hub.

    Runs found on disk (`runs.discover`) and those recorded in release.lock are included.
    """
    from release.workflow import Project, load_desired

    desired = load_desired(Project(config_dir), overrides, scan=False)
    return desired.config, desired.state


@cli.command()
@_OVERRIDES
@_CONFIG_DIR
def validate(overrides: tuple[str, ...], config_dir: Path) -> None:
    """Check the config offline: exit 0 if valid, 1 with every error found.

    OVERRIDES use Hydra's syntax, e.g. hub=huggingface families=[tulu3]
    families.tulu3.defaults.visibility=public.
    """
    _, state = _expand_config(config_dir, overrides)
    families = ", ".join(state.families)
    click.echo(f"{config_dir.as_posix()}: valid — {len(state.families)} families ({families}), "
               f"{len(state.repos)} repos, {len(state.collections)} collections")


@cli.command(name="import")
@click.argument("namespace")
@click.argument("args", nargs=-1, metavar="[REPO_ID]... [OVERRIDES]...")
@click.option("--match", "pattern", metavar="GLOB",
              help="Only the repos whose names match, e.g. 'Tulu-3-*'.")
@click.option("--family", metavar="NAME",
              help="The family of the repos release did not make (default: from the "
                   "namespace or the pattern); writes conf/families/NAME.yaml.")
@click.option("--force", is_flag=True, help="Overwrite family files and cards that exist.")
@_CONFIG_DIR
@_MAX_WAIT
def import_(namespace: str, args: tuple[str, ...], pattern: str | None, family: str | None,
            force: bool, config_dir: Path, max_wait: float) -> None:
    """Write the config of repos that already live on the Hub. Reads the Hub, never writes it.

    NAMESPACE's model repos (all, those named REPO_ID, or those --match selects) become a
    family: a matrix when the names allow it, else one variant per repo; visibility, gating,
    branches (as runs), a tag, the namespace's collection, and each README.md captured as it
    is under templates/imported/. Repos release made keep their recorded family. 'release
    plan' right after shows no changes. OVERRIDES (key=value) as for 'release plan'.
    """
    from release.config.sources import display_path
    from release.importer import Selection, run_import

    overrides = tuple(a for a in args if "=" in a or a.startswith(("~", "+")))
    repo_ids = tuple(a if "/" in a else f"{namespace}/{a}" for a in args if a not in overrides)
    _pace(max_wait)
    result = run_import(config_dir, overrides, Selection(namespace, pattern, repo_ids), family,
                        force)
    repos = sum(len(f.repo_ids) for f in result.families) + len(result.skipped)
    click.echo(f"Read {repos} repo(s) of {namespace} from the Hub ({result.requests} requests, "
               f"{result.writes} writes).")
    for skipped in result.skipped:
        click.echo(f"  {skipped}: already declared in {display_path(config_dir)}; skipped")
    for imported in result.families:
        shape = "a matrix from the names" if imported.matrix else "one variant per repo"
        made = "" if "adopt" in imported.config.get("defaults", {}) else ", made by release"
        click.echo(f"Wrote {display_path(config_dir / 'families' / (imported.name + '.yaml'))}: "
                   f"family {imported.name}, {len(imported.repo_ids)} repo(s), {shape}{made}")
    cards = [p for p in result.written if p.suffix == ".md"]
    if cards:
        click.echo(f"Wrote {len(cards)} card(s) under "
                   f"{display_path(cards[0].parent)}/ (README.md as on the Hub)")
    if result.enabled is not None:
        click.echo(f"Listed the families in {display_path(result.enabled)}.")
    for imported in result.families:
        for note in imported.notes:
            click.echo(f"  note: {note}")
    if result.to_enable:
        click.echo(f"Add {', '.join(result.to_enable)} to the families list of "
                   f"{display_path(config_dir / 'config.yaml')}.")
    click.echo("Next: 'release plan' (it shows no changes until the config or the Hub "
               "changes).")


@cli.command()
@_OVERRIDES
@_CONFIG_DIR
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A table per family, or the full desired state as JSON.")
def show(overrides: tuple[str, ...], config_dir: Path, output_format: str) -> None:
    """Show the fully expanded desired state: every repo, its settings and revisions."""
    from release.config.variants import resolve_variants
    from release.show import render_json, render_table

    config, state = _expand_config(config_dir, overrides)
    if output_format == "json":
        click.echo(render_json(state), nl=False)
        return
    order = {(name, variant.key): index for name, family in config.families.items()
             for index, variant in enumerate(resolve_variants(name, family))}
    click.echo(render_table(state, order), nl=False)


@cli.command()
@click.argument("variant")
@_OVERRIDES
@_CONFIG_DIR
@click.option("--revision", default="main", show_default=True,
              help="main, a release revision (the branch a release tag names) or the tag.")
def card(variant: str, overrides: tuple[str, ...], config_dir: Path, revision: str) -> None:
    """Print the README.md apply would commit for VARIANT, byte for byte, offline.

    VARIANT is a repo id (allenai/Llama-3.1-Tulu-3-8B-SFT), family/variant (tulu3/8B-SFT) or
    a variant key that only one family has (8B-SFT). No Hub request: a card is made from the
    config alone.
    """
    from release.show import card_of, find_repo

    _, state = _expand_config(config_dir, overrides)
    click.echo(card_of(find_repo(state, variant), revision), nl=False)


# --------------------------------------------------------------------------------------------
# plan: observe the Hub, diff, render

_FORMATS = click.Choice(["text", "markdown", "json"])


def _render_plan(plan: Any, output_format: str, color: bool) -> str:
    from release.plan import render_json, render_markdown, render_text

    if output_format == "json":
        return render_json(plan)
    if output_format == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


def _say_token_source(session: Any) -> None:
    """Which token is in use (its source, never its value), when the user chose one: a
    huggingface.co token may come from a variable or from 'hf auth login', and which one
    answered matters when the Hub refuses it."""
    if session.kind != "local" or session.token_source.startswith("$"):
        click.echo(f"Using the token from {session.token_source} for {session.endpoint}.",
                   err=True)


def _say_bytes(desired: Any, plan: Any) -> None:
    """What the plan cost on disk and what apply would send (stderr: the plan's own output,
    text or JSON, stays the same whatever the hash cache held)."""
    from release.apply.content import upload_size
    from release.plan.describe import size

    upload = sum(upload_size(commit) for commit in plan.content_commits())
    if not (desired.files_hashed or upload):
        return
    hashed = (f"{size(desired.bytes_hashed)} hashed ({desired.files_hashed} file(s) the hash "
              "cache did not hold)" if desired.files_hashed
              else "nothing hashed (the hash cache or the lock held every file)")
    click.echo(f"Checkpoint files: {hashed}, {size(upload)} to upload.", err=True)


def _wants_color(color: bool | None) -> bool:
    import os

    if color is not None:
        return color
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@cli.command()
@_OVERRIDES
@_CONFIG_DIR
@click.option("--target", "targets", multiple=True, metavar="SELECTOR",
              help="Only these objects: a repo id, an address or family/variant (globs ok).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes or drift, 0 when in sync (1 is always an "
                   "error).")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan (JSON) for 'release apply FILE'.")
@click.option("--format", "output_format", type=_FORMATS, default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Colour (default: on a terminal).")
@_MAX_WAIT
def plan(overrides: tuple[str, ...], config_dir: Path, targets: tuple[str, ...],
         detailed_exitcode: bool, out_file: Path | None, output_format: str,
         color: bool | None, max_wait: float) -> int:
    """Show what apply would change on the Hub to match the config. Writes nothing.

    OVERRIDES use Hydra's syntax, as for 'release show'.
    """
    from release.workflow import Project, hub_session, load_desired, make_plan

    project = Project(config_dir)
    desired = load_desired(project, overrides)
    if out_file is not None and not out_file.parent.is_dir():  # before reading the Hub
        raise ReleaseError(f"-o {out_file}: the folder '{out_file.parent}' does not exist; "
                           "create it or save the plan elsewhere")
    _pace(max_wait)
    with hub_session(project, desired.config) as session:
        _say_token_source(session)
        result = make_plan(session, desired.state, targets, warnings=desired.warnings)
    if out_file is not None:
        try:
            out_file.write_text(result.to_json())
        except OSError as err:
            raise ReleaseError(f"-o {out_file}: cannot save the plan "
                               f"({err.strerror or err})") from None
    if targets:
        click.echo("Warning: --target is in effect; the plan covers only part of the config.",
                   err=True)
    click.echo(_render_plan(result, output_format, _wants_color(color)), nl=False)
    _say_bytes(desired, result)
    if result.blocked:
        click.echo(f"\nError: this plan is blocked ({len(result.blocked)}); 'release apply' "
                   "refuses it until the config or the Hub changes (see 'Blocked' above).",
                   err=True)
        return 1
    if out_file is not None:
        click.echo(f"\nSaved the plan to {out_file}; apply exactly it with "
                   f"'release apply {out_file}'.", err=True)
    return 2 if detailed_exitcode and not result.in_sync else 0


@cli.command()
@_OVERRIDES
@_CONFIG_DIR
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when in sync, 2 when anything differs (drift or pending changes), "
                   "1 on error.")
@_MAX_WAIT
def status(overrides: tuple[str, ...], config_dir: Path, output_format: str,
           detailed_exitcode: bool, max_wait: float) -> int:
    """Per variant: the Hub revision, the upstream commit it came from, and whether the Hub,
    the upstream commit and the config agree. Built on exactly what 'release plan' reads and
    decides (same observation, same diff and drift rules), so the two never disagree.
    """
    from release.status import render_json as status_json
    from release.status import render_text as status_text
    from release.workflow import Project, hub_session, load_desired, status_report

    project = Project(config_dir)
    desired = load_desired(project, overrides)  # as 'release plan' does: the same truth
    _pace(max_wait)
    with hub_session(project, desired.config) as session:
        _say_token_source(session)
        report = status_report(session, desired, project.root)
    click.echo(status_json(report) if output_format == "json" else status_text(report),
               nl=False)
    return 2 if detailed_exitcode and not report.all_agree else 0


@cli.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--format", "output_format", type=_FORMATS, default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Colour (default: on a terminal).")
def render(plan_file: Path, output_format: str, color: bool | None) -> None:
    """Render a saved plan again, e.g. as Markdown for a pull-request comment."""

    saved = _read_saved_plan(plan_file)
    click.echo(_render_plan(saved, output_format, _wants_color(color)), nl=False)


@cli.command()
@_OVERRIDES
@_CONFIG_DIR
def checkpoints(overrides: tuple[str, ...], config_dir: Path) -> None:
    """Generate small example checkpoints in the artifact folders the config names.

    For the demo and for rehearsals: only folders that do not exist are written (a few MB
    each, weights big enough to go through LFS); existing checkpoints are never touched.
    """
    from release.checkpoints import generate_missing
    from release.workflow import Project, load_desired

    project = Project(config_dir)
    state = load_desired(project, overrides, scan=False).state
    sources = [b.source for repo in state.repos for b in repo.branches if b.source]
    written = generate_missing(sources, project.root)
    click.echo(f"{len(written)} checkpoint folders written, "
               f"{len(set(sources)) - len(written)} already present.")


@cli.command()
@_OVERRIDES
@_CONFIG_DIR
@click.option("--target", "targets", multiple=True, metavar="SELECTOR",
              help="Only these revisions: an address (files:REPO@BRANCH), a repo id, "
                   "family/variant or a folder (globs ok). Others are kept as locked.")
def lock(overrides: tuple[str, ...], config_dir: Path, targets: tuple[str, ...]) -> None:
    """Record the content of the checkpoint folders in release.lock (commit it).

    Hashes every folder the config names that is on this machine (through the hash cache:
    unchanged files cost a stat) and rewrites its entry; entries of folders that are not here
    are kept as they are. 'release plan' and 'release apply' then take file identity from the
    lock, so a machine without the checkpoints (a pull-request runner) plans the same.
    """
    from release.config.sources import display_path
    from release.workflow import Project, lock_artifacts

    result = lock_artifacts(Project(config_dir), overrides, targets)
    shown = display_path(result.path)
    state = "written" if result.written else "unchanged"
    click.echo(f"{shown} {state}: {len(result.hashed)} revision(s) from folders here "
               f"({result.bytes_hashed / 1e6:.1f} MB hashed), {len(result.kept)} kept as "
               f"locked, {len(result.dropped)} dropped.")
    for revision in result.dropped:
        click.echo(f"  - files:{revision}: no longer declared by the config")
    if result.missing:
        click.echo(f"{len(result.missing)} revision(s) have neither a folder here nor a lock "
                   "entry; run 'release lock' where these folders are:", err=True)
        for folder in result.missing:
            click.echo(f"  {folder.address}: {folder.folder}", err=True)


# --------------------------------------------------------------------------------------------
# apply: plan (or load a saved plan), confirm, carry it out

def _read_saved_plan(path: Path) -> Any:
    """The Plan saved in `path`, or an error naming the file and what to do about it."""
    import json

    from release.plan import Plan
    from release.plan.model import FORMAT_VERSION

    def refuse(problem: str, step: str) -> ReleaseError:
        return ReleaseError(f"{path}: {problem}; {step}")

    replan = f"save it again with 'release plan -o {path}'"
    try:
        data = path.read_bytes()
    except OSError as err:
        raise refuse(f"cannot read the saved plan ({err.strerror or err})", replan) from None
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise refuse("not a saved plan (binary, not JSON text)", replan) from None
    except ValueError as err:
        raise refuse(f"not a saved plan: not valid JSON ({err}), perhaps truncated",
                     replan) from None
    version = str(document.get("format_version", "")) if isinstance(document, dict) else ""
    major, ours = version.split(".")[0], FORMAT_VERSION.split(".")[0]
    if major.isdigit() and int(major) > int(ours):
        raise refuse(f"saved by a newer release (plan format {version}; this one reads "
                     f"{ours}.x)", f"upgrade release, or {replan} using this one")
    try:
        return Plan.from_json(document)
    except ReleaseError as err:  # its message says what to do
        raise ReleaseError(f"{path}: {err}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise refuse(f"not a saved plan, or a damaged one ({type(err).__name__}: {err})",
                     replan) from None


def _saved_plan_path(args: tuple[str, ...]) -> Path | None:
    """The plan file among apply's arguments, if the first one is one.

    The rule: the first argument names a saved plan if it is an existing file that ends in
    .json or holds a JSON object with a `format_version` (a plan, perhaps damaged or of another
    format: loading it then says what is wrong); an argument ending in .json that is not a file
    is an error (a Hydra override never ends in .json). Anything else is an override.
    """
    if not args:
        return None
    first = Path(args[0])
    if first.is_file():
        if first.suffix == ".json":
            return first
        import json

        try:
            document = json.loads(first.read_text())
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        return first if isinstance(document, dict) and "format_version" in document else None
    if args[0].endswith(".json"):
        raise ReleaseError(f"plan file not found: {args[0]}")
    if "=" not in args[0] and not args[0].startswith("~"):
        # Not an override (those have '='): a file name with a typo, if one is close.
        from release.config.diagnostics import closest

        folder = first.parent
        names = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
        match = closest(first.name, names)
        if match is not None:
            shown = (folder / match).as_posix() if first.parent != Path(".") else match
            raise ReleaseError(f"no file '{args[0]}' (did you mean '{shown}'?); apply a saved "
                               f"plan with 'release apply {shown}', or give overrides as "
                               "key=value")
    return None


def _hub_only(overrides: tuple[str, ...], plan_file: Path) -> None:
    others = [o for o in overrides if not o.lstrip("+~").startswith(("hub.", "hub="))]
    if others:
        raise ReleaseError(
            f"a saved plan is applied exactly as saved; only hub overrides (hub=..., "
            f"hub.endpoint=...) may follow {plan_file}, not: {' '.join(others)}. To change "
            "what is applied, run 'release plan' with those overrides and save a new plan")


def _approved(plan: Any, session: Any, as_json: bool) -> bool:
    """Terraform's rule: only `yes`, typed, approves; anything else (or end of input) cancels.

    A plan that publishes, unpublishes, ungates or destroys says so right above the question.
    """
    from release.plan.model import RISKY_FLAGS

    click.echo("", err=as_json)
    risky = plan.risky
    if risky:
        flags = [f for f in RISKY_FLAGS if any(f in c.flags for c in risky)]
        click.echo(f"This plan {', '.join(flags)}: {len(risky)} change(s) listed under '!!!' "
                   "above.", err=as_json)
    click.echo(f"Apply these changes to {session.kind} hub {session.endpoint}? Only 'yes' "
               "will be accepted to approve.", err=as_json)
    try:
        answer = click.prompt("Enter a value", default="", show_default=False, err=as_json)
    except click.exceptions.Abort:
        return False
    return str(answer).strip() == "yes"


class _Interrupts:
    """First SIGINT: stop scheduling, let in-flight calls finish. Second: exit at once (as
    safe as a SIGKILL: re-running apply converges)."""

    def __init__(self, stop: Any) -> None:
        self.stop = stop
        self.previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        import os

        if self.stop.is_set():
            click.echo("\nSecond interrupt: exiting now. Re-run 'release apply' to converge.",
                       err=True)
            os._exit(130)
        self.stop.set()
        click.echo("\nInterrupt: finishing the requests in flight, starting nothing new "
                   "(Ctrl-C again to exit at once).", err=True)

    def __enter__(self) -> _Interrupts:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


@cli.command()
@click.argument("args", nargs=-1, metavar="[PLAN_FILE | OVERRIDES...]")
@_CONFIG_DIR
@click.option("--target", "targets", multiple=True, metavar="SELECTOR",
              help="Only these objects (as for 'release plan'); not with a saved plan.")
@click.option("--auto-approve", is_flag=True,
              help="Apply without asking (required when stdin is not a terminal).")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Repos applied at the same time.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: a report of what was done, on stdout.")
@click.option("--color/--no-color", default=None, help="Colour (default: on a terminal).")
@click.option("--allow-config-change", is_flag=True,
              help="Apply a saved plan even though the config changed since it was made "
                   "(said in the output).")
@_MAX_WAIT
def apply(args: tuple[str, ...], config_dir: Path, targets: tuple[str, ...],
          auto_approve: bool, parallelism: int, output_format: str,
          color: bool | None, allow_config_change: bool, max_wait: float) -> int:
    """Make the Hub match the config: plan, confirm, apply. Or apply a saved plan exactly.

    'release apply [OVERRIDES]' plans as 'release plan' does, shows the plan and asks before
    writing (on a terminal; elsewhere it needs --auto-approve). 'release apply PLAN_FILE'
    applies a plan saved with 'release plan -o PLAN_FILE', without asking, after checking
    that it is unedited (its digest), that this is the hub and identity it was made against
    and the config it was made from (--allow-config-change overrides only the last), and that
    nothing it relies on changed on the Hub since (else it refuses, naming what changed).
    PLAN_FILE is recognised as the first argument when it is an existing file ending in
    .json or holding a saved plan. Exit 0 done or no changes, 1 error or a failed change,
    130 interrupted.
    """
    from release.apply.progress import ProgressPrinter, summary
    from release.apply.result import ApplyResult
    from release.workflow import (
        Project,
        apply_plan,
        check_saved_plan,
        hub_session,
        load_desired,
        make_plan,
        refuse_blocked,
    )

    as_json = output_format == "json"

    def say(text: str, nl: bool = True) -> None:
        click.echo(text, nl=nl, err=True)

    plan_file = _saved_plan_path(args)
    project = Project(config_dir)
    _pace(max_wait)
    try:
        if plan_file is not None:
            overrides = args[1:]
            _hub_only(overrides, plan_file)
            if targets:
                raise ReleaseError("--target cannot narrow a saved plan; plan again with "
                                   "--target and save that plan")
            saved = _read_saved_plan(plan_file)
            current = load_desired(project, overrides, scan=False)
            config = current.config
        else:
            if allow_config_change:
                raise ReleaseError("--allow-config-change applies only to a saved plan "
                                   "('release apply PLAN_FILE')")
            desired = load_desired(project, args)
            config = desired.config
        with hub_session(project, config) as session:
            _say_token_source(session)
            provenance = None
            if plan_file is not None:
                the_plan = saved
                for warning in check_saved_plan(session, saved, current.state.config_digest,
                                                allow_config_change=allow_config_change):
                    say(warning)
                say(f"Applying the saved plan {plan_file} to {session.kind} hub "
                    f"{session.endpoint}.")
            else:
                # The same pipeline as 'release plan' (structure notices included, if any).
                the_plan = make_plan(session, desired.state, targets,
                                     warnings=desired.warnings)
                provenance = {repo.repo_id: repo.provenance for repo in desired.state.repos
                              if repo.provenance is not None}
                if targets:
                    say("Warning: --target is in effect; the plan covers only part of the "
                        "config.")
                rendered = _render_plan(the_plan, "text", _wants_color(color))
                if the_plan.has_changes or not as_json:
                    click.echo(rendered, nl=False, err=as_json)
            refuse_blocked(the_plan)
            if not the_plan.has_changes:
                if as_json:
                    click.echo(ApplyResult(apply_id="").to_json(), nl=False)
                elif plan_file is not None:
                    click.echo("No changes. The saved plan has nothing to apply.")
                return 0
            prompted = False
            if plan_file is None and not auto_approve:
                if not sys.stdin.isatty():
                    raise ReleaseError(
                        "refusing to apply unattended: stdin is not a terminal, so nobody "
                        "can confirm. Review the plan above and re-run with --auto-approve, "
                        "or save it ('release plan -o plan.json') and run 'release apply "
                        "plan.json'. Nothing was written")
                if not _approved(the_plan, session, as_json):
                    say("Apply cancelled. Nothing was written.")
                    return 1
                prompted = True
            import threading

            stop = threading.Event()
            repos = len({c.group for c in the_plan.changes if hasattr(c, "repo_id")})
            printer = ProgressPrinter(say, sys.stderr.isatty(), repos)
            with _Interrupts(stop):
                result = apply_plan(session, the_plan, provenance=provenance, root=project.root,
                                    check_stale=plan_file is not None or prompted,
                                    parallelism=parallelism, stop=stop, events=printer)
            printer.close()
    except KeyboardInterrupt:
        say("\nInterrupted before anything was written.")
        return 130
    if as_json:
        click.echo(result.to_json(), nl=False)
        say(summary(result), nl=False)
    else:
        click.echo(summary(result), nl=False)
    return result.exit_code
