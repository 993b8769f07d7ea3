// SearchPanel: query box, kind, where chips, suggestions, history, result cards.

function render({ model, el }) {
  const { body } = mhFrame(model, el, "search");

  const query = h("input", {
    class: "mh-query", type: "search", placeholder: "Search code, images and models…",
    "aria-label": "search query", value: model.get("query"),
  });
  const send = debounce(() => mhSet(model, { query: query.value }), 60);
  query.addEventListener("input", send);
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      mhSet(model, { query: query.value });
      model.send({ event: "commit", query: query.value });
    }
  });

  const kind = h("select", { class: "mh-kind", "aria-label": "kind" },
    (model.get("kinds") || ["all"]).map((k) => h("option", { value: k }, k)));
  kind.value = model.get("kind");
  kind.addEventListener("change", () => mhSet(model, { kind: kind.value }));

  const listId = `mh-terms-${Math.random().toString(36).slice(2)}`;
  const terms = h("datalist", { id: listId });
  const whereInput = h("input", {
    class: "mh-where", type: "text", list: listId, placeholder: "filter: key=value, Enter",
    "aria-label": "add filter",
  });
  whereInput.addEventListener("keydown", (event) => {
    const value = whereInput.value.trim();
    if (event.key === "Enter" && value) {
      mhSet(model, { where: [...model.get("where"), value] });
      whereInput.value = "";
    }
  });

  // ☆/★: star the whole search (words, kind, filter chips) as one of this user's favorites.
  const star = h("button", {
    class: "mh-star", title: "Star this search (favorites)", "aria-label": "star search",
    onclick: () => {
      mhSet(model, { query: query.value });
      model.send({ event: "star", on: !model.get("starred") });
    },
  }, "☆");
  const drawStar = () => {
    star.textContent = model.get("starred") ? "★" : "☆";
    star.setAttribute("aria-pressed", String(Boolean(model.get("starred"))));
  };

  const chips = h("div", { class: "mh-chips" });
  const understood = h("div", { class: "mh-chips mh-understood", "aria-label": "filters read from your words" });
  const notes = h("div", { class: "mh-notes mh-muted" });
  const suggest = h("ul", { class: "mh-suggest", "aria-label": "suggestions" });
  const starredBox = h("details", { class: "mh-history-box mh-starred-box" }, h("summary", {}, "Starred"));
  const starredList = h("ul", { class: "mh-history mh-favorites", "aria-label": "starred searches" });
  starredBox.append(starredList);
  const historyBox = h("details", { class: "mh-history-box" }, h("summary", {}, "History"));
  const history = h("ul", { class: "mh-history" });
  historyBox.append(history);
  const results = h("div", { class: "mh-results" });

  body.append(
    h("div", { class: "mh-toolbar" }, query, kind, whereInput, star, terms),
    chips, understood, notes, suggest, starredBox, historyBox, results,
  );

  const drawTerms = () => terms.replaceChildren(
    ...(model.get("filter_terms") || []).slice(0, 500).map((t) => h("option", { value: t })));

  const drawChips = () => chips.replaceChildren(...(model.get("where") || []).map((clause, i) =>
    h("span", { class: "mh-chip", title: clause }, clause,
      h("button", {
        class: "mh-chip-remove", "aria-label": `remove ${clause}`,
        onclick: () => mhSet(model, { where: model.get("where").filter((_, j) => j !== i) }),
      }, "×"))));

  // Filters read from the query's words: × drops one; clicking it moves it to the filter box to edit.
  const ignore = (clause) => mhSet(model, { ignored: [...(model.get("ignored") || []), clause] });
  const drawUnderstood = () => understood.replaceChildren(...(model.get("understood") || []).map((u) =>
    h("span", { class: "mh-chip mh-chip-understood", title: `from your words: “${u.phrase}” — click to edit` },
      h("span", {
        class: "mh-chip-text", tabindex: 0,
        onclick: () => { whereInput.value = u.clause; ignore(u.clause); whereInput.focus(); },
        onkeydown: (event) => { if (event.key === "Enter") event.target.click(); },
      }, u.clause),
      h("button", {
        class: "mh-chip-remove", "aria-label": `do not filter ${u.clause}`, onclick: () => ignore(u.clause),
      }, "×"))));
  const drawNotes = () => notes.replaceChildren(...(model.get("notes") || []).map((n) =>
    h("div", { class: n.startsWith("weak matches") ? "mh-weak mh-weak-note" : "" }, n)));

  const drawSuggest = () => suggest.replaceChildren(...(model.get("suggestions") || []).map((s) =>
    h("li", {
      title: `${s.key} (${s.count})`,
      onclick: () => {
        const words = query.value.split(" ");
        words[words.length - 1] = s.term;
        query.value = words.join(" ");
        mhSet(model, { query: query.value });
        query.focus();
      },
    }, h("span", { class: "mh-suggest-term" }, s.term),
      h("span", { class: "mh-muted" }, ` ${s.key} · ${s.count}`),
      h("button", {
        class: "mh-suggest-filter", title: `filter ${s.clause}`,
        onclick: (event) => {
          event.stopPropagation();
          const words = query.value.split(" ");
          words.pop();
          query.value = words.join(" ");
          mhSet(model, { query: query.value, where: [...model.get("where"), s.clause] });
        },
      }, "+ filter"))));

  const drawHistory = () => {
    const items = model.get("history") || [];
    historyBox.hidden = items.length === 0;
    // An entry restores the whole search (words, kind, filter chips, removed chips): Python sets them and runs it once.
    const saved = model.get("history_items") || [];
    history.replaceChildren(...items.map((label, i) => h("li", {
      tabindex: 0, title: "search again with these settings",
      onclick: () => {
        if (saved[i]) query.value = saved[i].query;
        model.send({ event: "restore", index: i });
      },
      onkeydown: (event) => { if (event.key === "Enter") event.target.click(); },
    }, label)));
  };

  // Starred searches: a click sets its words, kind and chips and runs it; ✕ unstars it.
  const drawFavorites = () => {
    const items = model.get("favorites") || [];
    starredBox.hidden = items.length === 0;
    starredList.replaceChildren(...items.map((f) => h("li", { class: "mh-favorite", dataset: { id: f.id } },
      h("span", {
        class: "mh-favorite-text", tabindex: 0, title: "search again with these settings",
        onclick: () => { query.value = f.text; model.send({ event: "run_favorite", id: f.id }); },
        onkeydown: (event) => { if (event.key === "Enter") event.target.click(); },
      }, `★ ${f.label}`),
      h("button", {
        class: "mh-unstar", title: "remove from favorites", "aria-label": `unstar ${f.text}`,
        onclick: () => model.send({ event: "unstar", id: f.id }),
      }, "✕"))));
  };

  // Relevance: a bar, "92% strong", the evidence and the raw fused score on hover.
  const relevance = (r) => {
    if (r.relevance === null || r.relevance === undefined) {
      return h("span", { class: "mh-score mh-muted", title: "score" }, Number(r.score).toFixed(3));
    }
    const pct = Math.round(Number(r.relevance) * 100);
    const why = [r.why, `score ${Number(r.score).toFixed(4)}`].filter(Boolean).join("; ");
    return h("span", { class: `mh-score mh-relevance mh-${r.strength || "weak"}`, title: why, "aria-label": `relevance ${r.relevance_label}` },
      h("span", { class: "mh-relevance-bar", "aria-hidden": "true" },
        h("span", { class: "mh-relevance-fill", style: `width:${Math.max(4, pct)}%` })),
      h("span", { class: "mh-relevance-label" }, r.relevance_label));
  };

  const card = (r) => {
    const meta = h("details", { class: "mh-meta" }, h("summary", {}, `metadata (${r.meta.length})`),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "key"), h("th", {}, "value"), h("th", {}, "source"))),
        h("tbody", {}, r.meta.map((m) => h("tr", { dataset: { key: m.key } },
          h("td", { class: "mh-mono" }, m.key), h("td", {}, m.value), h("td", { class: "mh-muted" }, m.source))))));
    return h("div", { class: `mh-result mh-kind-${r.kind}`, dataset: { id: r.id } },
      h("div", { class: "mh-result-head" },
        r.show_root ? h("span", { class: "mh-root", title: r.root_path }, r.root) : null,
        h("span", { class: "mh-result-path mh-mono" }, r.location),
        h("span", { class: "mh-badge" }, r.kind),
        relevance(r)),
      h("div", { class: "mh-breadcrumb mh-muted" }, r.breadcrumb),
      r.thumbnail ? h("img", { class: "mh-result-thumb", src: r.thumbnail, alt: r.path, loading: "lazy" }) : null,
      r.text ? h("div", { class: "mh-result-text" }, r.text) : null,
      r.code_html ? h("pre", { class: "mh-code", html: r.code_html }) : null,
      meta);
  };
  const drawResults = () => results.replaceChildren(...(model.get("results") || []).map(card));

  const syncInputs = () => {
    if (document.activeElement !== query && query.value !== model.get("query")) query.value = model.get("query");
    kind.value = model.get("kind");
  };

  model.on("change:filter_terms", drawTerms);
  model.on("change:where", drawChips);
  model.on("change:understood", drawUnderstood);
  model.on("change:notes", drawNotes);
  model.on("change:suggestions", drawSuggest);
  model.on("change:history", drawHistory);
  model.on("change:favorites", drawFavorites);
  model.on("change:starred", drawStar);
  model.on("change:results", drawResults);
  model.on("change:query", syncInputs);
  model.on("change:kind", syncInputs);
  drawTerms(); drawChips(); drawUnderstood(); drawNotes(); drawSuggest(); drawHistory(); drawResults();
  drawFavorites(); drawStar();
}

export default { render };
