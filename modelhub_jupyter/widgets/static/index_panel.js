// IndexPanel: status summary, path + re-index with progress, last runs, errors.

function render({ model, el }) {
  const { body } = mhFrame(model, el, "index");

  const path = h("input", {
    class: "mh-path", type: "text", placeholder: "/path/to/workspace", "aria-label": "folder to index",
    value: model.get("path"),
  });
  const go = () => {
    mhSet(model, { path: path.value });
    model.send({ event: "reindex", path: path.value });
  };
  path.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
  const button = h("button", { class: "mh-reindex", onclick: go }, "Index");
  const progress = h("progress", { class: "mh-progress", "aria-label": "indexing progress" });
  const summary = h("div", { class: "mh-index-summary" });
  const runs = h("div", { class: "mh-runs" });
  const errors = h("div", { class: "mh-errors-box" });

  const rootsId = `mh-roots-${Math.random().toString(36).slice(2)}`;
  const roots = h("datalist", { id: rootsId });
  path.setAttribute("list", rootsId);
  const note = h("div", { class: "mh-note" });
  const toolbar = h("div", { class: "mh-toolbar" }, path, button, progress, roots);
  body.append(toolbar, note, summary, runs, errors);

  const drawAccess = () => {
    const readOnly = model.get("read_only");
    const allowed = model.get("allowed_roots") || [];
    toolbar.hidden = readOnly;
    roots.replaceChildren(...allowed.map((r) => h("option", { value: r })));
    note.textContent = readOnly
      ? "Read-only dashboard: its owner indexes folders (modelhub index PATH)."
      : allowed.length ? `Folders this dashboard may index: ${allowed.join(", ")}` : "";
    note.hidden = !note.textContent;
  };

  const drawRunning = () => {
    const running = model.get("running");
    const done = model.get("done") || 0;
    const total = model.get("total") || 0;
    progress.hidden = !running;
    if (running && total > 0) {
      progress.max = total;
      progress.value = done;
    } else if (running) {
      progress.removeAttribute("value");  // indeterminate while scanning
    }
    button.disabled = running;
    button.textContent = running ? (total > 0 ? `Indexing… ${done}/${total}` : "Indexing…") : "Index";
  };

  const drawSummary = () => {
    const s = model.get("summary") || {};
    const docs = Object.entries(s.documents || {});
    const rows = [
      ["roots", (s.roots || []).join(", ") || "none"],
      ["files", s.files ?? 0],
      ["documents", docs.length ? docs.map(([k, v]) => `${k}: ${v}`).join(" · ") : "none"],
      ["relationships", s.relationships ?? 0],
      ["errors", s.errors ?? 0],
      ["store", s.store || ""],
      ["embedder", s.embedder || ""],
      ["home", s.home || ""],
    ];
    summary.replaceChildren(h("table", {}, h("tbody", {}, rows.map(([k, v]) =>
      h("tr", { dataset: { key: k } }, h("th", {}, k), h("td", { class: "mh-mono" }, String(v)))))));
  };

  const drawRuns = () => {
    const items = model.get("runs") || [];
    runs.replaceChildren(items.length ? h("details", { open: true }, h("summary", {}, `Last runs (${items.length})`),
      h("table", { class: "mh-runs-table" },
        h("thead", {}, h("tr", {}, ["started", "root", "status", "files", "indexed", "unchanged", "errors", "s"].map((c) => h("th", {}, c)))),
        h("tbody", {}, items.map((r) => h("tr", {},
          [r.started, r.root, r.status, r.files_seen, r.indexed, r.unchanged, r.errors, r.seconds]
            .map((v) => h("td", {}, mhText(v)))))))) : "");
  };

  const drawErrors = () => {
    const items = model.get("errors") || [];
    errors.replaceChildren(h("details", { open: items.length > 0 && items.length <= 20 },
      h("summary", {}, `Errors (${items.length})`),
      h("table", { class: "mh-errors" },
        h("thead", {}, h("tr", {}, h("th", {}, "path"), h("th", {}, "reason"))),
        h("tbody", {}, items.map((e) => h("tr", {}, h("td", { class: "mh-mono" }, e.path), h("td", {}, e.error)))))));
  };

  model.on("change:running", drawRunning);
  model.on("change:done", drawRunning);
  model.on("change:total", drawRunning);
  model.on("change:summary", drawSummary);
  model.on("change:runs", drawRuns);
  model.on("change:errors", drawErrors);
  model.on("change:read_only", drawAccess);
  model.on("change:allowed_roots", drawAccess);
  model.on("change:path", () => { if (document.activeElement !== path) path.value = model.get("path"); });
  drawAccess(); drawRunning(); drawSummary(); drawRuns(); drawErrors();
}

export default { render };
