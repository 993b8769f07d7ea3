// ComparePanel: pick two to four models (suggested from the index), then the aligned table
// (differences highlighted, % change), structural diff, code diff, images side by side and a
// "Generate notebook" button. The lineage timeline is a plotly FigureWidget under the panel.

const SLOTS = 4;

// replaceChildren would show a null or false child as the text "null"/"false": leave them out.
const put = (node, ...children) =>
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));

function render({ model, el }) {
  const { body } = mhFrame(model, el, "modelcompare");
  const listId = `mh-mc-models-${Math.random().toString(36).slice(2)}`;
  const datalist = h("datalist", { id: listId });
  const slots = Array.from({ length: SLOTS }, (_, i) => h("input", {
    class: "mh-mc-pick", type: "text", list: listId, placeholder: i < 2 ? `model ${i + 1}` : `model ${i + 1} (optional)`,
    "aria-label": `model ${i + 1}`, onkeydown: (e) => { if (e.key === "Enter") run(); },
  }));
  const go = h("button", { class: "mh-mc-run", title: "Compare the picked models", onclick: () => run() }, "Compare");
  const onlyDiff = h("input", { type: "checkbox", class: "mh-mc-only-diff", onchange: () => drawResult() });
  const generate = h("button", { class: "mh-mc-generate", disabled: true,
    title: "Write the compare_models notebook for these models (with the documents it needs inside)",
    onclick: () => {
      // Under JupyterLab the notebook opens in a new tab. The tab is opened now, while the click
      // counts as the user's (a tab opened when the answer arrives would be a blocked pop-up), and
      // pointed at the notebook when its lab_url comes back; closed if none does.
      closePending();
      if (model.get("lab")) pending = window.open("", "_blank");
      model.send({ event: "generate" });
    } }, "Generate notebook");
  let pending = null;
  const closePending = () => { if (pending && !pending.closed) pending.close(); pending = null; };
  const nbInfo = h("div", { class: "mh-mc-notebook", hidden: true });
  const out = h("div", { class: "mh-mc-result" });
  body.append(
    datalist,
    h("div", { class: "mh-toolbar" }, ...slots, go),
    h("div", { class: "mh-toolbar" },
      h("label", { class: "mh-muted" }, onlyDiff, " only differences"), generate),
    nbInfo, out);

  function run() {
    const models = slots.map((s) => s.value.trim()).filter(Boolean);
    model.send({ event: "compare", models });
  }

  const drawChoices = () => {
    datalist.replaceChildren(...(model.get("choices") || []).map((c) => h("option", { value: c })));
  };

  const pctText = (r, i) => {
    const p = r.change_pct[i];
    if (i === 0 || p === null || p === undefined) return null;
    const imp = r.improvement_pct[i];
    const word = imp === null || imp === undefined || imp === 0 ? "" : (imp > 0 ? " better" : " worse");
    return h("span", { class: "mh-pct" }, ` (${p > 0 ? "+" : ""}${p.toFixed(1)}%${word})`);
  };

  const table = (res) => {
    const rows = onlyDiff.checked ? res.rows.filter((r) => r.diff) : res.rows;
    return h("table", { class: "mh-mc-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "field"), ...res.labels.map((l) => h("th", { class: "mh-mono" }, l)))),
      h("tbody", {}, ...rows.map((r) => h("tr", { class: r.diff ? "mh-diff" : "", dataset: { key: r.key } },
        h("th", { class: "mh-mono" }, r.key),
        ...r.display.map((v, i) => {
          const imp = r.improvement_pct[i];
          const cls = i === 0 || imp === null || imp === undefined || imp === 0 ? "" : (imp > 0 ? "mh-better" : "mh-worse");
          return h("td", { class: cls }, v, pctText(r, i));
        })))));
  };

  const lineClass = (line) => ({ "+": "mh-add", "-": "mh-del", "~": "mh-chg", "=": "mh-same" })[line[0]] || "";

  const drawResult = () => {
    const res = model.get("result") || {};
    generate.disabled = !res.labels || model.get("status") === "loading";
    if (!res.labels) { out.replaceChildren(); return; }
    const picked = model.get("picked") || [];
    slots.forEach((s, i) => { if (!s.value && picked[i]) s.value = picked[i]; });
    const imageCols = (res.images || []).filter((c) => c.images.length);
    put(out,
      ...res.notes.map((n) => h("p", { class: "mh-note mh-muted" }, n)),
      h("h4", {}, "Aligned table ", h("span", { class: "mh-muted" },
        `${res.rows.filter((r) => r.diff).length} of ${res.rows.length} fields differ; % change against ${res.labels[0]}`)),
      table(res),
      h("h4", {}, "Structural diff"),
      ...res.structure.map((d) => h("div", { class: "mh-mc-structure", dataset: { pair: `${d.a}:${d.b}` } },
        h("div", { class: "mh-muted" }, `${d.a} → ${d.b}`),
        d.lines.length
          ? h("ul", {}, ...d.lines.map((line) => h("li", { class: `mh-mono ${lineClass(line)}` }, line)))
          : h("div", { class: "mh-muted" }, "no structural change"))),
      h("h4", {}, "Code diff"),
      ...res.code.map((d) => h("details", { class: "mh-mc-code" },
        h("summary", {}, `${d.a} → ${d.b}`), h("div", { class: "mh-code", html: d.html }))),
      h("h4", {}, "Lineage"),
      h("ul", { class: "mh-mc-lineage" },
        ...(res.lineage.length ? res.lineage.map((e) => h("li", {}, `${e.source} → ${e.target}`))
          : [h("li", { class: "mh-muted" }, "no known predecessors")])),
      imageCols.length ? h("h4", {}, "Generated images") : null,
      imageCols.length ? h("div", { class: "mh-mc-images" }, ...imageCols.map((c) =>
        h("div", { class: "mh-mc-image-col" }, h("b", {}, c.label),
          ...c.images.map((img) => h("figure", {},
            img.thumbnail ? h("img", { src: `data:image/webp;base64,${img.thumbnail}`, alt: img.prompt || img.path })
              : h("div", { class: "mh-muted" }, "no thumbnail"),
            h("figcaption", { title: img.prompt || "" }, img.path)))))) : null);
  };

  const drawNotebook = () => {
    const nb = model.get("notebook") || {};
    nbInfo.hidden = !nb.path;
    if (!nb.path) { nbInfo.replaceChildren(); closePending(); return; }
    put(nbInfo,
      h("span", {}, "Notebook: "), h("code", { class: "mh-mc-nb-path" }, nb.path), " ",
      nb.lab_url ? h("a", { class: "mh-mc-open-lab", href: nb.lab_url, target: "_blank", rel: "noopener",
        title: `Open ${nb.lab_path} in JupyterLab` }, "Open in JupyterLab") : null,
      nb.lab_url ? " · " : null,
      nb.download ? h("a", { class: "mh-mc-nb-link", href: nb.download, download: nb.name }, `Download ${nb.name}`) : null,
      nb.colab ? h("a", { class: "mh-mc-colab", href: nb.colab, target: "_blank", rel: "noopener" }, " Open in Colab") : null);
    if (pending && !pending.closed && nb.lab_url) {
      pending.opener = null;
      pending.location.href = new URL(nb.lab_url, document.baseURI).href;
      pending = null;
    }
    closePending();
  };

  model.on("change:choices", drawChoices);
  model.on("change:result", drawResult);
  model.on("change:status", () => {
    if (model.get("status") === "error") closePending();  // the notebook was not written
    generate.disabled = !(model.get("result") || {}).labels || model.get("status") === "loading";
  });
  model.on("change:notebook", drawNotebook);
  drawChoices(); drawResult(); drawNotebook();
}

export default { render };
