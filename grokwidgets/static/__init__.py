"""The static edition: the essay as files, answered by frames rendered at build time.

``python3 tasks.py build`` (``scripts/build_site.py``) writes ``site/``. See
:mod:`grokwidgets.static.site` (the build and export) and
:mod:`grokwidgets.static.frames` (what is recorded in the kernel).
"""
