"""Build the static edition: the essay as a folder of files, no kernel, no network.

:func:`build` runs the committed essay notebook once in a kernel (nbclient), has
:func:`grokwidgets.static.frames.attach` record the frames that answer the
figures' controls, exports the notebook with nbconvert's HTML exporter and the whole
widget state embedded, and writes ``site/``:

- ``index.html``: the essay, code hidden, every reference to another host removed;
- ``static/``: the widget manager and module loader, copied from their pinned npm
  packages (``static/package.json``, installed by ``npm ci`` at set-up), each with
  its licence, anywidget's AMD build from the installed Python package (the two
  must match), and the static edition's own CSS.

Nothing here needs the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NODE_MODULES = ROOT / "static" / "node_modules"
NOTEBOOK = "essay/grokking.ipynb"

#: file in site/static/ <- (source, licence source); sources relative to NODE_MODULES.
VENDORED = {
    "embed-amd.js": (
        "@jupyter-widgets/html-manager/dist/embed-amd.js",
        "@jupyter-widgets/html-manager/dist/embed.js.LICENSE.txt",
    ),
    "require.js": ("requirejs/require.js", None),
}

__all__ = ["build"]


def _say(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def _notebook_source(path: str) -> str:
    """The committed notebook (the working tree may be mid-edit), else the file."""
    try:
        return subprocess.run(
            ["git", "show", f"HEAD:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return (ROOT / path).read_text(encoding="utf-8")


def _package_version(package: str) -> str:
    data = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
    return data["version"]


def _licence_text(package: str, src: str) -> str:
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "license"):
        p = NODE_MODULES / package / name
        if p.exists():
            return p.read_text(encoding="utf-8")
    if package.startswith("@jupyter-widgets/"):
        # The npm package names BSD-3-Clause but ships no licence file; the text is
        # its repository's (jupyter-widgets/ipywidgets), as the ipywidgets wheel has it.
        import ipywidgets

        site = Path(ipywidgets.__file__).parents[1]
        lic = next(site.glob("ipywidgets-*.dist-info/licenses/LICENSE"))
        data = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
        return (
            f"{package}@{data['version']}: licence {data['license']} (its package.json). "
            "Text from the jupyter-widgets/ipywidgets repository:\n\n"
            + lic.read_text(encoding="utf-8")
        )
    data = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
    main = NODE_MODULES / src
    header = re.match(r"\s*/\*\*?(.*?)\*/", main.read_text(encoding="utf-8"), re.S)
    if data.get("license") and header:
        # No licence file in the package: its declared licence and the file's own notice.
        return (
            f"{package}@{data['version']}: licence {data['license']} (its package.json).\n"
            f"Notice at the top of {main.name}:\n{header.group(1)}\n"
        )
    raise FileNotFoundError(f"no licence file in {NODE_MODULES / package}")


def vendor(static: Path) -> dict[str, str]:
    """Copy the browser libraries into ``static``; return file -> where it came from."""
    if not NODE_MODULES.exists():
        raise SystemExit(
            f"{NODE_MODULES} is missing: run `npm ci --ignore-scripts` in {ROOT / 'static'} "
            "once (needs the npm registry), then build again (offline)."
        )
    static.mkdir(parents=True, exist_ok=True)
    origin = {}
    for name, (src, extra) in VENDORED.items():
        package = src.split("/dist/")[0] if "/dist/" in src else src.split("/")[0]
        version = _package_version(package)
        shutil.copy2(NODE_MODULES / src, static / name)
        stem = name.removesuffix(".js")
        (static / f"{stem}.LICENSE").write_text(_licence_text(package, src), encoding="utf-8")
        if extra:
            shutil.copy2(NODE_MODULES / extra, static / f"{stem}.THIRD-PARTY-LICENSES.txt")
        origin[name] = f"npm {package}@{version} ({src})"
    import anywidget

    pkg = Path(anywidget.__file__).parent
    shutil.copy2(pkg / "nbextension" / "index.js", static / "anywidget.js")
    lic = next(Path(anywidget.__file__).parents[1].glob("anywidget-*.dist-info/licenses/LICENSE"))
    shutil.copy2(lic, static / "anywidget.LICENSE")
    origin["anywidget.js"] = f"PyPI anywidget=={anywidget.__version__} (nbextension/index.js)"
    # The widget manager's CSS asks for Font Awesome (the buttons' icons) relative to
    # where requirejs put its modules: the two folders below. woff2 is enough.
    dist = NODE_MODULES / "@jupyter-widgets/html-manager/dist"
    for folder in ("@jupyter-widgets", "@jupyter-widgets/html-manager/dist"):
        target = static.parent / folder
        target.mkdir(parents=True, exist_ok=True)
        for font in dist.glob("*.woff2"):
            shutil.copy2(font, target / font.name)
    fa = "@fortawesome/fontawesome-free"
    shutil.copy2(NODE_MODULES / fa / "LICENSE.txt", static / "fontawesome.LICENSE")
    origin["@jupyter-widgets/**/*.woff2"] = (
        f"npm @jupyter-widgets/html-manager@{_package_version('@jupyter-widgets/html-manager')}"
        f" (dist/*.woff2: {fa}@{_package_version(fa)}'s webfonts)"
    )
    for name in ("static.css", "config.js"):
        shutil.copy2(HERE / name, static / name)
    (static / "cdn").mkdir(exist_ok=True)  # where a module not found locally would be sought
    return origin


_ATTACH = """
import json as _json
from grokwidgets.static.frames import attach as _attach
print("GW-SUMMARY " + _json.dumps(_attach({ids!r}, {path!r})))
"""

#: Run after :data:`_ATTACH`, see :func:`execute`.
_DRAIN = "pass"


def execute(nb, state_path: Path) -> dict:
    """Run ``nb`` in a kernel, then record the static frames there."""
    from nbclient import NotebookClient
    from nbformat import v4

    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "essay")}},
    )
    ids = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
            for out in cell.get("outputs", []):
                view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
                if view:
                    ids.append(view["model_id"])
        extra = v4.new_code_cell(_ATTACH.format(ids=ids, path=str(state_path)))
        nb.cells.append(extra)
        client.execute_cell(extra, len(nb.cells) - 1)
        # Moving the controls while recording asked every figure for a redraw, which
        # a kernel defers to its event loop (FigureImage.request_draw): those draws
        # run just after the cell, each sending a PNG of 70-320 KB, and the kernel
        # was shut down meanwhile, exiting with them still queued for IOPub (pyzmq,
        # already shut down, then refuses them: "zmq gc socket requested during
        # shutdown"). A cell after them ends on IOPub after their messages: its end
        # awaited, they are sent. (What they draw is not in the state, written before.)
        drain = v4.new_code_cell(_DRAIN)
        nb.cells.append(drain)
        client.execute_cell(drain, len(nb.cells) - 1)
        del nb.cells[-2:]
    text = "".join(o.get("text", "") for o in extra.outputs if o.get("name") == "stdout")
    errors = [o for o in extra.outputs if o.get("output_type") == "error"]
    if errors:
        raise RuntimeError("recording frames failed: " + "\n".join(errors[0]["traceback"]))
    line = next(ln for ln in text.splitlines() if ln.startswith("GW-SUMMARY "))
    return json.loads(line.removeprefix("GW-SUMMARY "))


#: What makes a browser request another host: a script, image or frame source, a
#: stylesheet or icon link, a CSS import or url(). Hyperlinks (<a href>) are not requests.
_FOREIGN = re.compile(
    r"""(?:\bsrc\s*=\s*["']?(?:https?:)?//|<link[^>]*href\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//)""",
    re.I,
)


def export(nb, state: dict) -> str:
    """The notebook as one HTML page, widget state embedded, only local references."""
    from nbconvert import HTMLExporter

    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "version_major": 2,
            "version_minor": 0,
            "state": state["state"],
        }
    }
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        require_js_url="static/require.js",
        widget_renderer_url="static/embed-amd.js",
        mathjax_url="",
    )
    html, _ = exporter.from_notebook_node(nb)
    return localize(html)


def localize(html: str) -> str:
    """Drop every reference to another host; load the widget modules from static/."""
    # MathJax (and its config) is a CDN script. The essays write their few formulas in
    # HTML (<i>, <sub>; tests/test_essay_sources.py checks no TeX is left), so no
    # edition needs a math renderer.
    html = re.sub(
        r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", "", html, flags=re.S
    )
    html = re.sub(r"<script[^>]*src=[\"'](?:https?:)?//[^>]*>\s*</script>", "", html, flags=re.I)
    html = re.sub(r"<link[^>]*href=[\"'](?:https?:)?//[^>]*>", "", html, flags=re.I)
    html = html.replace(
        '<script src="static/require.js"></script>',
        '<script src="static/require.js" data-jupyter-widgets-cdn="static/cdn/"></script>\n'
        '<script src="static/config.js"></script>',
        1,
    )
    html = html.replace("</head>", '<link rel="stylesheet" href="static/static.css">\n</head>', 1)
    html = re.sub(r"@import url\([\"']?(?:https?:)?//[^)]*\);?", "", html)
    left = _FOREIGN.findall(html)
    if left:
        raise RuntimeError(f"the page still refers to another host: {left[:3]}")
    return html


def split_frames(state: dict, out: Path) -> None:
    """Move each StaticFrames' frames out of the page into ``static/frames/<id>.js``.

    The page then holds only the opening frames, so it parses and draws fast; a table's
    frames load when the page first needs them (phones load only the narrow layout's),
    and a control moved before is answered once they are in. A ``timeline`` table's
    lookup tables and texts go with its frames.
    """
    first: dict[str, list] = {}  # frame -> [src, index] of the table that holds it
    for model_id, model in state["state"].items():
        s = model["state"]
        if model.get("model_name") != "AnyModel" or "frames_src" not in s or not s.get("frames"):
            continue
        src = f"static/frames/{model_id}.js"
        frames = []
        for i, frame in enumerate(s["frames"]):
            if frame in first:  # figures sharing controls record the same frames
                frames.append(first[frame])
            else:
                first[frame] = [src, i]
                frames.append(frame)
        body: dict = {"frames": frames}
        if s.get("mode") == "timeline":
            body["timeline"] = {k: s["timeline"].pop(k) for k in ("tables", "sentences")}
        text = json.dumps(body, separators=(",", ":"))
        (out / src).write_text(
            f"(window.gwFrameTables = window.gwFrameTables || {{}})[{json.dumps(src)}] = {text};\n",
            encoding="utf-8",
        )
        s["frames"] = []
        s["frames_src"] = src


def build(out: Path | str = ROOT / "site", notebook: str = NOTEBOOK) -> dict:
    """Write the static edition to ``out`` (replaced); return a summary."""
    import nbformat

    out = Path(out)
    t0 = time.perf_counter()
    nb = nbformat.reads(_notebook_source(notebook), as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        state_path = Path(tmp) / "state.json"
        _say(f"running {notebook} in a kernel and recording frames")
        summary = execute(nb, state_path)
        state = json.loads(state_path.read_text(encoding="utf-8"))
    for name, what in summary.items():
        if not name.startswith("_"):
            _say(f"  {name}: {what}")
    if out.exists():
        shutil.rmtree(out)
    (out / "static" / "frames").mkdir(parents=True)
    split_frames(state, out)
    html = export(nb, state)
    origin = vendor(out / "static")
    (out / "index.html").write_text(html, encoding="utf-8")
    sizes = {p.relative_to(out).as_posix(): p.stat().st_size for p in out.rglob("*") if p.is_file()}
    total = sum(sizes.values())
    _say(f"wrote {out} in {time.perf_counter() - t0:.0f} s: {total / 1e6:.1f} MB")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:8]:
        _say(f"  {size / 1e6:6.2f} MB  {name}")
    return {"summary": summary, "sizes": sizes, "origin": origin, "total": total}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "site"))
    parser.add_argument("--notebook", default=NOTEBOOK)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    build(args.out, args.notebook)
    return 0


if __name__ == "__main__":
    sys.exit(main())
