"""The project's own error types.

Third-party exceptions are translated into these at the boundary where they
occur, so the CLI can map each family to an exit code and a one-line message
without ever showing a traceback.
"""

from __future__ import annotations


class EnforcerError(Exception):
    """Base class: every error the CLI knows how to explain in one line."""

    exit_code = 2


class UsageError(EnforcerError):
    """Bad command-line use."""


class InputError(EnforcerError):
    """A file the user gave us is wrong. Carries file and line so the user can fix it."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.message}"


class PolicyError(InputError):
    """A policy pack does not validate."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        first = problems[0] if problems else InputError("invalid policy pack")
        super().__init__(first.message, first.path, first.line)

    def __str__(self) -> str:
        return "\n".join(InputError.__str__(p) for p in self.problems) or "invalid policy pack"


def file_error(exc: OSError, path: object, what: str = "file") -> InputError:
    """One wording for every file we fail to open, whoever opens it."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{what} not found", str(path))
    if isinstance(exc, IsADirectoryError):
        return InputError(f"is a directory, not a {what}", str(path))
    if isinstance(exc, PermissionError):
        return InputError("permission denied", str(path))
    return InputError(f"cannot read {what}: {exc.strerror or exc}", str(path))


class ConfigError(InputError):
    """The configuration file (or a file it points at) is wrong."""


class SourceError(EnforcerError):
    """A source could not be read completely. The run becomes incomplete (exit 3)."""

    exit_code = 3


class StoreError(EnforcerError):
    """The history store is locked, corrupt or unwritable."""


class ReportError(EnforcerError):
    """A report could not be written; the previous report is left in place."""
