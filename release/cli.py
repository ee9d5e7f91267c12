"""The command line: the only module that prints or chooses exit codes.

Every failure the user can act on is a `ReleaseError`; `main` prints it as one message (no
traceback unless --debug) and exits 1. Subcommands stay thin: they call into the pure core
and the renderers, then print.
"""

from __future__ import annotations

import sys

import click

from release.errors import ReleaseError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="RELEASE_DEBUG", help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Declarative release manager for model families on the Hugging Face Hub."""
    ctx.obj = {"debug": debug}


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
