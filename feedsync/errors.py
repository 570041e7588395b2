"""Exceptions the library raises. Data problems are never exceptions: they are Issues."""

from __future__ import annotations


class FeedsyncError(Exception):
    """Base class: something stops the run as a whole. `hint` says how to fix it."""

    exit_code = 3

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class ConfigError(FeedsyncError):
    """feedsync.toml is missing, malformed, or names something that does not exist."""


class SourceError(FeedsyncError):
    """An input file (catalog, stock, prices) cannot be read at all."""


class UsageError(FeedsyncError):
    """The caller asked for something that does not exist (unknown channel, format ...)."""

    exit_code = 2


class OutputError(FeedsyncError):
    """The output folder cannot be written."""
