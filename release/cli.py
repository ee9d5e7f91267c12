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

from release.errors import ReleaseError


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
def hub_serve(data_dir: str, port: int, host: str, auth_file: str | None, latency_ms: int,
              regular_only: bool) -> None:
    """Serve the local hub in the foreground until Ctrl-C."""
    from release.localhub import DEFAULT_USER, serve

    def announce(endpoint: str) -> None:
        who = f"auth from {auth_file}" if auth_file else f"open mode, user {DEFAULT_USER}"
        click.echo(f"Local hub at {endpoint} (data in {data_dir}; {who}). Ctrl-C to stop.")
        sys.stdout.flush()  # whoever reads the endpoint through a pipe needs it now

    try:
        serve(data_dir, port, host, auth=auth_file, latency_ms=latency_ms,
              regular_only=regular_only, on_ready=announce)
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
        click.echo(f"Error: {err}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as err:
        err.show()
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# --------------------------------------------------------------------------------------------
# validate / show: the config model, offline

_CONFIG_DIR = click.option(
    "--config-dir", type=click.Path(path_type=Path), envvar="RELEASE_CONFIG_DIR",
    default=Path("conf"), show_default=True,
    help="The Hydra config directory (holding config.yaml); env RELEASE_CONFIG_DIR.")
_OVERRIDES = click.argument("overrides", nargs=-1)


def _expand_config(config_dir: Path, overrides: tuple[str, ...]) -> tuple[Any, Any]:
    """(config, desired state) without reading checkpoints or talking to any hub."""
    from release.config.load import load_config
    from release.desired import expand

    config = load_config(config_dir, list(overrides))
    return config, expand(config, base_dir=config_dir.resolve().parent)


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
              help="Exit 2 when there are changes, 0 when none (1 is always an error).")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan (JSON) for 'release apply FILE'.")
@click.option("--format", "output_format", type=_FORMATS, default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Colour (default: on a terminal).")
def plan(overrides: tuple[str, ...], config_dir: Path, targets: tuple[str, ...],
         detailed_exitcode: bool, out_file: Path | None, output_format: str,
         color: bool | None) -> int:
    """Show what apply would change on the Hub to match the config. Writes nothing.

    OVERRIDES use Hydra's syntax, as for 'release show'.
    """
    from release.workflow import Project, hub_session, load_desired, make_plan

    project = Project(config_dir)
    desired = load_desired(project, overrides)
    with hub_session(project, desired.config) as session:
        result = make_plan(session, desired.state, targets)
    if out_file is not None:
        out_file.write_text(result.to_json())
    if targets:
        click.echo("Warning: --target is in effect; the plan covers only part of the config.",
                   err=True)
    click.echo(_render_plan(result, output_format, _wants_color(color)), nl=False)
    if out_file is not None:
        click.echo(f"\nSaved the plan to {out_file}; apply exactly it with "
                   f"'release apply {out_file}'.", err=True)
    return 2 if detailed_exitcode and result.has_changes else 0


@cli.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--format", "output_format", type=_FORMATS, default="text", show_default=True)
@click.option("--color/--no-color", default=None, help="Colour (default: on a terminal).")
def render(plan_file: Path, output_format: str, color: bool | None) -> None:
    """Render a saved plan again, e.g. as Markdown for a pull-request comment."""
    from release.plan import Plan

    saved = Plan.from_json(plan_file.read_text())
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
