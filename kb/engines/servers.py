"""Stop the local servers that were started under some folders, by the process ids they
recorded there (``falkordb.pid`` of an embedded KB_HOME, ``run/neo4j-PORT.json`` of a local
Neo4j) — never by a pattern on the command line, so nobody else's server is touched.

    python -m kb.engines.servers FOLDER...     # CI's clean-up, also after failed tests
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kb.engines import embedded, neo4j_local


def stop_recorded(folders: list[Path]) -> list[str]:
    """Stop every server recorded under ``folders``; returns what was stopped."""
    stopped: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for pidfile in sorted(folder.rglob("falkordb.pid")):
            if embedded.stop_server(pidfile.parent):
                stopped.append(f"embedded FalkorDB of {pidfile.parent}")
        for state in sorted(folder.rglob("run/neo4j-*.json")):
            try:
                pid = int(json.loads(state.read_text()).get("pid") or 0)
            except (OSError, ValueError):
                continue
            if neo4j_local._is_ours(pid):  # the recorded pid is still our launcher, not a reused one
                neo4j_local._terminate(pid, 30)
                stopped.append(f"Neo4j pid {pid} ({state})")
            state.unlink(missing_ok=True)
    return stopped


def main(argv: list[str]) -> int:
    for line in stop_recorded([Path(a) for a in argv]):
        print(f"stopped {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
