"""The run settings: :class:`RunConfig`, the one place they are written, and their bounds.

:func:`grokwidgets.experiment.train` and :class:`grokwidgets.experiment.Trainer`
take the same settings as keywords; their signatures and the settings part of
their docstrings are made here, from :class:`RunConfig`'s fields
(:func:`settings_signature`, :data:`SETTINGS_DOC`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING, Any

from grokwidgets._validation import (
    AnyOf,
    Integer,
    InvalidParameterError,
    Options,
    Real,
)
from grokwidgets.experiment.data import MAX_P, OPS, Prime, make_dataset

if TYPE_CHECKING:
    from grokwidgets.experiment.data import Dataset

#: Default number of training steps: long enough for every default-setting seed we
#: measured to grok with room to spare (seeds 0-9: by step 890), and for weight
#: decay 0.3 at seed 0 (step 1550). The shipped runs all use it.
DEFAULT_STEPS = 3000

# Bounds on the sizes a config may ask for, so that a typo in class (p=10007,
# hidden=10**6) is an error message rather than a kernel that hangs or runs out of
# memory. Each is far above anything the essay, the lab or the classroom uses.
#: Largest hidden width and embedding width.
MAX_WIDTH = 1024
#: Most training steps a config may ask for (about 4 hours at the defaults).
MAX_STEPS = 10_000_000
#: Largest learning rate: AdamW moves each weight by about ``lr`` per step, and far
#: above 1 the float32 activations overflow within a few steps.
MAX_LR = 1.0
#: Largest ``p * p * hidden``: the (p * p, hidden) float32 array a training step
#: fills (512 MiB at this bound; 0.36 M elements at the defaults).
MAX_GRID = 2**27

_SEED = Integer(0)

#: What each setting may be (cross-setting checks are in ``RunConfig.__post_init__``).
CONSTRAINTS = {
    "p": Prime(MAX_P),
    "op": Options(OPS),
    "train_fraction": Real(gt=0, lt=1),
    "weight_decay": Real(ge=0),
    "lr": Real(gt=0, le=MAX_LR, joint=False),
    "hidden": Integer(1, MAX_WIDTH),
    "embed_dim": AnyOf(Integer(1, MAX_WIDTH), none=True),
    "steps": Integer(1, MAX_STEPS),
    "seed": _SEED,
    "eval_every": Integer(1),
}

_CHECK_ORDER = (
    "weight_decay",
    "lr",
    "embed_dim",
    "p",
    "hidden",
    "op",
    "train_fraction",
    "steps",
    "seed",
    "eval_every",
)

#: One line (or a few) per setting, for the docstrings of RunConfig, train and Trainer.
_DOCS = {
    "p": "Prime modulus, in [3, :data:`MAX_P`].",
    "op": 'The operation to learn: one of :data:`OPS` (``"+", "-", "*", "/"``).',
    "train_fraction": "Share of all pairs used for training, in (0, 1).",
    "weight_decay": "AdamW decoupled weight decay, >= 0 (``lr * weight_decay < 1``).",
    "lr": "Learning rate, in (0, :data:`MAX_LR`].",
    "hidden": ("Hidden width, in [1, :data:`MAX_WIDTH`] (and ``p * p * hidden <= MAX_GRID``)."),
    "embed_dim": (
        "Width of the learned residue embedding, in [1, :data:`MAX_WIDTH`]; None for "
        "one-hot inputs."
    ),
    "steps": "Full-batch optimizer steps, in [1, :data:`MAX_STEPS`].",
    "seed": "Seeds the split and the initialization: same seed, same run, bit for bit.",
    "eval_every": "Record metrics every this many steps (plus step 0 and the last step).",
}


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run; the same config gives the same run, bit for bit.

    Attributes
    ----------
    %(settings)s
    """

    p: int = 53
    op: str = "+"
    train_fraction: float = 0.4
    weight_decay: float = 1.0
    lr: float = 1e-2
    hidden: int = 128
    embed_dim: int | None = 16
    steps: int = DEFAULT_STEPS
    seed: int = 0
    eval_every: int = 10

    def __post_init__(self) -> None:
        values: dict[str, Any] = {}
        # One setting at a time, in this order: it decides which error a config with
        # several bad settings reports.
        for name in _CHECK_ORDER:
            values[name] = CONSTRAINTS[name].check(name, getattr(self, name))
            if name == "lr" and values["lr"] * values["weight_decay"] >= 1:
                # AdamW multiplies the weights by (1 - lr * wd) each step: at >= 1
                # that zeroes or flips them, which is no longer weight decay.
                raise InvalidParameterError(
                    f"lr * weight_decay must be < 1, got lr={self.lr!r}, "
                    f"weight_decay={self.weight_decay!r}"
                )
            if name == "hidden" and values["p"] ** 2 * values["hidden"] > MAX_GRID:
                raise InvalidParameterError(
                    f"p * p * hidden must be <= {MAX_GRID:_} (the training step's memory), "
                    f"got p={self.p!r}, hidden={self.hidden!r}"
                )
        # Normalize numpy scalars and ints-as-floats, so equal configs compare equal.
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name and shape of each parameter array, in the flat vector's order."""
        shapes: dict[str, tuple[int, ...]] = {}
        rows = self.p if self.embed_dim is None else self.embed_dim
        if self.embed_dim is not None:
            shapes["embed"] = (self.p, self.embed_dim)
        shapes["w_a"] = (rows, self.hidden)
        shapes["w_b"] = (rows, self.hidden)
        shapes["w_out"] = (self.hidden, self.p)
        return shapes

    @property
    def n_params(self) -> int:
        """Total number of parameters (length of the flat vector)."""
        return sum(math.prod(s) for s in self.param_shapes.values())

    def dataset(self) -> Dataset:
        """The dataset and split this config trains on."""
        return make_dataset(self.p, self.op, self.train_fraction, self.seed)

    def to_dict(self) -> dict[str, object]:
        """The config as a plain dict (JSON-friendly)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


RunConfig.__parameter_constraints__ = CONSTRAINTS  # type: ignore[attr-defined]


def _settings_doc(indent: str) -> str:
    lines = []
    for f in fields(RunConfig):
        kind = {"int | None": "int or None"}.get(str(f.type), str(f.type))
        default = "DEFAULT_STEPS" if f.name == "steps" else repr(f.default)
        lines.append(f"{f.name} : {kind}, default {default}")
        lines.append(f"    {_DOCS[f.name]}")
    return ("\n" + indent).join(lines)


RunConfig.__doc__ = (RunConfig.__doc__ or "") % {"settings": _settings_doc("    ")}

#: The settings' part of a numpydoc "Parameters" section (for train and Trainer).
SETTINGS_DOC = _settings_doc("    ")

# The positional order of train and Trainer (embed_dim, added later, is keyword-only).
_POSITIONAL = (
    "p",
    "op",
    "train_fraction",
    "weight_decay",
    "lr",
    "hidden",
    "steps",
    "seed",
    "eval_every",
)


def settings_signature(*extra: inspect.Parameter, self_: bool = False) -> inspect.Signature:
    """The signature ``(p, op, ..., eval_every, *extra, *, embed_dim)`` from the fields.

    ``extra`` parameters (positional-or-keyword) follow ``eval_every``; with
    ``self_`` the signature starts with ``self`` (for ``__init__``).
    """
    by_name = {f.name: f for f in fields(RunConfig)}
    kw = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("self", kw)] if self_ else []
    for name in _POSITIONAL:
        f = by_name[name]
        params.append(inspect.Parameter(name, kw, default=f.default, annotation=f.type))
    params.extend(extra)
    for name in by_name:
        if name not in _POSITIONAL:
            f = by_name[name]
            default = f.default if f.default is not MISSING else inspect.Parameter.empty
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=f.type
                )
            )
    return inspect.Signature(params)


def split_settings(
    sig: inspect.Signature, args: tuple, kwargs: dict[str, Any]
) -> tuple[RunConfig, dict[str, Any]]:
    """Bind a call to ``sig``; the RunConfig of its settings, and the other arguments."""
    bound = sig.bind(*args, **kwargs)
    names = {f.name for f in fields(RunConfig)}
    settings = {k: v for k, v in bound.arguments.items() if k in names}
    others = {k: v for k, v in bound.arguments.items() if k not in names and k != "self"}
    return RunConfig(**settings), others
