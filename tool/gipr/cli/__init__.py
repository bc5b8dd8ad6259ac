"""The gipr command line: one module per command (cli/<command>.py registers it on the shared
typer app of app.py); main.py is the entry point."""

from __future__ import annotations

from .main import main

__all__ = ["main"]
