// QualityPanel: latency by intent, zero-result / low-confidence / thumbs-down queries, most opened
// results, comparison dimensions, the problem queries (Export YAML) and the resource monitor.

function render({ model, el }) {
  const { body } = mhFrame(model, el, "quality");

  const period = h("select", { class: "mh-quality-period", "aria-label": "period",
    onchange: () => model.send({ event: "period", days: period.value }) },
  h("option", { value: "all" }, "all time"), h("option", { value: "1" }, "last day"),
  h("option", { value: "7" }, "last 7 days"), h("option", { value: "30" }, "last 30 days"));
  period.value = { 1: "1", 7: "7", 30: "30" }[model.get("days")] || "all";
  const refresh = h("button", { class: "mh-quality-refresh", title: "Read the query log and the resources again",
    onclick: () => model.send({ event: "refresh" }) }, "↻ Refresh");
  const exportBtn = h("button", { class: "mh-quality-export",
    title: "The problem queries in the gold set's format (benchmarks/gold), labels proposed for review",
    onclick: () => model.send({ event: "export" }) }, "Export YAML");
  const download = h("a", { class: "mh-quality-download", hidden: true }, "");
  const summary = h("div", { class: "mh-quality-summary mh-muted" });
  const grid = h("div", { class: "mh-quality-grid" });
  const resources = h("div", { class: "mh-quality-resources" });
  body.append(h("div", { class: "mh-toolbar" }, period, refresh, exportBtn, download), summary, grid,
    h("h4", {}, "Resources"), resources);

  const card = (title, cls, content) => h("section", { class: `mh-quality-card ${cls}` }, h("h4", {}, title), content);
  const list = (items, line, empty) => items.length
    ? h("ol", {}, items.map((item) => h("li", {}, line(item))))
    : h("div", { class: "mh-muted" }, empty);
  const queryLine = (p) => [h("span", { class: "mh-quality-text" }, p.text),
    h("span", { class: "mh-muted" }, ` ${p.action}${p.kind && p.kind !== "all" ? ` · ${p.kind}` : ""}`
      + (p.count > 1 ? ` · ×${p.count}` : "")
      + (p.confidence !== null && p.confidence !== undefined ? ` · ${Math.round(p.confidence * 100)}%` : ""))];

  const latency = (stats) => {
    const entries = Object.entries(stats || {});
    if (!entries.length) return h("div", { class: "mh-muted" }, "no queries yet");
    const top = Math.max(...entries.map(([, v]) => v.p95), 1);
    return h("table", { class: "mh-quality-latency" },
      h("thead", {}, h("tr", {}, h("th", {}, "intent"), h("th", {}, "n"), h("th", {}, "p50"), h("th", {}, "p95"), h("th", {}, ""))),
      h("tbody", {}, entries.map(([intent, v]) => h("tr", { dataset: { intent } },
        h("td", { class: "mh-mono" }, intent), h("td", {}, String(v.n)),
        h("td", {}, `${Math.round(v.p50)} ms`), h("td", {}, `${Math.round(v.p95)} ms`),
        h("td", { class: "mh-quality-bars" },
          h("span", { class: "mh-bar mh-bar-p95", style: `width:${Math.max(2, (100 * v.p95) / top)}%` }),
          h("span", { class: "mh-bar mh-bar-p50", style: `width:${Math.max(2, (100 * v.p50) / top)}%` }))))));
  };

  const draw = () => {
    const r = model.get("report") || {};
    summary.textContent = r.queries === undefined ? ""
      : `${r.queries} recorded quer${r.queries === 1 ? "y" : "ies"}; `
        + `${(r.problems || []).length} problem quer${(r.problems || []).length === 1 ? "y" : "ies"} `
        + `(no results, best result below ${Math.round((r.low_confidence_below || 0) * 100)}% relevance, or thumbs down)`;
    exportBtn.disabled = !(r.problems || []).length;
    grid.replaceChildren(
      card("Latency by intent", "mh-quality-latency-card", latency(r.latency_ms)),
      card("No results", "mh-quality-zero", list(r.zero_results || [], queryLine, "none")),
      card("Low confidence", "mh-quality-low", list(r.low_confidence || [], queryLine, "none")),
      card("Thumbs down", "mh-quality-down", list(r.thumbs_down || [], queryLine, "none")),
      card("Most opened", "mh-quality-opened", list(r.opened || [], (o) => [
        h("span", { class: "mh-mono" }, o.path), h("span", { class: "mh-muted" }, ` ${o.kind || ""} · ×${o.count}`)],
      "nothing opened yet")),
      card("Comparison dimensions", "mh-quality-dims", list(r.comparison_dimensions || [], (d) => [
        h("span", { class: "mh-mono" }, d.dimension), h("span", { class: "mh-muted" }, ` in ${d.count} of ${d.of} comparisons`)],
      "no comparisons yet")),
      card(`Problem queries (${(r.problems || []).length})`, "mh-quality-problems", list(r.problems || [], (p) => [
        ...queryLine(p), h("span", { class: "mh-badge" }, p.reasons.join(", "))], "none — every recorded query found something")),
    );
  };

  const rows = (items) => h("table", { class: "mh-quality-table" }, h("tbody", {}, items.map((row) =>
    h("tr", { title: row.title || null }, h("th", {}, row.label), h("td", { class: "mh-quality-value" }, row.value),
      h("td", { class: "mh-muted" }, row.detail)))));
  const drawResources = () => {
    const r = model.get("resources") || {};
    resources.replaceChildren(
      card("Process", "mh-res-process", rows(r.process || [])),
      card("Models", "mh-res-models", (r.models || []).length ? rows(r.models) : h("div", { class: "mh-muted" }, "none")),
      card("Stores on disk", "mh-res-stores", rows(r.stores || [])),
      card("GPU", "mh-res-gpu", (r.gpu || []).length ? rows(r.gpu) : h("div", { class: "mh-muted" }, "no GPU in use")),
    );
  };

  // The export arrives as text: offered as a file download (nothing served from a path).
  let url = null;
  const drawExport = () => {
    const text = model.get("yaml_text");
    if (url) URL.revokeObjectURL(url);
    url = null;
    download.hidden = !text;
    if (!text) return;
    url = URL.createObjectURL(new Blob([text], { type: "application/x-yaml" }));
    download.href = url;
    download.download = model.get("yaml_name") || "problem_queries.yaml";
    download.textContent = `⤓ ${download.download}`;
  };

  model.on("change:report", draw);
  model.on("change:resources", drawResources);
  model.on("change:yaml_text", drawExport);
  draw(); drawResources(); drawExport();
}

export default { render };
