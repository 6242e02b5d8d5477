"""examples/analyst-tour.ipynb runs from top to bottom against the embedded default
(a KB_HOME of its own), in a python3 kernel of this environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "analyst-tour.ipynb"


@pytest.mark.slow
def test_analyst_tour_runs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for var in ("KB_URI", "KB_GRAPH", "KB_DATABASE", "KB_USER", "KB_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))  # the kernel inherits the environment
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    work = tmp_path / "work"
    work.mkdir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    try:
        client.execute()
    finally:
        from kb.engines import embedded

        embedded.stop_server(tmp_path / "home")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "the two charts"
    text = "\n".join(o.get("text", "") if isinstance(o.get("text"), str) else "" for o in outputs)
    assert "refused" in text  # the write was refused
    assert "Dysprosium" in text  # the console cell
    assert "DS433" in text or any("DS433" in str(o.get("data", {})) for o in outputs)  # the story reaches the dispute
    assert any("military end users" in str(o.get("data", {})) for o in outputs)  # and the 2026 ban
    page = work / "japan-disputes.html"
    assert page.exists() and page.stat().st_size > 300_000
    shutil.rmtree(work, ignore_errors=True)
