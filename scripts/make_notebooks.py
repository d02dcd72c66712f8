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
        """## Why "singular" matters

Textbook statistics pictures a model's loss as a bowl: one best parameter setting
at the bottom, curving up in every direction. Near such a minimum a model with *d*
parameters behaves as if it used all *d* of them, and the price it pays for that
flexibility (in the Bayesian evidence, or in how badly it can overfit) grows like
*d*/2 times the log of the amount of data.

Neural networks are not like that. Many different weight settings compute exactly
the same function: swap two hidden units, scale one layer up and the next down,
switch off a unit and whatever feeds it no longer matters. So the set of best
settings is not a point but a tangle of valleys, ridges and crossings, and at
those places the Hessian of the loss has eigenvalues that are exactly zero. The
geometry there is *degenerate*, or **singular**.

Sumio Watanabe's Singular Learning Theory says what replaces *d*/2 at such a
place: a number called the **real log canonical threshold**, or learning
coefficient, written λ. It measures how fast the volume of nearly-as-good
parameters shrinks as you demand a better fit. The flatter and more degenerate the
solution, the smaller λ, and the fewer parameters the model is *effectively*
using. λ is the complexity in this essay: a Type A transition moves to a solution
with a larger λ, a Type B transition to one with a smaller λ.""",
    ),
    (
        "md",
        """Picture the loss as terrain over a map of the weights, and training as a marble that
rolls downhill while being jostled by noise. In the left panel below, the terrain is
a round bowl: there is exactly one lowest spot, and every marble ends up there,
wherever it starts. That is a *regular* minimum. In the right panel the floor is not
a point but a whole line (here two lines that cross): along the valley floor the
loss does not change at all, so each marble simply stops wherever it first reaches
the floor and then drifts along it. That is a *singular*, or degenerate, minimum.
Singular Learning Theory measures this with the learning coefficient $\\lambda$:
roughly, how quickly the set of "almost as good" weights grows as you tolerate a
little more loss. The bowl has $\\lambda = 1$; the valley has $\\lambda = 1/2$, and
its crossing, where both directions are free at once, is more degenerate still.
Smaller $\\lambda$ means more room at the bottom, and a simpler solution.""",
    ),
    (
        "code",
        """from grokwidgets.widgets import BasinsWidget, SingularityWidget

SingularityWidget()""",
    ),
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
nothing pulls the network out of the memorizing solution.""",
    ),
    (
        "md",
        """## Basins and the barrier

The second figure has two basins. The one on the right is narrow and steep and,
without regularization, slightly deeper: a solution that fits the training data a
bit better by memorizing it. The one in the middle is wide and, in one direction,
almost flat (its $\\lambda$ is $3/4$ against the steep basin's $1$): the simpler,
generalizing solution. Between them lies a ridge. Marbles that start in the steep
basin stay there, jiggling, far longer than we let them run; in a learning curve,
that waiting is the long plateau after the training loss has already hit bottom.

Now move the **Regularization** slider. Weight decay adds a cost that grows with the
distance from the origin, so it leaves the simple basin untouched but lifts the far
one: its floor rises, the ridge in front of it shrinks (from about 0.97 with no
decay to 0.27 at 0.5 and 0.04 at 0.8), and more and more marbles hop over into the
broad basin. Past about 0.92 the steep basin stops being a basin at all; the simple
one is the only place a marble can come to rest. The small plot on the right shows
how abruptly the share of escaped marbles climbs, and it does so for each of the
three seeds shown.

Treat all of this as a cartoon. The real network has thousands of weights, not two;
its memorizing and generalizing solutions are not two tidy wells on a plane, and
"flat in one direction" stands in for a great many redundant directions at once. The
heights, temperatures and step counts here were picked so the story is visible in a
few seconds, so read the figure for its shape, not for its numbers.""",
    ),
    ("code", "BasinsWidget()"),
    (
        "md",
        """## A real network, trained in this page

The curves so far are a drawing. Here is the real thing: a small neural network
learning addition modulo 53. Each residue gets a learned 16-number embedding;
the embeddings of *a* and *b* feed a hidden layer of 128 units with a squaring
activation, which feeds 53 outputs, one per possible answer. It trains on 40% of
the 2,809 pairs and is tested on the rest, with the AdamW optimizer, in plain
numpy, in this page's kernel.

What opens below is a run we saved with weight decay 1. Read the left panel from
left to right. Training accuracy (solid) reaches 100% within the first hundred
steps: the network has memorized its 1,124 training pairs. Test accuracy (dashed)
is still near chance (1 in 53) at that point, and it stays low for hundreds of
steps. Then it climbs to 100% in a short burst. The dotted line marks the first
step with 95% test accuracy.

Now change **Weight decay**. At 0 the network memorizes just as fast and never
generalizes within the 3,000 steps; at 0.3 it groks late, at 0.5 sooner, at 2
soon after memorizing. Press **Train** to run any setting live (3,000 steps: 4 to 6
seconds on our 2-core test machine), and **Stop** whenever you like.

The lower panels show the weights at the checkpoint you pick with the slider:
the embedding and output matrices as heatmaps, and how the embedding's energy
splits across Fourier frequencies over the residues. Move the slider from the
start to the end of the run: the spectrum goes from flat noise to a handful of
tall bars. The network has found that adding numbers modulo 53 is rotating around
a circle, and it represents each residue by a few waves, as Nanda and colleagues
found when they reverse-engineered networks like this one.""",
    ),
    (
        "code",
        """from grokwidgets.widgets import LabWidget

LabWidget()""",
    ),
    (
        "md",
        """## Measuring the complexity

So far "complexity" was either drawn or counted in a toy diagram. For the real
network we can estimate the learning coefficient λ itself, at every saved
checkpoint, with the method of Lau and colleagues: start a sampler at the
checkpoint's weights, let it wander through nearby weights that fit the training
data almost as well (stochastic-gradient Langevin dynamics, held near the start by
a spring), and measure how much worse the loss gets on average. Where the good
region is broad and flat, the wandering costs little and λ is small; where it is
narrow, λ is large.

The panels below put the estimate (middle, log scale) next to the losses (top) and
the share of the embedding's energy in its five strongest Fourier frequencies
(bottom). Pick other shipped runs, or press **Measure a fresh run** to train a new
seed and estimate its curve live (about 15 seconds on our 2-core machine).""",
    ),
    (
        "code",
        """from grokwidgets.widgets import ComplexityWidget

ComplexityWidget()""",
    ),
    (
        "md",
        """What the measurement shows, for the run with weight decay 1:

- **Up while memorizing.** The estimate climbs from about 270 to about 480 as the
  network memorizes (step 50): a Type A move toward a more complex solution.
- **Down through the plateau.** It then falls steadily, to about 170 by step 300
  while test accuracy is still about 6%, to about 30 when test accuracy reaches
  95% (step 500), and to about 5 a thousand steps later: a Type B move, a hundredfold
  simpler solution that fits the same data.
- **No weight decay, no fall.** The gray dashed curve is the run without weight
  decay: it climbs past 7,000 and never comes down, and that network never
  generalizes.

Read it with its caveats. The estimate is relative, not an absolute count of
parameters: it depends on the sampler's settings (inverse temperature *n*/log *n*
≈ 160, spring strength γ = 100, step size 10⁻³, 2 chains of 200 draws, batches of
256), and those shrink it in very flat directions. Most of the fall happens
*during* the plateau, not at the moment test accuracy jumps, and after
memorization it moves together with the training loss; so it shows the network
getting simpler, not an alarm that rings only at grokking. Late in training
AdamW's occasional loss spikes make it jump up for a checkpoint or two. And
without weight decay part of its rise comes from the weights simply growing,
which sharpens the loss at a fixed sampling scale. The Fourier share tells the
same story in the network's own terms: about 0.31 at memorization, 0.45 by step
200 while test accuracy is still 1%, 0.84 at grokking and 0.95 by the end.""",
    ),
    (
        "md",
        """## The plateau is not idle

From the outside, the long flat stretch looks like wasted compute: the training
loss is already tiny and the test loss does not move. Inside, the weights are
busy. The memorizing solution and the generalizing one fit the training set equally
well, and between them runs a path along which the training loss hardly changes.
Regularization walks the network down that path, slowly trading the bulky lookup
table for the compact rule, while the test loss waits for the rule to become good
enough to win on unseen pairs. When it does, the visible change is abrupt, but the
work that made it possible happened quietly, during the plateau.""",
    ),
    (
        "md",
        """## A system that learns, and one that keeps adding rules

The same two kinds of change show up outside neural networks. A person, a team or
a piece of software that keeps failing in the same way can respond by adding one
more rule, one more checklist item, one more monitor. Each addition is a Type A
step: the system grows, fits the last failure, and stays just as likely to fail in
a new way, because it has stored cases instead of learning what produces them.

The other response is structural: change the system so that the failure can no
longer happen, and the pile of rules written to prevent it becomes unnecessary and
can be removed. That is a Type B step. The system gets simpler and better at the
same moment, which is what the gold curves above show a network doing when it
groks.""",
    ),
    (
        "md",
        """## References

- A. Power, Y. Burda, H. Edwards, I. Babuschkin, V. Misra (2022). *Grokking:
  Generalization beyond overfitting on small algorithmic datasets.* arXiv:2201.02177.
- S. Watanabe (2009). *Algebraic Geometry and Statistical Learning Theory.*
  Cambridge University Press.
- N. Nanda, L. Chan, T. Lieberum, J. Smith, J. Steinhardt (2023). *Progress measures
  for grokking via mechanistic interpretability.* ICLR 2023, arXiv:2301.05217.
- E. Lau, Z. Furman, G. Wang, D. Murfet, S. Wei (2024). *Quantifying degeneracy in
  singular models via the learning coefficient.* arXiv:2308.12108.
- Z. Liu, E. J. Michaud, M. Tegmark (2023). *Omnigrok: Grokking beyond algorithmic
  data.* ICLR 2023, arXiv:2210.01117.""",
    ),
    (
        "code",
        """# On the Voila page the figures above wait until here to draw their first frames,
# so the kernel draws them while the browser starts the page. Elsewhere: nothing.
from grokwidgets.widgets import draw_held_figures

draw_held_figures();""",
    ),
]


CLASSROOM = [
    (
        "md",
        """# Grokking in class: predict, then check

Each exercise asks you to **predict first**, write the prediction in the cell, and
only then run it. The `check_...` functions compute the true answer from the same
models the essay uses, and tell you whether you were right and why. Everything
runs on this computer; no network is needed.

Run the cells from top to bottom (Shift+Enter).""",
    ),
    (
        "code",
        """from grokwidgets.classroom import (
    check_complexity_at_transition,
    check_doubling,
    check_grok_delay,
    check_which_grok,
)
from grokwidgets.curves import learning_curves
from grokwidgets.runs import load_run  # noqa: F401 (used in exercise 5)
from grokwidgets.widgets import CurvesWidget, LabWidget, StructureWidget, Timeline""",
    ),
    (
        "md",
        """## 1. Doubling the pressure

With regularization 0.5 the grokking run (Type B) has its transition at the step
printed below. **Predict:** at regularization 1.0, at which step will it happen?""",
    ),
    ("code", """learning_curves("B", regularization=0.5).transition_step"""),
    (
        "code",
        """my_prediction = 1000  # <- your prediction: a step number
check_doubling(my_prediction)""",
    ),
    (
        "md",
        """Now check it on the figure: set the regularization slider to 0.5, then 1.0, and
watch the gold drop.""",
    ),
    ("code", "timeline = Timeline()\nCurvesWidget(timeline)"),
    (
        "md",
        """## 2. What happens to complexity at the transition?

**Predict:** when the grokking run's test loss drops, does its complexity `"rise"`,
`"level off"` or `"fall"`? Then look at the dashed gold line above and at the
network diagrams below.""",
    ),
    (
        "code",
        """my_answer = "level off"  # <- "rise", "level off" or "fall"
check_complexity_at_transition(my_answer)""",
    ),
    ("code", "StructureWidget(timeline)"),
    (
        "md",
        """## 3. A real network: how long is the plateau?

The shipped run trains a small network on addition modulo 53 with weight decay 1.
**Predict:** it memorizes its training pairs first; how many times later does it
generalize? (e.g. 2 means twice as late.)""",
    ),
    (
        "code",
        """my_ratio = 2  # <- your prediction
check_grok_delay(my_ratio)""",
    ),
    (
        "md",
        """## 4. Below which weight decay does it fail?

The shipped runs use weight decay 0, 0.3, 0.5, 1 and 2. **Predict:** which of them
reach 95% test accuracy within 1,500 steps? Then check in the lab below: pick each
weight decay and read the dotted line, or press **Train** to see it happen.""",
    ),
    (
        "code",
        """my_set = [1, 2]  # <- the weight decays you think grok within 1,500 steps
check_which_grok(my_set, budget=1500)""",
    ),
    ("code", "LabWidget()"),
    (
        "md",
        """## 5. Change the code

The models are plain Python. Try, in a new cell:

- `learning_curves("B", 0.05).transition_step`: why `None`? Try `steps=100_000`.
- `load_run(2.0).history.test_acc`: find the first step above 0.5 by hand.
- Train your own: `from grokwidgets.experiment import train`, then
  `run = train(weight_decay=0.5, steps=1500)` and `run.grok_step` (a few seconds).""",
    ),
    (
        "md",
        """---
## Teacher's guide

**Timing.** About 40 minutes: 5 to introduce memorizing versus understanding, 25
for the five exercises in pairs, 10 to discuss. Exercise 4's live training takes a
few seconds per run on a laptop; a class sharing one server should use the shipped
runs and train only a few live.

**What to ask.**
- Before exercise 1: "If something takes longer when the pressure is weaker, what
  happens with no pressure at all?" (No transition: try regularization near 0.01.)
- After exercise 2: "The network gets better *and* simpler at the same moment. Why
  is that surprising if you think of learning as adding knowledge?"
- After exercise 4: "Training accuracy was 100% for most of the run. What was the
  network doing all that time?" (Reorganizing: the Fourier spectrum sharpens during
  the plateau, before the test accuracy moves.)

**Common misconceptions.**
- *"Training had converged, so nothing was happening."* The training loss keeps
  falling slowly and the weights keep moving; only the training *accuracy* is flat.
- *"Grokking is overfitting going away by luck."* It is repeatable (three seeds in
  the shipped runs) and its timing follows the weight decay.
- *"Complexity means number of parameters."* The network has the same number of
  weights throughout; what changes is how many of them it effectively uses.
- *"More regularization is always better."* Too much and the network cannot fit
  the training set at all; the sweet spot is a range, not a maximum.""",
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
    for name, cells, title in (
        ("grokking.ipynb", GROKKING, "Grokking: when a network stops memorizing"),
        ("classroom.ipynb", CLASSROOM, "Grokking in class"),
    ):
        out = ROOT / "essay" / name
        nbformat.write(build(cells, title), out)
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
