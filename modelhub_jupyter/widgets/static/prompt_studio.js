// PromptStudio: pick a version of the answer prompt, edit it (CodeMirror, Jinja2 highlighted), see
// the rendered prompt live (debounced), the answer it gives, save / diff / activate / roll back, A/B.

// A CodeMirror 6 editor (static/codemirror.js, bundled offline by tools/codemirror/build.sh: the
// global MHCodeMirror) with Jinja2 highlighting; onInput() after every edit by the user.
function mhEditor(label, onInput) {
  const box = h("div", { class: "mh-editor" });
  let setting = false;
  const editor = MHCodeMirror.editor(box, "", () => { if (!setting) onInput(); }, label);
  const set = (text) => {
    setting = true;
    try { editor.set(text || ""); } finally { setting = false; }
  };
  return { box, get: editor.get, set };
}

function render({ model, el }) {
  const { body } = mhFrame(model, el, "prompt-studio");
  const send = (event, extra) => model.send({ event, ...(extra || {}) });

  // -- version picker and actions --
  const versionSelect = h("select", { class: "mh-version", "aria-label": "version to edit",
    onchange: () => send("select", { version: Number(versionSelect.value) }) });
  const dirtyMark = h("span", { class: "mh-dirty mh-muted" });
  const activateBtn = h("button", { class: "mh-activate-btn",
    onclick: () => send("activate", { version: Number(versionSelect.value) }) }, "Activate");
  const rollbackBtn = h("button", { class: "mh-rollback-btn", onclick: () => send("rollback") }, "Roll back");

  // -- editors --
  const push = debounce(() => mhSet(model, { system: system.get(), user: user.get() }), 350);
  const system = mhEditor("system template", push);
  const user = mhEditor("user template", push);
  const editError = h("div", { class: "mh-render-error", role: "alert" });
  const warnings = h("div", { class: "mh-warnings" });

  // -- sample question, preview, answer --
  const question = h("input", { class: "mh-sample", type: "text", "aria-label": "sample question" });
  const pushQuestion = debounce(() => mhSet(model, { question: question.value }), 400);
  question.addEventListener("input", pushQuestion);
  const star = h("button", { class: "mh-star", title: "Star this question (favorites)",
    onclick: () => send(model.get("starred") ? "unstar" : "star", { text: question.value }) }, "☆");
  const answerBtn = h("button", { class: "mh-answer-btn", onclick: () => send("answer", { llm: "none" }) },
    "Answer (extractive)");
  const llmBtn = h("button", { class: "mh-answer-llm-btn", onclick: () => send("answer", { llm: "local" }) },
    "Answer with local LLM");
  const rendered = h("div", { class: "mh-rendered" });
  const answer = h("div", { class: "mh-studio-answer" });

  // -- save --
  const note = h("input", { class: "mh-note", type: "text", placeholder: "note: what changed and why",
    "aria-label": "note" });
  const author = h("input", { class: "mh-author", type: "text", placeholder: "author (default: you)",
    "aria-label": "author" });
  const saveBtn = h("button", { class: "mh-save-btn", onclick: () => {
    send("save", { note: note.value, author: author.value });
    note.value = "";
  } }, "Save as new version");

  // -- history and diff --
  const history = h("table", { class: "mh-history" });
  const diffA = h("select", { class: "mh-diff-a", "aria-label": "diff from" });
  const diffB = h("select", { class: "mh-diff-b", "aria-label": "diff to" });
  const diffBtn = h("button", { class: "mh-diff-btn",
    onclick: () => send("diff", { a: Number(diffA.value), b: Number(diffB.value) }) }, "Diff");
  const diff = h("div", { class: "mh-diff" });

  // -- A/B --
  const abA = h("select", { class: "mh-ab-a", "aria-label": "A version" });
  const abB = h("select", { class: "mh-ab-b", "aria-label": "B version" });
  const abQuestions = h("textarea", { class: "mh-ab-questions", rows: 2, "aria-label": "A/B questions",
    placeholder: "empty: the gold questions; or one question a line" });
  const abBtn = h("button", { class: "mh-ab-btn", onclick: () => send("ab", {
    a: Number(abA.value), b: Number(abB.value), questions: abQuestions.value.trim() || "gold" }) }, "Run A/B");
  const abProgress = h("progress", { class: "mh-ab-progress", max: 1, value: 0 });
  const abResult = h("div", { class: "mh-ab-result" });
  const abRuns = h("ul", { class: "mh-ab-runs" });
  const favorites = h("ul", { class: "mh-favorites" });

  const section = (title, ...children) => h("section", { class: "mh-studio-section" }, h("h4", {}, title), ...children);
  body.append(
    h("div", { class: "mh-toolbar" }, h("label", {}, "Template version ", versionSelect), dirtyMark,
      activateBtn, rollbackBtn),
    h("div", { class: "mh-studio-grid" },
      h("div", { class: "mh-studio-left" },
        h("div", { class: "mh-editor-label mh-muted" }, "system"), system.box,
        h("div", { class: "mh-editor-label mh-muted" }, "user"), user.box,
        editError, warnings,
        h("div", { class: "mh-toolbar" }, note, author, saveBtn)),
      h("div", { class: "mh-studio-right" },
        h("div", { class: "mh-toolbar" }, question, star),
        section("Rendered prompt", rendered),
        h("div", { class: "mh-toolbar" }, answerBtn, llmBtn), answer)),
    section("Versions", history,
      h("div", { class: "mh-toolbar" }, "Diff ", diffA, " → ", diffB, diffBtn), diff),
    section("A/B test", h("div", { class: "mh-toolbar" }, "A ", abA, " B ", abB, abBtn, abProgress),
      abQuestions, abResult, h("div", { class: "mh-muted" }, "Stored runs"), abRuns),
    section("Favorite questions", favorites),
  );

  const options = (select, versions, value) => {
    const current = value || Number(select.value);
    select.replaceChildren(...versions.map((v) => h("option", { value: v.version },
      `v${v.version}${v.active ? " (active)" : ""}${v.note ? " — " + v.note.slice(0, 40) : ""}`)));
    if (current) select.value = String(current);
  };

  const drawVersions = () => {
    const versions = model.get("versions") || [];
    options(versionSelect, versions, model.get("selected"));
    options(diffA, versions, model.get("diff_a"));
    options(diffB, versions, model.get("diff_b"));
    const active = model.get("active");
    options(abA, versions, Number(abA.value) || active);
    options(abB, versions, Number(abB.value) || (versions[0] || {}).version);
    history.replaceChildren(
      h("tr", {}, ["", "version", "created", "author", "from", "note", ""].map((t) => h("th", {}, t))),
      ...versions.map((v) => h("tr", { class: v.active ? "mh-active-row" : "", dataset: { version: v.version } },
        h("td", {}, v.active ? "●" : ""), h("td", {}, `v${v.version}`), h("td", {}, v.created),
        h("td", {}, v.author), h("td", {}, v.parent ? `v${v.parent}` : ""), h("td", {}, v.note),
        h("td", {}, h("button", { class: "mh-load-btn", onclick: () => send("select", { version: v.version }) }, "Edit")))));
    rollbackBtn.disabled = versions.length < 2;
  };
  const drawSelected = () => {
    versionSelect.value = String(model.get("selected"));
    activateBtn.disabled = model.get("selected") === model.get("active") && !model.get("dirty");
  };
  const drawText = () => { system.set(model.get("system")); user.set(model.get("user")); };
  const drawDirty = () => {
    dirtyMark.textContent = model.get("dirty") ? "● edited, not saved" : "";
    saveBtn.disabled = !model.get("dirty");
    drawSelected();
  };
  const drawError = () => {
    editError.textContent = model.get("render_error");
    editError.hidden = !model.get("render_error");
    warnings.replaceChildren(...(model.get("warnings") || []).map((w) => h("div", { class: "mh-warning" }, `⚠ ${w}`)));
    rendered.classList.toggle("mh-stale", Boolean(model.get("render_error")));
  };
  const drawRendered = () => {
    const r = model.get("rendered") || {};
    rendered.replaceChildren(
      h("div", { class: "mh-muted" }, `${r.version || ""} · passages: ${(r.passages || []).join(", ") || "none"}`),
      h("div", { class: "mh-editor-label mh-muted" }, "system"), h("pre", { class: "mh-rendered-system" }, r.system || ""),
      h("div", { class: "mh-editor-label mh-muted" }, "user"), h("pre", { class: "mh-rendered-user" }, r.user || ""),
      ...(r.notes || []).map((n) => h("div", { class: "mh-muted mh-note-line" }, n)));
  };
  const drawAnswer = () => {
    const a = model.get("answer") || {};
    answer.hidden = !a.text;
    answerBtn.disabled = llmBtn.disabled = model.get("answering");
    if (!a.text) return;
    answer.replaceChildren(
      h("div", { class: "mh-muted" }, `${a.mode} · ${a.model || "no language model"} · ${Number(a.seconds).toFixed(2)} s`),
      h("div", { class: "mh-answer-text" }, a.text),
      (a.citations || []).length ? h("div", { class: "mh-muted" }, `cited: ${a.citations.join(", ")}`) : null);
  };
  const drawDiff = () => { diff.innerHTML = model.get("diff_html") || ""; };  // escaped by difflib
  const drawAb = () => {
    const running = model.get("ab_running");
    abBtn.disabled = running;
    const p = model.get("ab_progress") || {};
    abProgress.hidden = !running;
    abProgress.max = p.total || 1;
    abProgress.value = p.done || 0;
    const r = model.get("ab_result") || {};
    abResult.replaceChildren();
    if (!r.table) return;
    abResult.append(
      h("table", { class: "mh-ab-table" },
        h("tr", {}, h("th", {}, `#${r.id} · ${r.questions} question(s) · llm ${r.llm}`), h("th", {}, `A ${r.a}`), h("th", {}, `B ${r.b}`)),
        ...r.table.map((row) => h("tr", {}, ...row.map((cell) => h("td", {}, cell))))),
      h("p", { class: "mh-verdict" }, r.verdict),
      ...(r.notes || []).map((n) => h("div", { class: "mh-muted" }, n)));
  };
  const drawRuns = () => abRuns.replaceChildren(...(model.get("ab_runs") || []).map((r) =>
    h("li", {}, `#${r.id} ${r.a} vs ${r.b} · ${r.questions} q · ${r.status}: ${r.verdict}`)));
  const drawFavorites = () => {
    star.textContent = model.get("starred") ? "★" : "☆";
    star.setAttribute("aria-pressed", String(Boolean(model.get("starred"))));
    favorites.replaceChildren(...(model.get("favorites") || []).filter((f) => f.action === "ask").map((f) =>
      h("li", {}, h("a", { href: "#", onclick: (e) => { e.preventDefault(); question.value = f.text; mhSet(model, { question: f.text }); } }, f.text),
        " ", h("button", { class: "mh-unstar", title: "remove", onclick: () => send("unstar", { id: f.id }) }, "✕"))));
  };
  const syncQuestion = () => {
    if (document.activeElement !== question && question.value !== model.get("question")) question.value = model.get("question");
  };

  model.on("change:versions", drawVersions);
  model.on("change:active", drawVersions);
  model.on("change:selected", drawSelected);
  model.on("change:diff_a", drawVersions);
  model.on("change:diff_b", drawVersions);
  model.on("change:system", drawText);
  model.on("change:user", drawText);
  model.on("change:dirty", drawDirty);
  model.on("change:render_error", drawError);
  model.on("change:warnings", drawError);
  model.on("change:rendered", drawRendered);
  model.on("change:answer", drawAnswer);
  model.on("change:answering", drawAnswer);
  model.on("change:diff_html", drawDiff);
  for (const name of ["ab_running", "ab_progress", "ab_result"]) model.on(`change:${name}`, drawAb);
  model.on("change:ab_runs", drawRuns);
  model.on("change:favorites", drawFavorites);
  model.on("change:starred", drawFavorites);
  model.on("change:question", syncQuestion);
  // A served read-only dashboard: edit and preview, nothing stored (Python refuses too).
  const drawReadOnly = () => {
    const ro = Boolean(model.get("read_only"));
    for (const node of [note, author, saveBtn, activateBtn, rollbackBtn, abBtn, abQuestions]) node.hidden = ro;
  };
  model.on("change:read_only", drawReadOnly);
  drawReadOnly();
  question.value = model.get("question");
  drawVersions(); drawText(); drawDirty(); drawError(); drawRendered(); drawAnswer(); drawDiff(); drawAb(); drawRuns(); drawFavorites();
}

export default { render };
