// StaticFrames: answers a figure's controls with frames rendered at build time.
// It lives in the static edition (an nbconvert export with embedded widget state and
// no kernel). It watches the driving controls' models; on a change it looks the
// controls' values up in its table and sets the targets (a FigureImage's png and
// alt, a readout's value, ...) so their own views redraw. Nothing is computed here.

function b64bytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

// The same formatting as grokwidgets.static.frames.state_key.
export function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") {
    return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  }
  return String(v);
}

// One <script> per frame table, loaded once however many figures need it.
function load(src) {
  const cache = (window.gwFrameLoads = window.gwFrameLoads || new Map());
  if (!cache.has(src)) {
    cache.set(
      src,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.async = true;
        script.onload = () => resolve(window.gwFrameTables[src]);
        script.onerror = () => reject(new Error(`could not load ${src}`));
        document.head.appendChild(script);
      }),
    );
  }
  return cache.get(src);
}

// A table's frames, decoded once each: in the state, or (the build moves them out of
// the page, so it opens fast) in a script of their own, loaded when first needed:
// source.ready() starts the load and returns its promise.
function frameSource(model) {
  let frames = model.get("frames");
  const src = model.get("frames_src");
  const source = { loaded: !src };
  let ready = src ? null : Promise.resolve();
  source.ready = () => {
    if (!ready) {
      window.gwStaticFramesWanted = (window.gwStaticFramesWanted || 0) + 1;
      ready = load(src).then(async (data) => {
        // A frame another figure's table already holds is stored as [src, index].
        const list = data.frames;
        const others = new Set(list.filter(Array.isArray).map(([s]) => s));
        const tables = new Map(
          await Promise.all([...others].map(async (s) => [s, (await load(s)).frames])),
        );
        frames = list.map((f) => (Array.isArray(f) ? tables.get(f[0])[f[1]] : f));
        source.timeline = data.timeline; // a timeline's tables and texts, if moved here
        source.loaded = true;
        window.gwStaticFramesLoaded = (window.gwStaticFramesLoaded || 0) + 1;
      });
    }
    return ready;
  };
  const decoded = new Map();
  source.frame = (i) => {
    if (!decoded.has(i)) decoded.set(i, b64bytes(frames[i]));
    return decoded.get(i);
  };
  return source;
}

// Each table counts itself once it listens to its controls (window.gwStaticFrames);
// benchmarks wait for gwStaticFramesLoaded to reach gwStaticFramesWanted (the tables
// whose frames this page loads: those of the layout its figures take).
// Run `f` when the browser is idle (work that must not delay a frame on screen).
const later = (f) => (window.requestIdleCallback ? requestIdleCallback(f, { timeout: 500 }) : setTimeout(f, 50));

// A part drawn over a frame (FigureImage.layers): its place as fractions of the frame.
function placed(frames, [f, x, y, w, h, fw, fh]) {
  return { png: frames.frame(f), left: x / fw, top: y / fh, width: w / fw, height: h / fh };
}

function counted() {
  window.gwStaticFrames = (window.gwStaticFrames || 0) + 1;
  window.gwStaticFramesReady = performance.now(); // the last table listening (benchmarks)
}

// Which of the recorded layouts a table is for ("wide", "narrow", or "" for any), and
// whether the page's column takes it now: the column its first figure's view reports
// (FigureImage.column), narrow below model.narrow_below, as on the live page.
// onChange(active) runs when the column is first known, and whenever it crosses over.
function layoutOf(model, image, onChange) {
  const layout = model.get("layout");
  const below = model.get("narrow_below");
  const active = () => {
    if (!layout || !image) return true;
    const c = image.get("column");
    return (layout === "narrow") === (c > 0 && c < below);
  };
  let was = null;
  const check = () => {
    const now = active();
    if (now !== was) { was = now; onChange(now); }
  };
  if (!layout || !image) {
    check();
  } else if (image.get("column") > 0) {
    check();
  } else {
    image.on("change:column", check);
    // A figure whose view never reports (not on the page): its wide frames.
    setTimeout(() => { if (was === null) check(); }, 1500);
    return active;
  }
  if (image) image.on("change:column", check);
  return active;
}

async function initialize({ model }) {
  if (model.get("mode") === "timeline") return initializeTimeline({ model });
  const manager = model.widget_manager;
  const controls = model.get("controls"); // [[model_id, trait], ...]
  const targets = model.get("targets"); // [[model_id, trait, is_frame], ...]
  const table = model.get("table"); // key -> one value per target (frames by index)
  const missing = model.get("missing"); // target values for a state with no frame, or null
  const frames = frameSource(model);
  const frame = frames.frame;
  const cmodels = await Promise.all(controls.map(([id]) => manager.get_model(id)));
  const tmodels = await Promise.all(targets.map(([id]) => manager.get_model(id)));
  const key = () => cmodels.map((m, i) => fmt(m.get(controls[i][1]))).join("|");
  const current = new Map();
  let active = () => true;
  const apply = () => {
    if (!active()) return;
    if (!frames.loaded) {
      frames.ready().then(apply);
      return;
    }
    const k = key();
    const row = Object.prototype.hasOwnProperty.call(table, k) ? table[k] : missing;
    if (!row) return;
    row.forEach((value, i) => {
      const [, trait, isFrame] = targets[i];
      const parts = trait === "layers"; // [[frame, x, y, w, h, frame width, height], ...]
      if ((isFrame || parts) && value < 0) return; // keep the frame shown
      const id = parts ? JSON.stringify(value) : value;
      if (current.get(i) === id) return;
      current.set(i, id);
      if (isFrame) tmodels[i].set(trait, frame(value));
      else if (parts) tmodels[i].set(trait, value.map((r) => placed(frames, r)));
      else tmodels[i].set(trait, value);
    });
    document.documentElement.dataset.gwLastKey = k;
    later(() => ahead(k));
  };
  // The states one stop away along each control: their frames are decoded ahead, while
  // the reader looks, so a state seen for the first time does not wait for a decode.
  const keys = Object.keys(table);
  const axes = controls.map((_, i) => [...new Set(keys.map((k) => k.split("|")[i]))]);
  const ahead = (k) => {
    if (!active()) return;
    const parts = k.split("|");
    const hints = new Map(); // target index -> {frames, layers} likely next
    const hint = (i, f, kind) => {
      if (!hints.has(i)) hints.set(i, { frames: [], layers: [] });
      hints.get(i)[kind].push(frame(f));
    };
    parts.forEach((v, c) => {
      const at = axes[c].indexOf(v);
      for (const j of [at - 1, at + 1]) {
        if (at < 0 || j < 0 || j >= axes[c].length) continue;
        const next = [...parts];
        next[c] = axes[c][j];
        const row = table[next.join("|")];
        if (!row) continue;
        row.forEach((value, i) => {
          const [, trait, isFrame] = targets[i];
          if (isFrame && value >= 0) hint(i, value, "frames");
          else if (trait === "layers" && Array.isArray(value)) {
            value.forEach((r) => hint(i, r[0], "layers"));
          }
        });
      }
    });
    hints.forEach((next, i) => tmodels[i].trigger("gw:ahead", next));
  };
  cmodels.forEach((m, i) => m.on(`change:${controls[i][1]}`, apply));
  // The embedded state is the opening state in the wide layout: remember which row
  // is on screen. Taking a layout over, a table sets all its targets.
  // (A figure drawn from parts opens as one whole frame: its parts are set anew.)
  const first = model.get("layout") !== "narrow" && table[key()];
  const composed = new Set(targets.filter((t) => t[1] === "layers").map((t) => t[0]));
  if (first) {
    first.forEach((value, i) => {
      if (!composed.has(targets[i][0])) current.set(i, value);
    });
  }
  const image = tmodels.find((m, i) => targets[i][2]);
  let opened = true;
  active = layoutOf(model, image, (now) => {
    if (!now) return;
    if (!opened) current.clear(); // the other layout's frames are on screen
    opened = false;
    frames.ready().then(apply);
  });
  counted();
}

// The views of one Timeline (the central figure and the structure panel), composed
// from parts recorded by grokwidgets.static.timeline. The rules are the Timeline's:
// a measured weight decay is a shipped run's, the step is clamped to the source's
// horizon, Play visits log-spaced steps; here they run on the recorded grids.
async function initializeTimeline({ model }) {
  const manager = model.widget_manager;
  const tl = model.get("timeline");
  const frames = frameSource(model);
  const views = await Promise.all(tl.views.map(async (spec) => {
    const m = {};
    await Promise.all(Object.entries(spec).map(async ([k, id]) => {
      if (typeof id === "string" && k !== "kind") m[k] = await manager.get_model(id);
    }));
    return { spec, m, table: null };
  }));
  if (tl.tables) views.forEach((v, i) => { v.table = tl.tables[i]; });
  const [lo, hi] = tl.reg_limits;
  const clamp = (x, a, b) => Math.min(Math.max(x, a), b);
  const nearestIn = (list, x) => {
    const lx = Math.log(clamp(x, lo, hi));
    let best = 0;
    list.forEach((s, i) => {
      const d = Math.abs(Math.log(s) - lx), e = Math.abs(Math.log(list[best]) - lx);
      if (d < e - 1e-12 || (Math.abs(d - e) <= 1e-12 && s < list[best])) best = i;
    });
    return best;
  };
  const stepIndex = (source, step) => {
    const s = tl.steps[source];
    if (!(step > 0)) return 0;
    if (step >= s[s.length - 1] * (1 - 1e-6)) return s.length - 1;
    return clamp(Math.round(Math.log10(step) / tl.step_grid), 0, s.length - 1);
  };
  const regOf = (st) => tl.regs[st.source][st.ri];
  const stepOf = (st) => tl.steps[st.source][st.si];
  // The state the controls show (at the start, and when this table takes over).
  const readState = () => {
    const first = views[0].m;
    const source = tl.sources[first.switch.get("index")] || tl.sources[0];
    const ri = source === "measured"
      ? first.weight_decay.get("index")
      : nearestIn(tl.regs.drawn, first.regularization.get("value"));
    return { source, ri, si: stepIndex(source, first.step.get("value")) };
  };
  const state = readState();
  let pushing = false;
  const push = () => {
    pushing = true;
    const measured = state.source === "measured";
    for (const { m } of views) {
      m.switch.set("index", tl.sources.indexOf(state.source));
      m.weight_decay.set("index", measured ? state.ri : nearestIn(tl.regs.measured, regOf(state)));
      m.regularization.set("value", regOf(state));
      m.step.set("max", Math.log10(tl.horizons[state.source]));
      m.step.set("value", stepOf(state));
      m.weight_decay_layout.set("display", measured ? null : "none");
      m.regularization_layout.set("display", measured ? "none" : null);
      const cls = (mm, on) => {
        const now = (mm.get("_dom_classes") || []).filter((c) => c !== "gw-regularization");
        mm.set("_dom_classes", on ? [...now, "gw-regularization"] : now);
      };
      cls(m.weight_decay, measured);
      cls(m.regularization, !measured);
    }
    pushing = false;
  };
  const text = (ids) => ids.map((i) => tl.sentences[i]).join(" "); // an alt text
  const layer = (ref, [w, h]) => ({
    png: frames.frame(ref[0]), left: ref[1] / w, top: ref[2] / h, width: ref[3] / w, height: ref[4] / h,
  });
  let active = () => true;
  const paint = () => {
    if (!active()) return;
    if (!frames.loaded) { frames.ready().then(paint); return; }
    if (!views[0].table) {
      Object.assign(tl, frames.timeline || {});
      views.forEach((v, i) => { v.table = tl.tables[i]; });
    }
    for (const view of views) {
      const { spec, m } = view;
      const shown = pick(view, state);
      const set = { css_width: spec.css[0], css_height: spec.css[1], png: frames.frame(shown.frame) };
      if (shown.layers) set.layers = shown.layers.map((r) => layer(r, spec.pixels));
      set.alt = text(shown.alt);
      m.image.set(set);
    }
    const { source, ri, si } = state;
    document.documentElement.dataset.gwLastKey = `timeline:${source}|${ri}|${si}`;
    later(() => ahead({ ...state }));
  };
  // What a view shows in state `st`: its frame, the parts over it, its alt text.
  const pick = ({ spec, m, table }, { source, ri, si }) => {
    if (spec.kind === "curves") {
      const refs = [];
      for (const [kind, toggle] of [["A", "show_a"], ["B", "show_b"]]) {
        if (!m[toggle].get("value")) continue;
        refs.push(table[`${source}|${ri}|${kind}|loss`]);
        if (m.show_complexity.get("value")) refs.push(table[`${source}|${ri}|${kind}|cx`]);
        refs.push(...(table[`${source}|${ri}|${si}|${kind}|dots`] || []));
      }
      refs.push(table[`${source}|${si}|cursor`]);
      return {
        frame: table[`${source}|bg`],
        layers: refs.filter((r) => r),
        alt: table[`${source}|${ri}|${si}|alt`],
      };
    }
    // The panel's coarser grid: the recorded step at or before the cursor.
    const coarse = table[`${source}|${ri}|coarse`];
    const at = coarse.filter((c) => c <= si).pop() ?? coarse[0];
    const [f, alt] = table[`${source}|${ri}|${at}`];
    return { frame: f, alt };
  };
  // The states one stop away (step, weight decay): their images are decoded ahead, while
  // the reader looks, so a state seen for the first time does not wait for a decode.
  const ahead = (st) => {
    if (!active() || !views[0].table) return;
    const near = [];
    for (const [k, n] of [["si", tl.steps[st.source].length], ["ri", tl.regs[st.source].length]]) {
      for (const d of [-1, 1]) {
        if (st[k] + d >= 0 && st[k] + d < n) near.push({ ...st, [k]: st[k] + d });
      }
    }
    for (const view of views) {
      const next = { frames: [], layers: [] };
      for (const other of near) {
        const shown = pick(view, other);
        next.frames.push(frames.frame(shown.frame));
        for (const r of shown.layers || []) next.layers.push(frames.frame(r[0]));
      }
      view.m.image.trigger("gw:ahead", next);
    }
  };
  const moved = (what, view) => (_, value) => {
    if (pushing || !active()) return;
    const { m } = view;
    if (what === "switch") {
      const reg = regOf(state), step = stepOf(state);
      state.source = tl.sources[m.switch.get("index")] || state.source;
      state.ri = nearestIn(tl.regs[state.source], reg);
      state.si = stepIndex(state.source, Math.min(step, tl.horizons[state.source]));
    } else if (what === "weight_decay") {
      if (state.source !== "measured") return;
      state.ri = clamp(m.weight_decay.get("index"), 0, tl.regs.measured.length - 1);
    } else if (what === "regularization") {
      if (state.source !== "drawn") return;
      state.ri = nearestIn(tl.regs.drawn, m.regularization.get("value"));
    } else if (what === "step") {
      state.si = stepIndex(state.source, m.step.get("value"));
    } else if (what === "play") {
      const v = m.play.get("value");
      const step = tl.horizons[state.source] ** (v / (tl.play_frames - 1));
      state.si = stepIndex(state.source, step);
    }
    push();
    paint();
  };
  const traits = { switch: "index", weight_decay: "index", regularization: "value", step: "value",
    play: "value", show_a: "value", show_b: "value", show_complexity: "value" };
  for (const view of views) {
    for (const [what, trait] of Object.entries(traits)) {
      if (view.m[what]) view.m[what].on(`change:${trait}`, moved(what, view));
    }
  }
  // The embedded state is the wide layout's opening: that table paints only once it
  // takes over from the narrow one; a narrow table paints as it takes over.
  let opened = tl.views.length > 0;
  active = layoutOf(model, views.length ? views[0].m.image : null, (now) => {
    if (!now) return;
    if (opened && model.get("layout") !== "narrow") {
      opened = false;
      frames.ready();
      return;
    }
    opened = false;
    Object.assign(state, readState());
    paint();
  });
  counted();
}

export default { initialize };
