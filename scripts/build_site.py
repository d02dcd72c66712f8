#!/usr/bin/env python3
"""Build the static edition of the essay into site/ (no kernel needed to read it).

    python3 tasks.py build         # or: .venv/bin/python scripts/build_site.py [--out DIR]

Runs essay/grokking.ipynb once in a kernel, records the frames that answer its
controls, and writes site/index.html plus site/static/. Copy site/ to any static
host, a school server or a USB stick. Needs the npm packages of static/package.json
installed once (`npm ci --ignore-scripts` in static/); the build itself is offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grokwidgets.static.site import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
