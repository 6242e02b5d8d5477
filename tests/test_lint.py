"""ruff and mypy are part of the test run, so CI keeps the code clean and typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout


def test_mypy_is_clean():
    targets = [p for p in ("kb", "loaders", "bench") if (ROOT / p).is_dir()]
    res = subprocess.run([sys.executable, "-m", "mypy", *targets], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout
