"""The structure panel: inside the real networks (measured), or a toy diagram (drawn).

Measured, it shows the shipped networks at the cursor's step: how the embedding of
the memorizing run (weight decay 0, left) and of the grokking run (the current
weight decay, right) spread their energy over Fourier frequencies, at the last
checkpoint at or before the step. Drawn, it shows the illustration that goes with
the curve model: two toy networks whose connections follow its complexity.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist

from grokwidgets.curves import CurveResult, learning_curves
from grokwidgets.plots.curves import COLORS, LABELS
from grokwidgets.plots.render import new_figure
from grokwidgets.plots.structure import (
    NetworkArtists,
    SpectrumArtists,
    draw_network,
    draw_spectrum,
    update_network,
    update_spectrum,
)
from grokwidgets.runs import load_run
from grokwidgets.runs.measured import MEMORIZING_WEIGHT_DECAY, _median_seed
from grokwidgets.structure import (
    FrequencyShares,
    NetworkLayout,
    edge_strengths,
    frequency_shares,
    network_layout,
)
from grokwidgets.widgets.canvas import FigureImage
from grokwidgets.widgets.timeline import SourceSwitch, Timeline, TimelineControls, TimelineView

__all__ = ["StructureWidget"]

KINDS = ("A", "B")
ILLUSTRATION = "Illustration (a toy diagram, not a trained network)"


class StructureWidget(TimelineView):
    """Inside the two runs: measured frequency spectra, or drawn toy networks.

    Parameters
    ----------
    timeline : Timeline, optional
        Share it with a :class:`~grokwidgets.widgets.CurvesWidget` so the source,
        the step cursor and the regularization move both.
    source : {"measured", "drawn"} or None, default None
        As for :class:`~grokwidgets.widgets.CurvesWidget`: sets ``timeline.source``
        (None keeps the timeline's).
    width, height : int
        Figure size in CSS pixels.

    Attributes
    ----------
    shares : dict of {"A", "B"} to FrequencyShares
        Measured mode: what each spectrum shows, from
        :func:`grokwidgets.structure.frequency_shares` at the cursor's step.
    spectra : dict of {"A", "B"} to SpectrumArtists
        Their kept artists.
    strengths : dict of {"A", "B"} to ndarray
        Drawn mode: current strength of every connection, from
        :func:`grokwidgets.structure.edge_strengths` at the curve model's complexity.
    artists : dict of {"A", "B"} to NetworkArtists
        The toy networks' kept artists.
    """

    def __init__(
        self,
        timeline: Timeline | None = None,
        *,
        source: str | None = None,
        width: int = 700,
        height: int = 260,
    ) -> None:
        self._use_timeline(timeline, source)
        self.layouts: dict[str, NetworkLayout] = {k: network_layout(k) for k in KINDS}
        self._results: dict[str, CurveResult] = {}
        self._results_key: float | None = None
        fig = new_figure(width, height)

        grid = fig.add_gridspec(1, 2, left=0.02, right=0.98, top=0.8, bottom=0.12, wspace=0.1)
        net_axes = [fig.add_subplot(grid[0, i]) for i in range(2)]
        self.artists: dict[str, NetworkArtists] = {
            kind: draw_network(ax, self.layouts[kind], COLORS[kind], LABELS[kind])
            for kind, ax in zip(KINDS, net_axes, strict=True)
        }
        self.illustration_label = fig.text(
            0.5, 0.97, ILLUSTRATION, ha="center", va="top", size=9, style="italic", color="0.3"
        )

        grid = fig.add_gridspec(1, 2, left=0.09, right=0.98, top=0.86, bottom=0.2, wspace=0.28)
        spec_axes = [fig.add_subplot(grid[0, i]) for i in range(2)]
        self._runs = {"A": load_run(MEMORIZING_WEIGHT_DECAY, self._seed(MEMORIZING_WEIGHT_DECAY))}
        n_freq = self._runs["A"].config.p // 2
        self.spectra: dict[str, SpectrumArtists] = {
            kind: draw_spectrum(ax, n_freq, COLORS[kind])
            for kind, ax in zip(KINDS, spec_axes, strict=True)
        }
        self._axes = {"drawn": net_axes, "measured": spec_axes}
        self.shares: dict[str, FrequencyShares] = {}
        self.strengths: dict[str, np.ndarray] = {}

        alt = self._refresh()
        animated: list[Artist] = [
            a for arts in self.artists.values() for a in (arts.edges, arts.caption)
        ]
        animated += [a for s in self.spectra.values() for a in (s.bars, s.label)]
        self.image = FigureImage(fig, animated, alt=alt, filename="grokwidgets-model-structure")
        self.errors = self.image.errors
        self.switch = SourceSwitch(self.timeline)
        self.controls = TimelineControls(self.timeline)
        self._follow()
        super().__init__([self.switch, self.image, self.errors, self.controls])
        self.add_class("gw-structure")

    @staticmethod
    def _seed(weight_decay: float) -> int:
        """The seed measured_curves reads at this weight decay (the median seed)."""
        return _median_seed(weight_decay)

    @property
    def results(self) -> dict[str, CurveResult]:
        """The curve model's results the toy networks follow (drawn mode)."""
        r = self.timeline.regularization
        if self._results_key != r:
            self._results = {k: learning_curves(k, r) for k in KINDS}
            self._results_key = r
        return self._results

    def complexity_at_step(self) -> dict[str, float]:
        """Each type's drawn complexity at the timeline's step (clipped to [0, 1])."""
        step = self.timeline.step
        return {
            k: min(max(r.value_at(step)["complexity"], 0.0), 1.0) for k, r in self.results.items()
        }

    def runs(self) -> dict:
        """The shipped runs the spectra show: weight decay 0, and the current one."""
        wd = self.timeline.run_weight_decay()
        if "B" not in self._runs or self._runs["B"].config.weight_decay != wd:
            self._runs["B"] = load_run(wd, self._seed(wd))
        return dict(self._runs)

    def _refresh(self) -> str:
        source = self.timeline.source
        if self._show_axes(source):
            self.illustration_label.set_visible(source == "drawn")
        for arts in self.artists.values():
            arts.edges.set_visible(source == "drawn")
            arts.caption.set_visible(source == "drawn")
        for spectrum in self.spectra.values():
            for a in (spectrum.bars, spectrum.label):
                a.set_visible(source == "measured")
        step = self.timeline.step
        if source == "drawn":
            parts = []
            for kind, c in self.complexity_at_step().items():
                self.strengths[kind] = edge_strengths(self.layouts[kind], c)
                update_network(self.artists[kind], self.layouts[kind], self.strengths[kind])
                parts.append(
                    f"{LABELS[kind]}: {self.artists[kind].caption.get_text()} (complexity {c:.2f})."
                )
            return f"{ILLUSTRATION}: network diagrams at training step {step:,.0f}. " + " ".join(
                parts
            )
        parts = []
        for kind, run in self.runs().items():
            shares = self.shares[kind] = frequency_shares(run, step)
            wd = run.config.weight_decay
            grok = run.grok_step
            what = f"no grokking by {run.config.steps:,}" if grok is None else f"groks at {grok:,}"
            title = (
                "Weight decay 0: memorizes only"
                if kind == "A" and grok is None
                else f"Weight decay {wd:g} (seed {run.config.seed}): {what}"
            )
            update_spectrum(self.spectra[kind], shares, title)
            parts.append(
                f"{title}; checkpoint step {shares.step:,}: its top 5 frequencies hold "
                f"{shares.top(5):.0%} of the embedding's energy."
            )
        return (
            f"Energy of each shipped network's embedding per Fourier frequency, at "
            f"training step {step:,.0f}. " + " ".join(parts)
        )
