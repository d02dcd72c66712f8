// Static edition: widget modules load from this folder, never from a CDN.
// anywidget's AMD build is static/anywidget.js (the html manager asks requirejs
// for "anywidget" first, and only falls back to data-jupyter-widgets-cdn).
require.config({ paths: { anywidget: "static/anywidget" } });
