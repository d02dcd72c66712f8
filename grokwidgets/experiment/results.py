"""What a run returns: :class:`Run`, its :class:`History`, and a callback's :class:`Progress`."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from grokwidgets.experiment.config import RunConfig

#: Test accuracy that counts as "grokked".
GROK_ACCURACY = 0.95
#: Training accuracy that counts as "memorized".
MEMORIZATION_ACCURACY = 0.99


@dataclass(frozen=True, eq=False)
class History:
    """Metrics at every evaluation of a run (all arrays have the same length).

    Attributes
    ----------
    step : ndarray of int64
        The evaluated steps: 0, ``eval_every``, ``2 * eval_every``, ... and the last.
    train_loss, test_loss : ndarray of float64
        Mean cross-entropy in nats on the training and test sets.
    train_acc, test_acc : ndarray of float64
        Accuracy in [0, 1].
    weight_norm : ndarray of float64
        L2 norm of all parameters together.
    """

    step: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    weight_norm: np.ndarray

    def __len__(self) -> int:
        return int(self.step.size)


@dataclass(frozen=True)
class Progress:
    """What a :func:`train` callback is told at each evaluation."""

    step: int
    steps: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    weight_norm: float


class StopTraining(Exception):
    """Raise from a callback to stop training at the current step (same as returning False)."""


@dataclass(frozen=True, eq=False)
class Run:
    """A finished (or stopped, or in-progress snapshot of a) training run.

    Attributes
    ----------
    config : RunConfig
    history : History
    checkpoint_steps : ndarray of int64
        Sorted steps at which the parameters were saved.
    checkpoints : mapping of str to ndarray of float32
        Read-only. Per parameter name, the stacked checkpoints: shape ``(len(checkpoint_steps),
        *config.param_shapes[name])``.
    step : int
        Steps trained (``config.steps`` unless stopped early or a snapshot).
    stopped_early : bool
        True if a callback stopped training before ``config.steps``.
    """

    config: RunConfig
    history: History
    checkpoint_steps: np.ndarray
    checkpoints: Mapping[str, np.ndarray] = field(repr=False)
    step: int
    stopped_early: bool = False

    @property
    def grok_step(self) -> int | None:
        """First evaluated step with test accuracy >= 0.95, or None if none."""
        return _first_at_least(self.history.step, self.history.test_acc, GROK_ACCURACY)

    @property
    def memorization_step(self) -> int | None:
        """First evaluated step with training accuracy >= 0.99, or None if none."""
        return _first_at_least(self.history.step, self.history.train_acc, MEMORIZATION_ACCURACY)

    def params_at(self, step: int) -> dict[str, np.ndarray]:
        """The parameters saved at ``step`` (must be one of ``checkpoint_steps``)."""
        is_int = not isinstance(step, bool) and isinstance(step, numbers.Integral)
        hits = np.flatnonzero(self.checkpoint_steps == step) if is_int else np.zeros(0)
        if hits.size == 0:
            raise ValueError(
                f"step must be one of the checkpoint steps {self.checkpoint_steps.tolist()}, "
                f"got {step!r}"
            )
        return {name: arr[hits[0]] for name, arr in self.checkpoints.items()}

    @property
    def final_params(self) -> dict[str, np.ndarray]:
        """The parameters at the last checkpoint."""
        if self.checkpoint_steps.size == 0:
            raise ValueError("this run has no checkpoints (checkpoint_steps was empty)")
        return {name: arr[-1] for name, arr in self.checkpoints.items()}


def _first_at_least(steps: np.ndarray, values: np.ndarray, level: float) -> int | None:
    hits = np.flatnonzero(values >= level)
    return int(steps[hits[0]]) if hits.size else None
