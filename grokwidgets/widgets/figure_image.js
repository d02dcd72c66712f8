// The browser side of grokwidgets.widgets.canvas.FigureImage (anywidget ESM).
function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "gw-figure";
  img.style.maxWidth = "100%";
  img.style.height = "auto";
  img.style.display = "block";
  let url = null;
  let frame = 0;
  const size = () => {
    img.width = model.get("css_width");
    img.height = model.get("css_height");
    img.alt = model.get("alt");
  };
  const show = async () => {
    const data = model.get("png");
    if (!data || data.byteLength === 0) return;
    const next = URL.createObjectURL(new Blob([data], { type: "image/png" }));
    size();
    img.src = next;
    try { await img.decode(); } catch (e) { /* a newer frame replaced this one */ }
    if (url) URL.revokeObjectURL(url);
    url = next;
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
  const bar = document.createElement("div");
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
    const data = model.get("png");
    if (data && data.byteLength) save(new Blob([data], { type: "image/png" }), "png");
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
  model.on("change:png", show);
  model.on("change:alt", size);
  size();  // keep the figure's place in the page before its first frame arrives
  el.appendChild(img);
  el.appendChild(bar);
  report();
  const first = model.get("png");
  if (!first || first.byteLength === 0) model.send({ type: "frame" });  // see draw_held_figures
  show();
  return () => {
    model.off("change:png", show);
    model.off("change:alt", size);
    model.off("msg:custom", onMessage);
    if (io) io.disconnect();
    if (mq) mq.removeEventListener("change", report);
    if (url) URL.revokeObjectURL(url);
  };
}
export default { render };
