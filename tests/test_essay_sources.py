"""The essay's notebooks are generated from MyST Markdown sources (jupytext) and kept in sync.

Edit ``essay/<name>.md``, then regenerate the paired notebook:

    .venv/bin/jupytext --to ipynb essay/grokking.md essay/classroom.md

These tests fail when a committed ``.ipynb`` no longer matches its source, and check
the rules the prose is written to: short paragraphs, the learning coefficient before
Type A/B, citations that resolve, and the answer key kept out of the students' notebook.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ESSAY = Path(__file__).resolve().parent.parent / "essay"
SOURCES = sorted(ESSAY.glob("*.md"))
NOTEBOOKS = sorted(ESSAY.glob("*.ipynb"))
MAX_WORDS = 120  # per paragraph, or per list item


def test_every_notebook_has_a_source_and_every_source_a_notebook():
    assert {p.stem for p in SOURCES} == {p.stem for p in NOTEBOOKS}
    assert {"grokking", "classroom"} <= {p.stem for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_source_is_a_paired_myst_notebook(source):
    meta = jupytext.read(source).metadata
    assert meta["jupytext"]["formats"] == "ipynb,md:myst"
    assert meta["jupytext"]["text_representation"]["format_name"] == "myst"
    assert meta["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_committed_notebook_matches_its_source(source):
    fresh = jupytext.read(source)
    committed = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    hint = f"regenerate: .venv/bin/jupytext --to ipynb essay/{source.name}"
    assert [c.cell_type for c in committed.cells] == [c.cell_type for c in fresh.cells], hint
    for i, (old, new) in enumerate(zip(committed.cells, fresh.cells, strict=True)):
        assert old.source == new.source, f"cell {i} differs from the source; {hint}"
    assert committed.metadata.get("title") == fresh.metadata.get("title"), hint


def _prose_blocks(text: str) -> list[str]:
    """Paragraphs and list items of the Markdown cells (code, math and front matter out)."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    blocks = []
    for para in re.split(r"\n\s*\n", text):
        items = re.split(r"\n(?=\s*(?:[-*]|\d+\.) )", para)
        blocks += [b for b in items if b.strip() and b.strip() != "+++"]
    # Tables are read cell by cell, not as prose.
    return [b for b in blocks if not b.lstrip().startswith("|")]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_paragraphs_are_short(source):
    long = [
        (len(b.split()), b[:60]) for b in _prose_blocks(source.read_text("utf-8"))
        if len(b.split()) > MAX_WORDS
    ]  # fmt: skip
    assert long == []


def test_teacher_notes_are_short_too():
    long = [
        b[:60]
        for b in _prose_blocks((ESSAY / "teacher" / "answer_key.md").read_text("utf-8"))
        if len(b.split()) > MAX_WORDS
    ]
    assert long == []


def _markdown(name: str) -> str:
    nb = jupytext.read(ESSAY / name)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_learning_coefficient_and_free_energy_come_before_type_a_and_b():
    text = _markdown("grokking.md")
    free_energy = text.index("<i>F<sub>n</sub></i> ≈ <i>n</i> <i>L<sub>n</sub></i>(<i>w</i>*)")
    assert free_energy < text.index("**Type A**") and free_energy < text.index("**Type B**")
    # lambda is introduced once: one section defines it.
    assert text.count("**learning coefficient**") == 1


def test_the_essay_opens_on_the_measured_runs():
    nb = jupytext.read(ESSAY / "grokking.md")
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert 'CurvesWidget(timeline, source="measured")' in first_code


def test_widgets_follow_the_prose_that_asks_for_them():
    nb = jupytext.read(ESSAY / "grokking.md")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and re.search(r"\b[A-Z]\w*Widget\(", cell.source):
            assert nb.cells[i - 1].cell_type == "markdown", f"cell {i} has no prose before it"


def test_the_evidence_widgets_are_placed():
    code = "\n".join(c.source for c in jupytext.read(ESSAY / "grokking.md").cells)
    for name in ("SweepWidget()", "PhaseDiagramWidget()", "LLCLossWidget()",
                 "EstimatorTrustWidget()"):  # fmt: skip
        assert name in code


CITATIONS = {
    "2201.02177": "Power",
    "2301.05217": "Nanda",
    "2308.12108": "Lau",
    "2402.02364": "Hoogland",
    "2310.06301": "Chen",
    "2210.01117": "Liu",
}


def test_citations_resolve_to_the_references():
    text = _markdown("grokking.md")
    refs = text[text.index("## References") :]
    for arxiv, author in CITATIONS.items():
        assert f"arXiv:{arxiv}" in refs and author in refs
        assert f"https://arxiv.org/abs/{arxiv}" in text[: text.index("## References")]
    assert "Algebraic Geometry and Statistical Learning Theory" in refs
    assert "Mathematical Theory of Bayesian Statistics" in refs
    assert "pair.withgoogle.com/explorables/grokking" in refs
    # Every arXiv id quoted anywhere is one of the references.
    assert set(re.findall(r"\d{4}\.\d{5}", text)) <= set(CITATIONS)


def test_the_essay_ends_with_measured_versus_assumed():
    text = _markdown("grokking.md")
    assert text.index("## Measured vs assumed") > text.index("## Adding rules")


@pytest.mark.parametrize("name", ["grokking.md", "classroom.md"])
def test_no_code_cell_reaches_the_network(name):
    for cell in jupytext.read(ESSAY / name).cells:
        if cell.cell_type == "code":
            assert not re.search(r"https?://|urllib|requests|socket", cell.source)


def test_the_students_notebook_has_no_answer_key():
    classroom = (ESSAY / "classroom.md").read_text("utf-8").lower()
    assert "answer key" not in classroom
    assert (ESSAY / "teacher" / "answer_key.md").exists()
    # Every answer placeholder is None, so nothing passes before the student answers.
    nb = jupytext.read(ESSAY / "classroom.md")
    answers = [
        line
        for c in nb.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if line.startswith("my_")
    ]
    assert len(answers) >= 5 and all(re.match(r"my_\w+ = None\b", a) for a in answers)


def test_the_class_has_objectives_and_an_exit_ticket():
    text = _markdown("classroom.md")
    assert "By the end of this class you can" in text and "## Exit ticket" in text
    plan = (ESSAY / "teacher" / "answer_key.md").read_text("utf-8")
    rows = re.findall(r"^\| (\d+)-(\d+) \|", plan, flags=re.M)
    minutes = [(int(a), int(b)) for a, b in rows]
    assert minutes[0][0] == 0 and minutes[-1][1] == 50
    assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(minutes))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_prose_has_no_tex_math(source):
    # Neither edition loads a math renderer (no CDN, nothing vendored): TeX would be
    # shown to readers as source. Formulas are written in HTML (<i>, <sub>).
    nb = jupytext.read(source)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for marker in ("$$", "\\(", "\\[", "\\frac", "\\lambda", "\\approx"):
        assert marker not in prose, f"{source.name} has TeX ({marker!r})"
