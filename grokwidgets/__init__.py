"""grokwidgets: an explorable essay on grokking, with real numpy models.

Layers (imports point down only):

- models, pure numpy: :mod:`grokwidgets.curves` (the Type A / Type B curve model),
  :mod:`grokwidgets.structure` (the model-structure diagram's numbers),
  :mod:`grokwidgets.experiment` (a real modular-arithmetic training run),
  :mod:`grokwidgets.slt` (learning-coefficient estimation),
  :mod:`grokwidgets.measures`, :mod:`grokwidgets.landscape`;
- :mod:`grokwidgets.plots`: matplotlib drawing on a given Axes;
- :mod:`grokwidgets.widgets`: ipywidgets controls over the two layers below.

Importing :mod:`grokwidgets` itself imports neither matplotlib nor ipywidgets.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
