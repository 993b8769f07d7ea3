// modelhub shared frame: prepended (by Python) to every panel's ES module. No imports.

/** Create an element: h("div", {class: "x", onclick: fn}, child, "text", ...). */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "value" || key === "checked" || key === "open") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Call fn at most once per `ms` of quiet. */
function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Set one or more traits and sync them to Python. */
function mhSet(model, values) {
  for (const [key, value] of Object.entries(values)) model.set(key, value);
  model.save_changes();
}

/** A value as short display text. */
function mhText(value) {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Build the panel frame inside `el`: returns {root, body, status}.
 * root is <div class="mh-panel mh-{name}" data-status="...">, status the one-line bar.
 * Re-renders of the body are the panel's job; the frame keeps status/message in sync.
 */
function mhFrame(model, el, name) {
  const status = h("div", { class: "mh-status", role: "status", "aria-live": "polite" });
  const body = h("div", { class: "mh-body" });
  const root = h("div", { class: `mh-panel mh-${name}` }, status, body);
  const sync = () => {
    const state = model.get("status") || "idle";
    root.dataset.status = state;
    status.replaceChildren();
    if (state === "loading") status.append(h("span", { class: "mh-spinner", "aria-hidden": "true" }));
    const text = model.get("message") || (state === "loading" ? "Working…" : "");
    if (text) status.append(h("span", { class: "mh-status-text" }, text));
    status.hidden = !text && state !== "loading";
  };
  model.on("change:status", sync);
  model.on("change:message", sync);
  sync();
  el.replaceChildren(root);
  return { root, body, status };
}
