"""Write the essay notebooks from this script's text, stripped of outputs.

Editing prose here (not in the .ipynb JSON) keeps diffs readable. Run:
    .venv/bin/python scripts/make_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent

GROKKING = [
    (
        "md",
        """# Grokking: when a network stops memorizing and starts understanding

*An explorable essay. Every figure below is computed live in this page's Python
kernel: drag a slider and the model behind the picture runs again.*

Train a small network on a task with a clean hidden rule, such as adding numbers
modulo a prime, and two things can happen at very different times. First, it learns
the examples it was shown: the training loss goes to nearly zero within a few
hundred steps. Nothing about new examples has been learned yet; the network has
built something like a lookup table. Then, if training simply continues, often for
many times longer, the error on examples it has *never* seen can collapse, abruptly,
after a long stretch in which every curve looked flat. Power and colleagues named
this *grokking* in 2022.

Why would understanding arrive so late, and so suddenly? This essay follows one
answer, from Singular Learning Theory: learning is a sequence of moves between
*singular* solutions of different complexity, and grokking is a move to a
**simpler** one.""",
    ),
    (
        "md",
        """## Two kinds of transition

Call a move toward a *more* complex solution, one that uses more effective
parameters, a **Type A** transition. That is memorization: each new training example
costs the network a little more capacity. Call a move toward a *simpler* solution
that still fits every training example a **Type B** transition. That is grokking:
the network finds the rule, and the bulky lookup table becomes unnecessary.

The figure shows both. Blue circles are a run that can only accumulate (Type A);
gold diamonds are a run that groks (Type B). Thin solid lines are training loss,
thick solid lines are test loss on unseen pairs, and dashed lines are complexity
(right axis, 1 means a full lookup table of the training set).

Things to try:

- **Regularization** is the pressure toward simple solutions (think weight decay).
  Raise it and the gold drop moves left: grokking comes sooner. Lower it below
  about 0.1 and it no longer happens within 10,000 steps at all.
- Switch **Complexity** off and on. Look at the gold dashed line at the moment the
  test loss falls: it does not level off, it *drops*. The run gets simpler at the
  very moment it gets better.
- Press **Play** to run the training-step cursor from the first step to the last.""",
    ),
    (
        "code",
        """from grokwidgets.widgets import CurvesWidget, StructureWidget, Timeline

# One timeline shared by both figures: the step cursor and the regularization.
timeline = Timeline()
CurvesWidget(timeline)""",
    ),
    (
        "md",
        """These curves are drawn from a small model of the two behaviours
(`grokwidgets.curves.learning_curves`), shaped after what real runs do: the
plateau's length goes roughly as one over the weight decay, as the Omnigrok paper
measured and as our own trained network shows further on. The drawing makes the
argument visible; the trained network is what checks it.""",
    ),
    (
        "md",
        """## What the network looks like inside

Complexity is abstract, so here it is as wiring. Both toy networks below have the
same 88 possible connections, and at every training step the share of them in use
equals that run's complexity in the figure above. The sliders under this panel are
the same sliders as above: move either set and both figures follow.

On the left, the Type A network adds connections in no particular order; by the end
it is a dense tangle, one arbitrary pathway per memorized example. On the right,
the Type B network first grows just as tangled, because it memorizes too; at its
transition it sheds most of them and keeps a small, regular core: a few clean
pathways, each hidden unit reading two inputs and feeding two outputs.""",
    ),
    ("code", "StructureWidget(timeline)"),
    (
        "md",
        """## Why the simpler solution wins, eventually

Early in training, the memorizing solution is the easiest one to reach, so it is
reached first. But it is expensive: weight decay charges rent on every parameter it
uses. The generalizing solution fits the same training data with far fewer effective
parameters, so under that pressure it is the cheaper place to be. The network gets
there slowly, because on the plateau the training loss is already near zero and the
gradient from the data says almost nothing; what moves the weights is the gentle,
steady push of regularization along directions in which the loss is flat.

Stronger regularization pushes harder and grokking arrives sooner; none at all, and
nothing pulls the network out of the memorizing solution. The rest of the essay
trains a real network to check this, and measures its complexity as it goes.""",
    ),
]


def build(cells: list[tuple[str, str]], title: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "title": title,
    }
    nb.cells = [
        new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def main() -> None:
    out = ROOT / "essay" / "grokking.ipynb"
    nbformat.write(build(GROKKING, "Grokking"), out)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
