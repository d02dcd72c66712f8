// Moment: links to a moment. The URL fragment records the figure the reader last
// moved and its controls' values (#curves?weight_decay=0.5&step=501.187); opening
// such a link sets those controls and scrolls to the figure. No view: it works on
// the models, so the same code runs on the Voila page (a set value goes to the
// kernel, which redraws) and in the static edition (StaticFrames picks the frame).
// Declared by grokwidgets/widgets/moment.py: per figure {name, css, controls:
// [[model_id, trait, short_name, kind], ...]}.

const WAIT_MS = 60000; // how long a link waits for its figure to appear (Voila)
const SETTLE_MS = 3000; // how long the page may still grow above the figure
const QUIET_MS = 300; // how long a figure's controls must be still before a link sets them

function parseHash(hash) {
  const text = (hash || "").replace(/^#/, "");
  if (!text) return null;
  const at = text.indexOf("?");
  const name = decodeURIComponent(at < 0 ? text : text.slice(0, at));
  const params = new URLSearchParams(at < 0 ? "" : text.slice(at + 1));
  return { name, params };
}

// A value as the link writes it: readable, and read back by `parse` below.
function format(m, trait, kind) {
  const v = m.get(trait);
  if (kind === "selection") {
    const labels = m.get("_options_labels") || [];
    return typeof v === "number" && labels[v] !== undefined ? String(labels[v]) : null;
  }
  if (kind === "bool") return v ? "on" : "off";
  if (typeof v === "number") return String(Number(v.toPrecision(6)));
  return v === null || v === undefined ? null : String(v);
}

function snap(x, lo, step) {
  return step > 0 ? lo + Math.round((x - lo) / step) * step : x;
}

// The value a control takes for `text`, or undefined if it cannot take it.
function parse(m, kind, text) {
  if (kind === "selection") {
    const labels = (m.get("_options_labels") || []).map(String);
    const i = labels.indexOf(text);
    return i < 0 ? undefined : i;
  }
  if (kind === "bool") {
    if (["on", "1", "true", "yes"].includes(text)) return true;
    if (["off", "0", "false", "no"].includes(text)) return false;
    return undefined;
  }
  if (kind === "text") return text;
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x)) return undefined;
  const [lo, hi, step] = [m.get("min"), m.get("max"), m.get("step")];
  const has = (n) => typeof n === "number" && Number.isFinite(n);
  if (kind === "log") {
    const base = m.get("base") || 10;
    if (x <= 0) return undefined;
    let e = Math.log(x) / Math.log(base);
    if (has(lo) && has(hi)) e = Math.min(Math.max(snap(e, lo, has(step) ? step : 0), lo), hi);
    return Number(base ** e);
  }
  let y = x;
  if (has(lo) && has(step)) y = snap(y, lo, step);
  if (has(lo)) y = Math.max(y, lo);
  if (has(hi)) y = Math.min(y, hi);
  if (kind === "int") y = Math.round(y);
  return Number(y.toPrecision(12));
}

async function getModel(manager, id) {
  // Voila creates the page's models as it goes: try again for a while.
  for (let tries = 0; tries < 30; tries += 1) {
    try {
      return await manager.get_model(id);
    } catch (err) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return null;
}

function waitFor(selector, ms) {
  const found = document.querySelector(selector);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const obs = new MutationObserver(() => {
      const el = document.querySelector(selector);
      if (el) {
        obs.disconnect();
        clearTimeout(timer);
        resolve(el);
      }
    });
    const timer = setTimeout(() => {
      obs.disconnect();
      resolve(null);
    }, ms);
    obs.observe(document.documentElement, { childList: true, subtree: true });
  });
}

// Scroll to `el`, and again while the page above it still grows (images, widgets
// that render late), until the reader scrolls or the page settles.
function scrollTo(el) {
  el.scrollIntoView({ block: "start" });
  let stop = false;
  const quit = () => { stop = true; };
  const opts = { once: true, passive: true, capture: true };
  for (const type of ["wheel", "touchstart", "keydown", "pointerdown"]) {
    window.addEventListener(type, quit, opts);
  }
  const t0 = performance.now();
  const again = () => {
    if (stop || performance.now() - t0 > SETTLE_MS || !el.isConnected) return;
    const top = el.getBoundingClientRect().top;
    if (Math.abs(top) > 2) el.scrollIntoView({ block: "start" });
    requestAnimationFrame(again);
  };
  requestAnimationFrame(again);
}

// The static edition (no kernel) embeds the widget state in the page; its figures'
// StaticFrames answer a control only once they listen to it. Wait for all of them
// (each counts itself in window.gwStaticFrames), so a restored control moves its
// figure. On the Voila page there is no such state: nothing to wait for.
async function staticFramesReady(ms) {
  const el = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (!el) return;
  let tables = 0;
  try {
    const state = JSON.parse(el.textContent).state || {};
    tables = Object.values(state).filter((m) => m.state && "frames_src" in m.state).length;
  } catch (err) {
    return;
  }
  const t0 = performance.now();
  while ((window.gwStaticFrames || 0) < tables && performance.now() - t0 < ms) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Resolve once none of `models` has changed for `ms` and none has a message to the
// kernel in flight (ipywidgets' throttle would merge a value set now with the
// slider views' first writes, which the page makes as it opens), or after `cap` ms.
function quiet(models, ms, cap) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let since = t0;
    const bump = () => { since = performance.now(); };
    for (const m of models) m.on("change", bump);
    const busy = () => models.some((m) => m._pending_msgs > 0 || (m._msg_buffer ?? null) !== null);
    const tick = () => {
      const now = performance.now();
      if (now - t0 > cap || (now - since >= ms && !busy())) {
        for (const m of models) m.off("change", bump);
        resolve();
      } else {
        setTimeout(tick, 50);
      }
    };
    tick();
  });
}

function hidden(m) {
  const layout = m.get("layout");
  return Boolean(layout && typeof layout.get === "function" && layout.get("display") === "none");
}

async function start(model) {
  const manager = model.widget_manager;
  const figures = [];
  for (const fig of model.get("figures")) {
    const controls = [];
    for (const [id, trait, name, kind] of fig.controls) {
      const m = await getModel(manager, id);
      if (m) controls.push({ m, trait, name, kind, opening: format(m, trait, kind) });
    }
    figures.push({ name: fig.name, css: fig.css, controls });
  }
  const byName = new Map(figures.map((f) => [f.name, f]));
  let last = null; // the figure the reader last touched
  let pending = false;

  const write = () => {
    pending = false;
    const fig = byName.get(last);
    if (!fig) return;
    const params = new URLSearchParams();
    for (const c of fig.controls) {
      // A control hidden now (the free regularization slider while the measured
      // runs show) follows the one shown: the link names only what the reader sees.
      const v = format(c.m, c.trait, c.kind);
      if (v !== null && v !== c.opening && !hidden(c.m)) params.set(c.name, v);
    }
    const query = params.toString();
    const hash = `#${encodeURIComponent(fig.name)}${query ? `?${query}` : ""}`;
    if (location.hash !== hash) {
      history.replaceState(history.state, "", `${location.pathname}${location.search}${hash}`);
    }
    document.documentElement.dataset.gwMoment = hash;
  };
  for (const fig of figures) {
    for (const c of fig.controls) {
      c.m.on(`change:${c.trait}`, () => {
        if (last !== fig.name || pending) return;
        pending = true;
        setTimeout(write, 0); // several controls moved by one change: one write
      });
    }
  }
  const touched = (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    for (const fig of figures) {
      if (target.closest(`.${fig.css}`)) {
        last = fig.name;
        return;
      }
    }
  };
  for (const type of ["pointerdown", "keydown", "input"]) {
    document.addEventListener(type, touched, true);
  }

  // A slider view built while a link is restored can write its first position back
  // to the model (ipywidgets' noUiSlider "update" on creation): on the Voila page the
  // step cursor snapped back to the end. So a restored value is held for a moment
  // and set again if something other than the reader moves it (at most 3 times).
  let readerActed = false;
  const hold = (c, want) => {
    let tries = 0;
    const t0 = performance.now();
    const check = () => {
      if (readerActed || performance.now() - t0 > SETTLE_MS) {
        c.m.off(`change:${c.trait}`, check);
        return;
      }
      if (format(c.m, c.trait, c.kind) === want.text || tries >= 3) return;
      tries += 1;
      setTimeout(() => {
        if (readerActed || format(c.m, c.trait, c.kind) === want.text) return;
        c.m.set(c.trait, want.value);
        c.m.save_changes();
      }, 0);
    };
    c.m.on(`change:${c.trait}`, check);
    setTimeout(() => c.m.off(`change:${c.trait}`, check), SETTLE_MS + 100);
  };
  for (const type of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
    document.addEventListener(type, () => { readerActed = true; }, { capture: true, passive: true });
  }

  const restore = async () => {
    const link = parseHash(location.hash);
    const fig = link && byName.get(link.name);
    if (!fig) return; // not ours (another Moment's figure, an anchor, nothing)
    const el = await waitFor(`.${fig.css}`, WAIT_MS);
    await staticFramesReady(WAIT_MS);
    await quiet(fig.controls.map((c) => c.m), QUIET_MS, WAIT_MS / 6);
    last = fig.name;
    readerActed = false;
    for (const c of fig.controls) {
      if (!link.params.has(c.name) || c.m.get("disabled")) continue;
      const value = parse(c.m, c.kind, link.params.get(c.name));
      if (value === undefined || value === c.m.get(c.trait)) continue;
      c.m.set(c.trait, value);
      c.m.save_changes();
      hold(c, { value, text: format(c.m, c.trait, c.kind) });
    }
    if (el) scrollTo(el);
    const root = document.documentElement.dataset;
    root.gwMomentRestoredMs = String(Math.round(performance.now())); // since navigation
    root.gwMomentRestored = fig.name;
  };
  window.addEventListener("hashchange", restore);
  window.gwMoment = (window.gwMoment || 0) + 1;
  await restore();
}

// anywidget gives initialize 2 s: the models and the figure (on the Voila page they
// arrive as it renders) are waited for after it returns.
function initialize({ model }) {
  start(model).catch(() => {}); // a link that cannot be followed is ignored
}

export default { initialize };
