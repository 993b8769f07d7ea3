// ModelsPanel: models grouped by type and category, versions with stage / size / sha256,
// activate and roll back with the rebuild's progress bar, a benchmark of two versions.

const METRICS = ["recall@5", "mrr", "latency_p50_ms", "latency_p95_ms", "throughput_texts_per_s"];
const LOWER_IS_BETTER = new Set(["latency_p50_ms", "latency_p95_ms"]);

function render({ model, el }) {
  const { body } = mhFrame(model, el, "models");
  const busy = () => model.get("status") === "loading" || model.get("read_only");

  const refresh = h("button", { class: "mh-models-refresh", title: "Read the registry again",
    onclick: () => model.send({ event: "refresh" }) }, "↻ Refresh");
  const pickA = h("select", { class: "mh-bench-a", "aria-label": "baseline version" });
  const pickB = h("select", { class: "mh-bench-b", "aria-label": "version to compare" });
  const compare = h("button", { class: "mh-bench-run", title: "Latency, throughput, recall@5 and MRR of both versions",
    onclick: () => model.send({ event: "benchmark", model_type: "text_embedding", versions: [pickA.value, pickB.value] }),
  }, "Benchmark");
  const progress = h("div", { class: "mh-models-progress", hidden: true });
  const list = h("div", { class: "mh-models-list" });
  const bench = h("div", { class: "mh-models-bench", hidden: true });
  body.append(
    h("div", { class: "mh-toolbar" }, refresh, h("span", { class: "mh-muted" }, "Compare"), pickA,
      h("span", { class: "mh-muted" }, "with"), pickB, compare),
    progress, list, bench);

  const bar = (done, total, label) => h("progress", { class: "mh-progress", max: String(Math.max(total, 1)),
    value: String(done || 0), "aria-label": label });
  const drawProgress = () => {
    const job = model.get("job") || {};
    if (job.status === "building") {  // started from this panel
      const total = job.total || 0;
      progress.hidden = false;
      progress.replaceChildren(bar(job.done, total, "rebuild progress"),
        h("span", { class: "mh-progress-text" },
          `${job.action}: building vectors for ${job.model} ${job.version} — ${job.done || 0}/${total} texts; `
          + "searches use the active version meanwhile"));
      return;
    }
    // rebuilds the catalog says are running, started elsewhere (another kernel, the CLI)
    const builds = model.get("builds") || [];
    progress.hidden = builds.length === 0;
    progress.replaceChildren(...builds.map((b) => h("div", { class: "mh-build", dataset: { key: b.vector_key } },
      bar(b.done, b.total, `rebuild progress of ${b.model} ${b.version}`),
      h("span", { class: "mh-progress-text" },
        `${b.model_type}: building vectors for ${b.model} ${b.version} — ${b.done || 0}/${b.total || 0} ${b.unit}`
        + " (started elsewhere); searches use the active version meanwhile"))));
  };

  const versionRow = (type, m, v) => {
    const active = v.active;
    const action = active
      ? h("button", { class: "mh-rollback", title: `Go back to the ${type} version active before ${v.spec}`,
        disabled: busy(), onclick: () => model.send({ event: "rollback", model_type: type }) }, "Roll back")
      : h("button", { class: "mh-activate", title: `Make ${v.spec} the active ${type}`,
        disabled: busy() || ["deprecated", "archived"].includes(v.stage),
        onclick: () => model.send({ event: "activate", model_type: type, version: v.spec }) }, "Activate");
    return h("tr", { class: active ? "mh-version mh-version-active" : "mh-version", dataset: { spec: v.spec } },
      h("td", { class: "mh-mono" }, v.version),
      h("td", {}, h("span", { class: `mh-badge mh-stage mh-stage-${v.stage}` }, v.stage)),
      h("td", { class: "mh-active-cell" }, active ? h("span", { class: "mh-badge mh-active" }, "active") : ""),
      h("td", { class: "mh-size" }, v.size_text),
      h("td", { class: "mh-sha mh-mono", title: v.sha256 }, v.sha_short),
      h("td", {}, action));
  };

  const drawList = () => {
    const groups = model.get("groups") || [];
    list.replaceChildren(...groups.map((g) => h("section", { class: "mh-models-group", dataset: { type: g.type } },
      h("h4", {}, h("span", { class: "mh-mono" }, g.type), " · ", h("span", { class: "mh-muted" }, g.category)),
      ...g.models.map((m) => h("div", { class: "mh-model", dataset: { name: m.name } },
        h("div", { class: "mh-model-head" }, h("b", {}, m.name),
          h("span", { class: "mh-badge", title: "tier a session needs" }, m.tier),
          m.format ? h("span", { class: "mh-badge" }, m.format) : null,
          h("span", { class: "mh-model-path mh-muted mh-mono", title: m.path }, m.path)),
        h("table", { class: "mh-versions" },
          h("tr", {}, ...["version", "stage", "", "size", "sha256", ""].map((t) => h("th", {}, t))),
          ...m.versions.map((v) => versionRow(g.type, m, v))))))));
    const specs = groups.filter((g) => g.type === "text_embedding")
      .flatMap((g) => g.models.flatMap((m) => m.versions.map((v) => v.spec)));
    for (const [pick, index] of [[pickA, 0], [pickB, 1]]) {
      const keep = pick.value;
      pick.replaceChildren(...specs.map((s) => h("option", { value: s }, s)));
      pick.value = specs.includes(keep) ? keep : (specs[index] || specs[0] || "");
    }
    compare.disabled = specs.length < 2 || busy();
  };

  const drawBench = () => {
    const report = model.get("bench") || {};
    const rows = report.versions || [];
    bench.hidden = rows.length === 0;
    if (!rows.length) { bench.replaceChildren(); return; }
    const pct = Object.fromEntries((report.change || []).map((c) => [c.version, c.percent]));
    const cell = (r, m) => {
      const p = (pct[r.version] || {})[m];
      const better = p !== undefined && p !== null && p !== 0 && ((p < 0) === LOWER_IS_BETTER.has(m));
      return h("td", { class: "mh-bench-value" }, Number(r[m]).toPrecision(4),
        p === undefined || p === null ? null
          : h("span", { class: p === 0 ? "mh-pct" : (better ? "mh-pct mh-better" : "mh-pct mh-worse") },
            ` (${p > 0 ? "+" : ""}${p.toFixed(1)}%)`));
    };
    bench.replaceChildren(
      h("h4", {}, `Benchmark ${report.run_id}`),
      h("table", { class: "mh-bench-table" },
        h("tr", {}, h("th", {}, "metric"), ...rows.map((r) => h("th", { class: "mh-mono" }, r.version))),
        ...METRICS.map((m) => h("tr", { dataset: { metric: m } }, h("th", {}, m), ...rows.map((r) => cell(r, m))))),
      h("div", { class: "mh-muted" },
        `${report.queries} gold queries over ${report.corpus} indexed texts; change against ${rows[0].version}`));
  };

  model.on("change:groups", drawList);
  model.on("change:status", drawList);
  model.on("change:job", drawProgress);
  model.on("change:builds", drawProgress);
  model.on("change:bench", drawBench);
  drawList(); drawProgress(); drawBench();
}

export default { render };
