// The browser side of grokwidgets.widgets.canvas.FigureImage (anywidget ESM).

// A frame's type: the kernel sends PNGs; the static edition stores lossless WebPs.
const isWebp = (bytes) => {
  if (!bytes || bytes.byteLength < 12) return false;
  const u8 = new Uint8Array(bytes.buffer || bytes, bytes.byteOffset || 0, 12);
  return u8[0] === 0x52 && u8[8] === 0x57; // "RIFF....WEBP"
};
const blobOf = (bytes) => new Blob([bytes], { type: isWebp(bytes) ? "image/webp" : "image/png" });

function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "gw-figure";
  img.style.maxWidth = "100%";
  img.style.height = "auto";
  img.style.display = "block";
  let frame = 0;
  let bar = null; // the save buttons, as wide as the figure
  const size = () => {
    img.width = model.get("css_width");
    img.height = model.get("css_height");
    img.alt = model.get("alt");
    if (bar) bar.style.width = model.get("css_width") + "px";
  };
  // Layers (the static edition only; empty on the live page): images drawn over the
  // frame at given places (fractions of the frame), so the parts of a figure that a
  // control toggles or moves are composed here rather than stored in every
  // combination. They are drawn with the frame into a canvas of the frame's own
  // pixels, at whole pixels: exactly what matplotlib drew, never resampled.
  const stack = document.createElement("div");
  stack.className = "gw-figure-stack";
  stack.style.cssText = "position:relative;width:fit-content;max-width:100%;"; // the frame's box
  const canvas = document.createElement("canvas");
  canvas.className = "gw-figure-composed";
  canvas.setAttribute("aria-hidden", "true");
  canvas.style.cssText =
    "position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;display:none;";
  const decoded = new Map(); // layer bytes -> Promise of a decoded image (most recent last)
  const imageOf = (bytes) => {
    if (decoded.has(bytes)) {
      const p = decoded.get(bytes);
      decoded.delete(bytes);
      decoded.set(bytes, p);
      return p;
    }
    const u = URL.createObjectURL(blobOf(bytes));
    const im = new Image();
    im.src = u;
    const p = im.decode().then(() => im, () => im).finally(() => URL.revokeObjectURL(u));
    decoded.set(bytes, p);
    if (decoded.size > 96) decoded.delete(decoded.keys().next().value); // least recent
    return p;
  };
  const compose = async (ticket) => {
    const layers = model.get("layers") || [];
    if (!layers.length) {
      canvas.style.display = "none";
      return true;
    }
    const images = await Promise.all(layers.map((l) => imageOf(l.png)));
    if (!img.complete) await img.decode().catch(() => {}); // an earlier paint's frame
    if (ticket !== tickets) return false; // a newer paint began meanwhile: it draws
    const w = img.naturalWidth, h = img.naturalHeight;
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(img, 0, 0);
    layers.forEach((l, i) => ctx.drawImage(images[i], Math.round(l.left * w), Math.round(l.top * h)));
    canvas.style.display = "block";
    return true;
  };
  let pending = null;
  const show = () => {
    // A frame and its layers set together arrive as two changes: show them once.
    if (!pending) {
      pending = Promise.resolve().then(() => { pending = null; return paint(); });
    }
    return pending;
  };
  // Frames seen, by the values of the controls they were drawn at (FigureImage.cache_by):
  // back at a state seen before, its frame shows at once, before the kernel's.
  const fmt = (v) => {
    if (v === null || v === undefined) return "";
    if (typeof v === "boolean") return v ? "1" : "0";
    if (typeof v === "number") return String(Math.round(v * 1e6) / 1e6);
    return String(v);
  };
  const keyOf = (values) => values.map(fmt).join("|");
  const seen = new Map(); // key -> PNG bytes, least recently used first
  let controls = []; // [[model, trait], ...]
  const currentKey = () => {
    if (!controls.length) return null;
    const values = controls.map(([m, t]) => m.get(t));
    return keyOf([...values, model.get("dpr"), model.get("css_width")]);
  };
  const remember = () => {
    const state = model.get("frame_state");
    const data = model.get("png");
    if (!controls.length || !state || !state.length || !data || !data.byteLength) return;
    const k = keyOf(state);
    seen.delete(k);
    seen.set(k, data);
    if (seen.size > 48) seen.delete(seen.keys().next().value);
  };
  const recall = () => {
    const k = currentKey();
    if (k && seen.has(k) && seen.get(k) !== painted) paint(seen.get(k), "cache");
  };
  const subscribe = async () => {
    for (const [m, t] of controls) m.off(`change:${t}`, recall);
    const spec = model.get("key_controls") || [];
    const manager = model.widget_manager;
    controls = spec.length && manager
      ? await Promise.all(spec.map(async ([id, t]) => [await manager.get_model(id), t]))
      : [];
    for (const [m, t] of controls) m.on(`change:${t}`, recall);
    remember(); // the frame already on the model
  };
  const fromKernel = () => {
    remember();
    // A kernel frame of a state already left, when the state now shown is known:
    // keep the known one (the kernel's frame of this state follows).
    const k = currentKey();
    const state = model.get("frame_state") || [];
    if (k && seen.has(k) && state.length && keyOf(state) !== k) return;
    show();
  };
  // Object URLs of the frames shown lately, by their bytes, least recent first: a frame
  // shown again (a state seen before, or a static edition's frame) keeps its URL, so
  // the browser finds it already decoded.
  const urls = new Map();
  const urlOf = (data) => {
    let u = urls.get(data);
    if (u) urls.delete(data);
    else u = URL.createObjectURL(blobOf(data));
    urls.set(data, u);
    while (urls.size > 24) {
      const [oldest, old] = urls.entries().next().value;
      if (oldest === painted) break;
      URL.revokeObjectURL(old);
      urls.delete(oldest);
    }
    return u;
  };
  let painted = null; // the bytes on screen
  let tickets = 0; // paints begun: one that finishes after a newer one began draws nothing
  const paint = async (data = model.get("png"), source = "kernel") => {
    if (!data || data.byteLength === 0) return;
    const ticket = ++tickets;
    size();
    if (data !== painted) {
      painted = data;
      img.src = urlOf(data);
      try { await img.decode(); } catch (e) { /* a newer frame replaced this one */ }
    }
    if (!(await compose(ticket))) return;
    img.dataset.source = source; // "kernel" (or the page's own frames), or "cache"
    frame += 1;
    img.dataset.renderMs = String(model.get("render_ms"));
    img.dataset.frame = String(frame);
  };
  let mq = null;
  const report = () => {
    const dpr = window.devicePixelRatio || 1;
    if (model.get("dpr") !== dpr) { model.set("dpr", dpr); model.save_changes(); }
    if (mq) mq.removeEventListener("change", report);
    mq = window.matchMedia(`(resolution: ${dpr}dppx)`);
    mq.addEventListener("change", report);
  };
  // Save buttons: PNG is the frame on screen; SVG is drawn by the kernel on request.
  bar = document.createElement("div");
  bar.className = "gw-figure-tools";
  bar.style.cssText = "display:flex;gap:4px;justify-content:flex-end;max-width:100%;";
  bar.style.width = model.get("css_width") + "px";
  const save = (blob, ext) => {
    const a = document.createElement("a");
    const href = URL.createObjectURL(blob);
    a.href = href;
    a.download = `${model.get("filename")}.${ext}`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 1000);
  };
  const button = (label, title, onclick) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.className = "gw-save jupyter-button";
    b.style.cssText = "font-size:11px;padding:0 6px;height:20px;line-height:18px;";
    b.addEventListener("click", onclick);
    bar.appendChild(b);
    return b;
  };
  button("PNG", "Save this figure as PNG", () => {
    if (canvas.style.display !== "none") {
      canvas.toBlob((blob) => blob && save(blob, "png"), "image/png");  // as composed
      return;
    }
    const data = model.get("png");
    if (!data || !data.byteLength) return;
    if (!isWebp(data)) {
      save(new Blob([data], { type: "image/png" }), "png");
      return;
    }
    // A static edition's frame: the same pixels, as a PNG.
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    c.getContext("2d").drawImage(img, 0, 0);
    c.toBlob((blob) => blob && save(blob, "png"), "image/png");
  });
  button("SVG", "Save this figure as SVG", () => model.send({ type: "export", format: "svg" }));
  const onMessage = (msg, buffers) => {
    if (msg && msg.type === "export" && buffers && buffers.length) {
      save(new Blob([buffers[0]], { type: msg.mime }), msg.format);
    }
  };
  model.on("msg:custom", onMessage);
  // Tell the kernel whether this figure is on (or near) the screen: figures far
  // off screen skip their redraws until scrolled to, so a slider that moves many
  // figures only pays for the ones a reader can see.
  let io = null;
  if ("IntersectionObserver" in window) {
    io = new IntersectionObserver((entries) => {
      const seen = entries.some((e) => e.isIntersecting);
      if (model.get("visible") !== seen) { model.set("visible", seen); model.save_changes(); }
    }, { rootMargin: "300px" });
    io.observe(img);
  }
  // Tell the kernel how wide a column the page gives the figure: in a narrow one (a
  // phone) it takes its narrow layout rather than being shrunk (FigureImage.column).
  // A block as wide as the page's column (the widget's own element may not be a box).
  const column = document.createElement("div");
  column.className = "gw-figure-column";
  column.style.cssText = "display:block;width:100%;max-width:100%;";
  let ro = null;
  let timer = null;
  let sent = model.get("column");
  if ("ResizeObserver" in window) {
    ro = new ResizeObserver((entries) => {
      const width = Math.round(entries[entries.length - 1].contentRect.width);
      if (!width || width === sent) return;
      const tell = () => {
        sent = width;
        model.set("column", width);
        model.save_changes();
      };
      clearTimeout(timer);
      if (!sent) tell(); // the first width at once: the figure's layout depends on it
      else timer = setTimeout(tell, 150); // later ones once a resize has settled
    });
    ro.observe(column);
  }
  // Images the page is likely to show next (the static edition's neighbouring states):
  // decoded now, while the reader looks. A frame keeps the URL it is decoded under
  // (urlOf), a part its decoded image (imageOf).
  const ahead = ({ frames = [], layers = [] } = {}) => {
    for (const data of frames) {
      if (data === painted || urls.has(data)) continue;
      const im = new Image();
      im.src = urlOf(data);
      im.decode().catch(() => {});
    }
    for (const data of layers) imageOf(data);
  };
  model.on("change:png", fromKernel);
  model.on("change:layers", show);
  model.on("gw:ahead", ahead);
  model.on("change:key_controls", subscribe);
  subscribe();
  model.on("change:alt", size);
  size();  // keep the figure's place in the page before its first frame arrives
  stack.appendChild(img);
  stack.appendChild(canvas);
  column.appendChild(stack);
  column.appendChild(bar);
  el.appendChild(column);
  report();
  const first = model.get("png");
  if (!first || first.byteLength === 0) model.send({ type: "frame" });  // see draw_held_figures
  show();
  return () => {
    model.off("change:png", fromKernel);
    model.off("change:layers", show);
    model.off("gw:ahead", ahead);
    model.off("change:key_controls", subscribe);
    for (const [m, t] of controls) m.off(`change:${t}`, recall);
    model.off("change:alt", size);
    model.off("msg:custom", onMessage);
    if (io) io.disconnect();
    if (ro) ro.disconnect();
    clearTimeout(timer);
    if (mq) mq.removeEventListener("change", report);
    for (const u of urls.values()) URL.revokeObjectURL(u);
  };
}
export default { render };
