"""The ingest error."""

from __future__ import annotations

from kb.errors import KBError


class IngestError(KBError):
    """An article cannot be read or recorded (no such file, no date, a curated id)."""
