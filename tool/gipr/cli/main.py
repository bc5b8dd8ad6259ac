"""The entry point of the gipr command line (``gipr = gipr.cli:main``): registers the command
modules (cli/<command>.py; each registers on the shared app in app.py) and turns every error
into one Chinese message, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.markup import escape as _escape

from ..catalogue.access import say
from ..errors import GiprError
from .app import app, err_console

_USAGE_ERRORS = ("UsageError", "BadParameter", "NoSuchOption", "MissingParameter", "BadOptionUsage",
                 "BadArgumentUsage")


# command → the module (in this package) that registers it, in the order `gipr --help` lists
# them; a new command is one module plus its line here
COMMAND_MODULES = {
    "spec": "spec", "version": "spec",
    "init": "collect", "collect": "collect", "status": "collect",
    "template": "template",
    "merge": "merge",
    "check": "check", "export": "check",
    "send": "mail", "remind": "mail",
    "report": "report",
    "import": "importer",
    "audit": "audit",
    "ui": "ui",
}


def register_commands(argv: list[str]) -> None:
    """Import the command modules: only the one defining the command being run (a cold start
    then imports only what that command needs), every one for ``--help``, no command or an
    unknown one."""
    name = next((a for a in argv if not a.startswith("-")), None)
    mods = [COMMAND_MODULES[name]] if name in COMMAND_MODULES else list(dict.fromkeys(COMMAND_MODULES.values()))
    for m in mods:
        importlib.import_module(f"{__package__}.{m}")


@app.callback()
def _root() -> None:
    # a callback keeps gipr a group of commands even when only one command is registered
    pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: no Python traceback ever reaches a user."""
    try:
        register_commands(list(sys.argv[1:] if argv is None else argv))
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc != 0:  # typer returns Exit codes when not standalone
            sys.exit(rc)
    except SystemExit:
        raise
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print(say("cli.main.main"))
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print(say("cli.main.main_2"))
        sys.exit(130)
    except GiprError as e:  # SpecError (a malformed format file) too
        err_console.print(say("cli.main.main_3", escape=_escape(str(e))))  # a message may hold [mail], paths with []
        sys.exit(2)
    except Exception as e:  # click's errors (typer vendors click) and anything unexpected
        if hasattr(e, "format_message") and hasattr(e, "exit_code"):
            kind = say("cli.main.main.kind") if type(e).__name__ in _USAGE_ERRORS else say("cli.main.main.kind_2")
            err_console.print(f"[red]{kind}：[/red]{e.format_message()}")
            ctx = getattr(e, "ctx", None)
            if ctx is not None:
                err_console.print(say("cli.main.main_4", command_path=ctx.command_path))
            sys.exit(2)
        err_console.print(say("cli.main.main_5", name=type(e).__name__, e=e))
        err_console.print(say("cli.main.main_6"))
        sys.exit(3)
