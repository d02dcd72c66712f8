"""Matplotlib drawing: each helper takes an Axes and returns the artists it drew.

No ipywidgets here; :mod:`grokwidgets.widgets` puts these figures on screen.
"""

from grokwidgets.plots.render import FigureRenderer, new_figure

__all__ = ["FigureRenderer", "new_figure"]
