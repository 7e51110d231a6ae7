"""errlint's own exceptions: each user-facing one is one clear line and exit code 2."""

from __future__ import annotations

from typing import IO, Any, Optional

import click


class ErrlintError(click.ClickException):
    """A usage, configuration or input error: printed as one line, exit code 2."""

    exit_code = 2

    def show(self, file: Optional[IO[Any]] = None) -> None:
        click.echo(f"errlint: error: {self.format_message()}", file=file, err=file is None)


class ConfigError(ErrlintError):
    """A bad `[tool.errlint]` value: names the file and the key."""

    def __init__(self, message: str, path: str, key: str = "") -> None:
        self.path = path
        self.key = key
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {message}")


class UsageError(ErrlintError):
    """A bad command-line value or path."""
