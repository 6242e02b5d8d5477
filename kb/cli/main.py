"""The `kb` command: a thin layer over the library. Each command opens the KB, calls
one or two library functions and formats the result. One module per command group;
`kb.cli.common` holds what they share. Imports go CLI -> library, never back.

Errors a user can fix (`KBError`) print as one line on stderr and exit 1.
"""

from __future__ import annotations

import sys

from kb.cli import (  # noqa: F401  (each registers its commands)
    bench,
    console,
    data,
    import_trade,
    import_usgs,
    imports,
    ingest,
    neo4j,
    query,
    review,
    serve,
    users,
    watch,
)
from kb.cli.common import app, err
from kb.errors import DataError, KBError

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except DataError as exc:
        err.print(f"[red]error:[/red] {exc.args[0]}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KBError as exc:
        from kb.config import mask

        err.print(f"[red]error:[/red] {mask(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
