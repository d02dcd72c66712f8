"""ipywidgets views over the numeric models: controls, layout and wiring only.

>>> from grokwidgets.widgets import Timeline, CurvesWidget, StructureWidget
>>> timeline = Timeline()
>>> curves, structure = CurvesWidget(timeline), StructureWidget(timeline)

Both widgets share ``timeline``: moving the step cursor or the regularization under
one moves the other.
"""

from grokwidgets.widgets.canvas import FigureImage, draw_held_figures
from grokwidgets.widgets.complexity import ComplexityWidget
from grokwidgets.widgets.curves import CurvesWidget
from grokwidgets.widgets.evidence import (
    EstimatorTrustWidget,
    LLCLossWidget,
    PhaseDiagramWidget,
    SweepWidget,
)
from grokwidgets.widgets.lab import LabWidget
from grokwidgets.widgets.landscape import BasinsWidget, SingularityWidget
from grokwidgets.widgets.moment import Moment
from grokwidgets.widgets.structure import StructureWidget
from grokwidgets.widgets.timeline import Timeline, TimelineControls

__all__ = [
    "BasinsWidget",
    "ComplexityWidget",
    "CurvesWidget",
    "EstimatorTrustWidget",
    "FigureImage",
    "LLCLossWidget",
    "LabWidget",
    "Moment",
    "PhaseDiagramWidget",
    "SingularityWidget",
    "StructureWidget",
    "SweepWidget",
    "Timeline",
    "TimelineControls",
    "draw_held_figures",
]
