"""Every essay notebook runs top to bottom in a fresh kernel, cleanly."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ESSAY = Path(__file__).resolve().parent.parent / "essay"
NOTEBOOKS = sorted(ESSAY.glob("*.ipynb"))


def test_there_is_an_essay():
    assert ESSAY / "grokking.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "strip outputs"
    assert "widgets" not in nb.metadata, "strip widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_without_errors_or_warnings(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ESSAY)}}
    )
    client.execute()
    problems = []
    widgets_shown = 0
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"cell {i} wrote to stderr: {out.text[:300]}")
            elif "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                widgets_shown += 1
    assert problems == []
    # Every widget the notebook builds reaches the page: no figure is built and lost.
    constructed = sum(
        len(re.findall(r"\b[A-Z]\w*Widget\(", cell.source))
        for cell in nb.cells
        if cell.cell_type == "code"
    )
    assert constructed >= 1
    assert widgets_shown >= constructed
