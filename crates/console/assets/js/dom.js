// Building the page from elements, never from HTML strings, so that no
// value from a table can become markup.

// h("button", {class: "primary", onclick: f}, "Save")
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "value") element.value = value;
    else if (name === "checked") element.checked = true;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// A labelled field: label text, then the control.
export function field(text, control, className) {
  return h("label", { class: className }, text, control);
}

export function option(value, text, selected) {
  return h("option", { value, selected: selected ? "selected" : undefined }, text ?? value);
}

export function select(id, options, selected) {
  return h("select", { id }, options.map(([value, text]) => option(value, text, value === selected)));
}

export function replace(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

let flashTimer;
// Shows a message (an API error by default) until the next one.
export function flash(message, ok = false) {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.className = ok ? "flash ok" : "flash";
  box.hidden = !message;
  clearTimeout(flashTimer);
  if (ok) flashTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

// Offers text as a file download.
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
