"""One root exception for everything the KB reports to its users.

The CLI prints a `KBError` as one clear line (or one line per problem) and exits
non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class KBError(Exception):
    """Root of every error a user can cause or fix."""


class ConfigError(KBError):
    """Settings are wrong: an unknown URI scheme, a missing password, ..."""


class BackendError(KBError):
    """The graph engine refused or failed a statement, or cannot be reached."""


class ReadOnlyError(BackendError):
    """A statement would write where only reads are allowed."""


class NotEmptyError(KBError):
    """A bulk load was asked of a store that already holds nodes."""


class QueryError(KBError):
    """A canned question was called wrongly (unknown name, bad parameter)."""


class EmptyKBError(QueryError):
    """A question was asked of a knowledge base into which nothing was loaded."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data, and where: file, line, field."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class DataError(KBError):
    """Data files are wrong; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the data; nothing was written"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in problems))
