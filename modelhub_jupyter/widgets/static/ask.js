// AskPanel: question box, streamed answer with [n] links, citations that open their lines,
// how the answer was made, the passages used, thumbs up/down.

function render({ model, el }) {
  const { body } = mhFrame(model, el, "ask");

  const question = h("input", {
    class: "mh-question", type: "text", "aria-label": "question",
    placeholder: "Ask about your models, e.g. Which models use AdamW, and with what learning rate?",
    value: model.get("question"),
  });
  const go = () => {
    mhSet(model, { question: question.value });
    model.send({ event: "ask", question: question.value });
  };
  question.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
  const button = h("button", { class: "mh-ask-btn", onclick: go }, "Ask");
  const star = h("button", {
    class: "mh-star", title: "Star this question (favorites)", "aria-label": "star question",
    onclick: () => model.send({ event: "star" }),
  }, "☆");
  const drawStar = () => {
    star.textContent = model.get("starred") ? "★" : "☆";
    star.setAttribute("aria-pressed", String(Boolean(model.get("starred"))));
  };

  const answer = h("div", { class: "mh-answer", "aria-live": "polite" });
  const about = h("div", { class: "mh-answer-about mh-muted" });
  const up = h("button", {
    class: "mh-thumb mh-thumb-up", title: "Thumbs up: a good answer", "aria-label": "good answer",
    onclick: () => model.send({ event: "rate", good: true }),
  }, "✓ Yes");
  const down = h("button", {
    class: "mh-thumb mh-thumb-down", title: "Thumbs down: a bad answer", "aria-label": "bad answer",
    onclick: () => model.send({ event: "rate", good: false }),
  }, "✗ No");
  const rating = h("div", { class: "mh-rating" }, h("span", { class: "mh-muted" }, "Was this useful?"), up, down);
  const notes = h("div", { class: "mh-notes mh-muted" });
  const citations = h("ol", { class: "mh-citations", "aria-label": "citations" });
  const passages = h("details", { class: "mh-passages" });

  body.append(h("div", { class: "mh-toolbar" }, question, button, star),
    answer, about, rating, notes, citations, passages);

  // Open (or close) citation n: its cited lines unfold under it; Python stores the click.
  const open = (n, force) => {
    const item = citations.querySelector(`li[data-n="${n}"]`);
    if (!item) return;
    const lines = item.querySelector(".mh-cited-lines");
    const show = force === undefined ? lines.hidden : force;
    lines.hidden = !show;
    item.querySelector(".mh-citation-link").setAttribute("aria-expanded", String(show));
    if (show) {
      item.scrollIntoView({ block: "nearest" });
      model.send({ event: "open", n });
    }
  };

  // The answer as text; each "[n]" a link to citation n (never HTML from the answer).
  const drawAnswer = () => {
    const text = model.get("answer") || "";
    const known = new Set((model.get("citations") || []).map((c) => c.n));
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(/\[(\d+)\]/g)) {
      const n = Number(match[1]);
      if (!known.has(n) || model.get("streaming")) continue;
      parts.push(text.slice(last, match.index));
      parts.push(h("a", { class: "mh-cite-ref", href: "#", title: `open source [${n}]`,
        onclick: (event) => { event.preventDefault(); open(n, true); } }, `[${n}]`));
      last = match.index + match[0].length;
    }
    parts.push(text.slice(last));
    answer.replaceChildren(...parts);
    answer.hidden = !text;
    answer.classList.toggle("mh-streaming", Boolean(model.get("streaming")));
  };

  const drawAbout = () => {
    const mode = model.get("mode");
    about.replaceChildren();
    about.hidden = !mode;
    rating.hidden = !mode || model.get("query_id") === null || model.get("running");
    if (!mode) return;
    const prompt = model.get("prompt_version");
    about.append(
      h("span", { class: `mh-badge mh-mode mh-mode-${mode}`, title: model.get("how") }, mode),
      h("span", { class: "mh-how" }, model.get("how")),
      h("span", { class: "mh-prompt", title: "prompt template version" },
        prompt ? `prompt ${prompt}` : "no prompt (no language model)"),
      h("span", {}, `intent: ${model.get("intent")}`),
      h("span", {}, `${Number(model.get("seconds")).toFixed(1)} s`),
    );
  };

  const drawRating = () => {
    const value = model.get("feedback");
    up.setAttribute("aria-pressed", String(value === "up"));
    down.setAttribute("aria-pressed", String(value === "down"));
    rating.dataset.feedback = value || "";
  };

  const drawNotes = () => notes.replaceChildren(...(model.get("notes") || []).map((n) => h("div", {}, n)));

  const drawCitations = () => {
    const items = model.get("citations") || [];
    citations.hidden = items.length === 0;
    citations.replaceChildren(...items.map((c) => h("li", { class: "mh-citation", dataset: { n: c.n } },
      h("a", {
        class: "mh-citation-link mh-mono", href: "#", "aria-expanded": "false",
        onclick: (event) => { event.preventDefault(); open(c.n); },
      }, `[${c.n}] ${c.label}`),
      c.key ? h("span", { class: "mh-citation-value mh-muted" }, ` ${c.key} = ${c.value}`) : null,
      h("div", { class: "mh-cited-lines", hidden: true },
        c.lines.length
          ? h("pre", { class: "mh-code" }, c.lines.map((line) => h("div", {
            class: line.cited ? "mh-line mh-line-cited" : "mh-line",
          }, h("span", { class: "mh-lineno", "aria-hidden": "true" }, String(line.no)),
          h("span", { class: "mh-line-text", html: line.html || " " }))))
          : h("div", { class: "mh-muted" }, c.key ? `${c.key} = ${c.value} (read from ${c.path})` : c.path)))));
  };

  const passage = (p) => h("div", { class: `mh-result mh-kind-${p.kind}`, dataset: { id: p.id } },
    h("div", { class: "mh-result-head" },
      p.n ? h("span", { class: "mh-badge" }, `[${p.n}]`) : null,
      h("span", { class: "mh-result-path mh-mono" }, p.location),
      h("span", { class: "mh-badge" }, p.kind)),
    h("div", { class: "mh-breadcrumb mh-muted" }, p.breadcrumb),
    p.thumbnail ? h("img", { class: "mh-result-thumb", src: p.thumbnail, alt: p.location, loading: "lazy" }) : null,
    p.text ? h("div", { class: "mh-result-text" }, p.text) : null,
    p.code_html ? h("pre", { class: "mh-code", html: p.code_html }) : null);
  const drawPassages = () => {
    const items = model.get("passages") || [];
    passages.hidden = items.length === 0;
    passages.replaceChildren(h("summary", {}, `Passages used (${items.length})`), ...items.map(passage));
  };

  const drawRunning = () => {
    const running = model.get("running");
    button.disabled = running;
    button.textContent = running ? "Working…" : "Ask";
    drawAbout();
  };

  const syncQuestion = () => {
    if (document.activeElement !== question && question.value !== model.get("question")) {
      question.value = model.get("question");
    }
  };

  model.on("change:answer", drawAnswer);
  model.on("change:streaming", drawAnswer);
  model.on("change:citations", () => { drawCitations(); drawAnswer(); });
  model.on("change:passages", drawPassages);
  model.on("change:notes", drawNotes);
  model.on("change:running", drawRunning);
  for (const name of ["mode", "how", "prompt_version", "intent", "seconds", "query_id"]) {
    model.on(`change:${name}`, drawAbout);
  }
  model.on("change:feedback", drawRating);
  model.on("change:starred", drawStar);
  drawStar();
  model.on("change:question", syncQuestion);
  drawCitations(); drawAnswer(); drawAbout(); drawRating(); drawNotes(); drawPassages(); drawRunning();
}

export default { render };
