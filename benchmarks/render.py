"""In-kernel render time of the essay's figures: our renderer against savefig.

Prints medians (ms) per frame for the curves figure (700 x 400 CSS px) at device
pixel ratios 1 and 2, for:

- ``savefig``: a full ``Figure.savefig(format="png")``, the usual way;
- ``pillow``: our cached background + animated artists, encoded by Pillow (level 1);
- ``ours``: the same, encoded by :func:`grokwidgets.plots.render.encode_png`;

and the ratio savefig / ours measured in the same run, plus the time one
regularization change takes end to end in the kernel (both figures updated).

    python3 tasks.py bench render
"""

from __future__ import annotations

import io
import statistics
import time

import numpy as np
from PIL import Image

from grokwidgets.widgets import CurvesWidget, StructureWidget, Timeline

REPEATS = 40


def median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    timeline = Timeline()
    curves = CurvesWidget(timeline)
    structure = StructureWidget(timeline)
    renderer = curves.image.renderer
    fig = renderer.figure
    print(f"{'dpr':>4} {'savefig':>9} {'pillow':>9} {'ours':>9} {'ratio':>7} {'PNG kB':>7}")
    for dpr in (1.0, 2.0):
        renderer.set_dpr(dpr)
        png = renderer.render()

        def savefig():
            buf = io.BytesIO()
            for a in renderer._animated:
                a.set_animated(False)
            fig.savefig(buf, format="png", dpi=fig.dpi)
            for a in renderer._animated:
                a.set_animated(True)

        def pillow():
            canvas = fig.canvas
            canvas.restore_region(renderer._background)
            for a in renderer._animated:
                if a.get_visible():
                    fig.draw_artist(a)
            rgb = np.asarray(canvas.buffer_rgba())[..., :3]
            Image.fromarray(rgb).save(io.BytesIO(), format="PNG", compress_level=1)

        t_save = median_ms(savefig, 10)
        renderer.invalidate()
        renderer.render()
        t_pil = median_ms(pillow)
        t_ours = median_ms(renderer.render)
        print(
            f"{dpr:>4.0f} {t_save:>9.1f} {t_pil:>9.1f} {t_ours:>9.1f} "
            f"{t_save / t_ours:>6.1f}x {len(png) / 1e3:>7.0f}"
        )
    renderer.set_dpr(1.0)
    values = iter(np.tile(np.geomspace(0.05, 5, 20), 100))

    def change():
        timeline.regularization = float(next(values))

    print(f"one regularization change, both figures redrawn at dpr 1: {median_ms(change):.1f} ms")
    curves.close()
    structure.close()


if __name__ == "__main__":
    main()
