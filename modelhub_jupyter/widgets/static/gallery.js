// ImageGallery: filter bar, paginated grid with hover overlay, detail view, compare view.

function render({ model, el }) {
  const { body } = mhFrame(model, el, "gallery");
  let compareOpen = false;

  // -- toolbar: query + filter bar -------------------------------------------------------
  const query = h("input", {
    class: "mh-query", type: "search", placeholder: "Search images by what they show or their prompt…",
    "aria-label": "image query", value: model.get("query"),
  });
  query.addEventListener("input", debounce(() => mhSet(model, { query: query.value }), 250));

  const setFilter = (key, value) => {
    const filters = { ...(model.get("filters") || {}) };
    if (value === "" || value === null) delete filters[key];
    else filters[key] = value;
    mhSet(model, { filters });
  };
  const dropdowns = {};
  for (const key of ["sampler", "model_checkpoint", "generator"]) {
    const select = h("select", { class: `mh-filter mh-filter-${key}`, "aria-label": key });
    select.addEventListener("change", () => setFilter(key, select.value));
    dropdowns[key] = select;
  }
  const numberInput = (key, label, step) => {
    const input = h("input", {
      class: `mh-filter mh-filter-${key}`, type: "number", step, min: 0, placeholder: label,
      "aria-label": label, title: label,
    });
    // Applied as you type (debounced, like the prompt box), at once on Enter, and on change (Tab, arrows).
    const apply = () => {
      const current = (model.get("filters") || {})[key];
      const value = input.value;
      if (String(current ?? "") !== value && (value === "" || input.checkValidity())) setFilter(key, value);
    };
    const typed = debounce(apply, 300);
    input.addEventListener("input", typed);
    input.addEventListener("change", apply);
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") apply(); });
    return input;
  };
  const steps = numberInput("min_steps", "steps ≥", 1);
  const cfgMin = numberInput("cfg_min", "cfg ≥", 0.5);
  const cfgMax = numberInput("cfg_max", "cfg ≤", 0.5);

  const drawOptions = () => {
    const options = model.get("filter_options") || {};
    const filters = model.get("filters") || {};
    for (const [key, select] of Object.entries(dropdowns)) {
      select.replaceChildren(h("option", { value: "" }, `${key.replace("_", " ")}: any`),
        ...(options[key] || []).map((v) => h("option", { value: v }, v)));
      select.value = filters[key] || "";
    }
    for (const [input, key] of [[steps, "min_steps"], [cfgMin, "cfg_min"], [cfgMax, "cfg_max"]]) {
      if (document.activeElement !== input) input.value = filters[key] ?? "";  // never under the user's typing
    }
  };

  const compareBtn = h("button", { class: "mh-compare-btn", onclick: () => { compareOpen = true; drawCompare(); } });
  const prev = h("button", { class: "mh-prev", "aria-label": "previous page", onclick: () => mhSet(model, { page: Math.max(0, model.get("page") - 1) }) }, "‹ Prev");
  const next = h("button", { class: "mh-next", "aria-label": "next page", onclick: () => mhSet(model, { page: model.get("page") + 1 }) }, "Next ›");
  const label = h("span", { class: "mh-page-label" });

  const grid = h("div", { class: "mh-grid", role: "list" });
  const detail = h("div", { class: "mh-detail", hidden: true });
  const compare = h("div", { class: "mh-compare", hidden: true });

  // -- search by example: "more like this" chip, a dropped or pasted image, the regions toggle --
  const likeChip = h("span", { class: "mh-like-chip", hidden: true });
  const drawLike = () => {
    const name = model.get("like_name");
    likeChip.hidden = !model.get("like_id") && !model.get("like_drop");
    likeChip.replaceChildren(`Looks like ${name || "…"} `,
      h("button", { class: "mh-like-clear", "aria-label": "clear more like this",
        onclick: () => mhSet(model, { like_id: "", like_drop: "" }) }, "×"));
  };
  const regionsBox = h("input", { class: "mh-regions", type: "checkbox", checked: !!model.get("regions"),
    onchange: (event) => mhSet(model, { regions: event.target.checked }) });
  const regionsToggle = h("label", { class: "mh-regions-toggle", title: "rank image regions; draw the matching box" },
    regionsBox, " regions");
  const dropZone = h("div", { class: "mh-drop", tabindex: 0, role: "button",
    title: "drop an image here, or focus and paste one, to find images that look like it" },
    "Drop or paste an image");
  const sendImage = async (file) => {
    if (!file || !(file.type || "").startsWith("image/")) return false;
    const buffer = await file.arrayBuffer();
    model.send({ event: "like_image", name: file.name || "pasted image", type: file.type }, undefined, [buffer]);
    return true;
  };
  const imageOf = (transfer) => {
    if (!transfer) return null;
    for (const file of transfer.files || []) if ((file.type || "").startsWith("image/")) return file;
    for (const item of transfer.items || []) {
      if (item.kind === "file" && (item.type || "").startsWith("image/")) return item.getAsFile();
    }
    return null;
  };
  const onDrag = (event) => {
    if ([...(event.dataTransfer?.types || [])].includes("Files")) {
      event.preventDefault();
      body.classList.add("mh-dropping");
    }
  };
  body.addEventListener("dragenter", onDrag);
  body.addEventListener("dragover", onDrag);
  body.addEventListener("dragleave", (event) => {
    if (!body.contains(event.relatedTarget)) body.classList.remove("mh-dropping");
  });
  body.addEventListener("drop", (event) => {
    body.classList.remove("mh-dropping");
    const file = imageOf(event.dataTransfer);
    if (file) { event.preventDefault(); sendImage(file); }
  });
  body.addEventListener("paste", (event) => {  // text pastes into the query box as usual
    const file = imageOf(event.clipboardData);
    if (file) { event.preventDefault(); sendImage(file); }
  });

  body.append(
    h("div", { class: "mh-toolbar" }, query, ...Object.values(dropdowns), steps, cfgMin, cfgMax, regionsToggle, dropZone),
    h("div", { class: "mh-toolbar mh-pager" }, prev, label, next, likeChip, compareBtn),
    detail, compare, grid,
  );

  // -- grid ------------------------------------------------------------------------------
  const overlay = (o) => h("div", { class: "mh-overlay" },
    o.prompt ? h("div", { class: "mh-overlay-prompt" }, o.prompt) : null,
    h("div", {}, [["steps", o.steps], ["sampler", o.sampler], ["cfg", o.cfg], ["seed", o.seed], ["model", o.model]]
      .filter(([, v]) => v).map(([k, v]) => h("span", { class: "mh-overlay-param" }, h("b", {}, k), " ", v))));

  const tile = (item) => {
    const selected = model.get("selected") || [];
    const checkbox = h("input", {
      class: "mh-select", type: "checkbox", "aria-label": `select ${item.name}`,
      checked: selected.includes(item.id),
      disabled: !selected.includes(item.id) && selected.length >= 4,
      onclick: (event) => event.stopPropagation(),
      onchange: (event) => {
        const current = model.get("selected") || [];
        const value = event.target.checked ? [...current, item.id] : current.filter((id) => id !== item.id);
        mhSet(model, { selected: value });
      },
    });
    const safety = item.safety || {};
    const blurred = safety.blur && !revealed.has(item.id);
    const picture = item.thumbnail
      ? h("img", { src: item.thumbnail, alt: item.name, loading: "lazy", decoding: "async",
          class: blurred ? "mh-blurred" : "" })
      : h("div", { class: "mh-placeholder-label" }, item.name);
    const box = item.box && item.box.length === 4
      ? h("div", { class: "mh-region", title: "the region that matched", style:
          `left:${item.box[0] * 100}%;top:${item.box[1] * 100}%;` +
          `width:${(item.box[2] - item.box[0]) * 100}%;height:${(item.box[3] - item.box[1]) * 100}%` })
      : null;
    const count = item.count > 1
      ? h("span", { class: "mh-dup-count", title: `${item.count} near-duplicates folded into this tile` }, `×${item.count}`)
      : null;
    const more = h("button", { class: "mh-more-like", title: "images that look like this one",
      onclick: (event) => { event.stopPropagation(); mhSet(model, { like_id: item.id, page: 0 }); } }, "More like this");
    const warning = blurred
      ? h("div", { class: "mh-safety", title: `${safety.key} ${safety.score} by ${safety.model}` },
          `${safety.key} ${Math.round(safety.score * 100)}% (${safety.model}) — click to show`)
      : safety.status === "unassessed"
        ? h("span", { class: "mh-safety-none", title: `safety: unassessed — ${safety.reason || ""}` }, "unassessed")
        : null;
    const relevance = item.relevance_label  // searches only: browsing has no relevance
      ? h("span", { class: `mh-tile-relevance mh-${item.strength || "weak"}`, title: item.why || "" }, item.relevance_label)
      : null;
    return h("div", {
      class: `mh-tile${item.placeholder ? " mh-placeholder" : ""}`, role: "listitem", tabindex: 0,
      dataset: { id: item.id, count: item.count || 1 }, title: item.path,
      onclick: () => {
        if (blurred) { revealed.add(item.id); drawGrid(); return; }  // the first click only reveals
        mhSet(model, { detail_id: item.id });
      },
      onkeydown: (event) => { if (event.key === "Enter") mhSet(model, { detail_id: item.id }); },
    }, picture, box, checkbox, count, more, warning, relevance,
    h("div", { class: "mh-tile-name" },
      item.show_root ? h("span", { class: "mh-root", title: item.root_path }, item.root) : null, item.name),
    overlay(item.overlay || {}));
  };
  const revealed = new Set();

  const drawGrid = () => grid.replaceChildren(...(model.get("items") || []).map(tile));

  const drawPager = () => {
    const total = model.get("total"), size = model.get("page_size"), page = model.get("page");
    label.textContent = model.get("page_label");
    prev.disabled = page <= 0;
    next.disabled = (page + 1) * size >= total;
    const n = (model.get("selected") || []).length;
    compareBtn.textContent = `Compare (${n})`;
    compareBtn.disabled = n < 2 || n > 4;
    compareBtn.title = "select 2–4 images to compare";
  };

  // -- detail ------------------------------------------------------------------------------
  const close = (onclick) => h("button", { class: "mh-close", "aria-label": "close", onclick }, "×");
  const drawDetail = () => {
    const d = model.get("detail") || {};
    detail.hidden = !d.id;
    if (!d.id) { detail.replaceChildren(); return; }
    detail.replaceChildren(
      h("div", { class: "mh-detail-head" }, h("b", {}, d.name), close(() => mhSet(model, { detail_id: "" }))),
      h("div", { class: "mh-detail-body" },
        d.thumbnail ? h("img", { class: "mh-detail-img", src: d.thumbnail, alt: d.name })
          : h("div", { class: "mh-detail-img mh-placeholder" }, d.name),
        h("table", { class: "mh-params" },
          h("thead", {}, h("tr", {}, h("th", {}, "parameter"), h("th", {}, "value"), h("th", {}, "source"))),
          h("tbody", {}, [...(d.rows || []), ...(d.extra || [])].map((r) => h("tr", { dataset: { key: r.key } },
            h("td", { class: "mh-mono" }, r.key), h("td", { class: "mh-param-value" }, r.value),
            h("td", { class: "mh-muted" }, r.source)))))));
  };

  // -- compare -------------------------------------------------------------------------------
  const drawCompare = () => {
    const c = model.get("comparison") || {};
    const show = compareOpen && (c.ids || []).length >= 2;
    compare.hidden = !show;
    if (!show) { compare.replaceChildren(); return; }
    compare.replaceChildren(
      h("div", { class: "mh-detail-head" }, h("b", {}, `Comparing ${c.ids.length} images`),
        h("span", { class: "mh-muted" }, ` · ${c.differing.length} parameters differ`),
        close(() => { compareOpen = false; drawCompare(); })),
      h("table", { class: "mh-compare-table" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), c.images.map((im) => h("th", {},
          im.thumbnail ? h("img", { class: "mh-compare-img", src: im.thumbnail, alt: im.name })
            : h("div", { class: "mh-compare-img mh-placeholder" }, im.name),
          h("div", { class: "mh-tile-name" }, im.name))))),
        h("tbody", {}, c.rows.map((r) => h("tr", { dataset: { key: r.key }, class: r.diff ? "mh-row-diff" : "" },
          h("td", { class: "mh-mono" }, r.key),
          r.values.map((v) => h("td", { class: r.diff ? "mh-diff" : "" }, v)))))));
  };

  model.on("change:filter_options", drawOptions);
  model.on("change:filters", drawOptions);
  model.on("change:items", () => { drawGrid(); drawPager(); });
  model.on("change:selected", () => { drawGrid(); drawPager(); });
  model.on("change:page_label", drawPager);
  model.on("change:total", drawPager);
  model.on("change:detail", drawDetail);
  model.on("change:comparison", drawCompare);
  model.on("change:like_id", drawLike);
  model.on("change:like_name", drawLike);
  model.on("change:like_drop", drawLike);
  model.on("change:regions", () => { regionsBox.checked = !!model.get("regions"); });
  model.on("change:query", () => { if (document.activeElement !== query) query.value = model.get("query"); });
  drawOptions(); drawGrid(); drawPager(); drawDetail(); drawCompare(); drawLike();
}

export default { render };
