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

async function initialize({ model }) {
  const manager = model.widget_manager;
  const controls = model.get("controls"); // [[model_id, trait], ...]
  const targets = model.get("targets"); // [[model_id, trait, is_frame], ...]
  const table = model.get("table"); // key -> one value per target (frames by index)
  const missing = model.get("missing"); // target values for a state with no frame, or null
  // Base64 PNGs: in the state, or (the build moves them out of the page, so it opens
  // fast) in a script of their own, loaded now, after the page has drawn.
  let frames = model.get("frames");
  const src = model.get("frames_src");
  let loaded = !src;
  const ready = loaded
    ? Promise.resolve()
    : load(src).then(async (list) => {
        // A frame another figure's table already holds is stored as [src, index].
        const others = new Set(list.filter(Array.isArray).map(([s]) => s));
        const tables = new Map(await Promise.all([...others].map(async (s) => [s, await load(s)])));
        frames = list.map((f) => (Array.isArray(f) ? tables.get(f[0])[f[1]] : f));
        loaded = true;
      });
  const decoded = new Map();
  const frame = (i) => {
    if (!decoded.has(i)) decoded.set(i, b64bytes(frames[i]));
    return decoded.get(i);
  };
  const cmodels = await Promise.all(controls.map(([id]) => manager.get_model(id)));
  const tmodels = await Promise.all(targets.map(([id]) => manager.get_model(id)));
  const key = () => cmodels.map((m, i) => fmt(m.get(controls[i][1]))).join("|");
  const current = new Map();
  const apply = () => {
    if (!loaded) {
      ready.then(apply);
      return;
    }
    const k = key();
    const row = Object.prototype.hasOwnProperty.call(table, k) ? table[k] : missing;
    if (!row) return;
    row.forEach((value, i) => {
      const [, trait, isFrame] = targets[i];
      if (isFrame && value < 0) return; // keep the frame shown
      if (current.get(i) === value) return;
      current.set(i, value);
      tmodels[i].set(trait, isFrame ? frame(value) : value);
    });
    document.documentElement.dataset.gwLastKey = k;
  };
  cmodels.forEach((m, i) => m.on(`change:${controls[i][1]}`, apply));
  // The embedded state is the opening state: remember which row is on screen.
  const first = table[key()];
  if (first) first.forEach((value, i) => current.set(i, value));
  window.gwStaticFrames = (window.gwStaticFrames || 0) + 1;
  window.gwStaticFramesReady = performance.now(); // the last table ready (benchmarks)
  ready.then(() => { window.gwStaticFramesLoaded = (window.gwStaticFramesLoaded || 0) + 1; });
}

export default { initialize };
