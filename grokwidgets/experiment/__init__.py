"""A real grokking run: a small network learns modular arithmetic, in pure numpy.

The task is ``c = (a op b) mod p`` over every pair of residues ``a, b`` for a prime
``p``; a seeded fraction of the pairs is the training set and the rest is the test
set. The model is a one-hidden-layer network:

    h      = E[a] @ W_a + E[b] @ W_b          (hidden pre-activation, width ``hidden``)
    logits = (h ** 2) @ W_out                 (``p`` classes)

where ``E`` is a learned embedding of the residues, ``p x embed_dim``, shared by
the two inputs (``embed_dim=None`` uses one-hot rows instead, so that ``W_a``
and ``W_b`` are themselves the per-residue embeddings). Squaring ``h`` makes
products like ``cos(w a) cos(w b)`` of the two inputs, and those combine into
``cos(w (a + b))``: the trigonometric identities behind the Fourier algorithm
that networks are known to find for modular addition.

Training is full batch, float32, cross-entropy, with AdamW (decoupled weight
decay, betas 0.9 and 0.98) and hand-written backpropagation. At the defaults
(p = 53, addition, 40% of the pairs for training, weight decay 1, lr 1e-2, hidden
128, embedding 16) the network memorizes the training set in 40-50 steps, with
the test accuracy still at chance (below 1%), and then, after a plateau,
generalizes (test accuracy >= 95%) at 500-890 steps (seeds 0-9, measured). The
steps to grok fall as the weight decay grows, roughly like 1 / weight decay
(seed 0: 1550, 890, 500, 300 steps at weight decay 0.3, 0.5, 1, 2), and without
weight decay the network never groks within the 3000-step budget. One-hot inputs
grok sooner (430-440 steps, seeds 0-2). A full-batch step takes about 1.3 ms on
one core (measured on a 2-core AMD EPYC; see ``benchmarks/train_speed.py``).

Three ways in:

- :func:`train` runs to the end (or until a ``callback`` says stop) and returns a
  frozen :class:`Run`: the config, the :class:`History` of metrics at every
  evaluation, and float32 parameter checkpoints.
- :class:`Trainer` does the same in chunks (``trainer.step(50)``) with a
  :attr:`Trainer.run` snapshot in between, for a widget that trains a little,
  redraws, trains more.
- :func:`make_loss_and_grad` gives the minibatch loss and its gradient over a flat
  parameter vector, for samplers such as SGLD.

Small matrices train faster on one BLAS thread than on two when the cores are
shared, so training steps run with BLAS limited to one thread (see
:func:`single_threaded_blas`).

Modules: :mod:`~grokwidgets.experiment.data` (the dataset),
:mod:`~grokwidgets.experiment.config` (:class:`RunConfig`, the one place the
settings are written), :mod:`~grokwidgets.experiment.model` (parameters, the
network, the loss for samplers), :mod:`~grokwidgets.experiment.training`
(AdamW, :class:`Trainer`, :func:`train`), :mod:`~grokwidgets.experiment.results`
(:class:`Run`, :class:`History`) and :mod:`~grokwidgets.experiment.blas`.
"""

from grokwidgets.experiment.blas import single_threaded_blas
from grokwidgets.experiment.config import (
    DEFAULT_STEPS,
    MAX_GRID,
    MAX_LR,
    MAX_STEPS,
    MAX_WIDTH,
    RunConfig,
)
from grokwidgets.experiment.data import MAX_P, OPS, Dataset, make_dataset
from grokwidgets.experiment.model import (
    flatten_params,
    init_params,
    make_loss_and_grad,
    model_logits,
    unflatten_params,
)
from grokwidgets.experiment.results import (
    GROK_ACCURACY,
    MEMORIZATION_ACCURACY,
    History,
    Progress,
    Run,
    StopTraining,
)
from grokwidgets.experiment.training import BETAS, EPS, Trainer, default_checkpoint_steps, train

__all__ = [
    "DEFAULT_STEPS",
    "GROK_ACCURACY",
    "MEMORIZATION_ACCURACY",
    "OPS",
    "Dataset",
    "History",
    "Progress",
    "Run",
    "RunConfig",
    "StopTraining",
    "Trainer",
    "default_checkpoint_steps",
    "flatten_params",
    "init_params",
    "make_dataset",
    "make_loss_and_grad",
    "model_logits",
    "single_threaded_blas",
    "train",
    "unflatten_params",
]

# Constants that are not in __all__ but importable from here, as before.
_CONSTANTS = (BETAS, EPS, MAX_GRID, MAX_LR, MAX_P, MAX_STEPS, MAX_WIDTH)
