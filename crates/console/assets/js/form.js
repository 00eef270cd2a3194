// The item editor's form view: one row per attribute (name, type, value),
// maps and lists as nested rows, sets as one member a line. Controls are
// labelled by their place in the item ("item attribute 2 attribute 1
// value"), so that they can be told apart by ear as well as by eye.

import { h, select } from "./dom.js";

const TYPES = [["S", "String"], ["N", "Number"], ["B", "Binary (base64)"], ["BOOL", "Boolean"], ["NULL", "Null"],
  ["M", "Map"], ["L", "List"], ["SS", "String set"], ["NS", "Number set"], ["BS", "Binary set"]];
const EMPTY = { S: "", N: "", B: "", BOOL: false, NULL: true, M: {}, L: [], SS: [], NS: [], BS: [] };

// An editor of one typed value: {element, read()}.
function valueEditor(value, place) {
  const [initialType, initial] = Object.entries(value)[0];
  const type = select(undefined, TYPES, initialType);
  type.setAttribute("aria-label", `${place} type`);
  const body = h("div", { class: "form-value" });
  let read = () => ({});
  const build = (kind, inner) => {
    body.replaceChildren();
    if (kind === "S" || kind === "N" || kind === "B") {
      const input = h("input", { "aria-label": `${place} value`, value: inner, autocomplete: "off" });
      body.append(input);
      read = () => ({ [kind]: input.value });
    } else if (kind === "BOOL") {
      const choice = select(undefined, [["true", "true"], ["false", "false"]], String(inner));
      choice.setAttribute("aria-label", `${place} value`);
      body.append(choice);
      read = () => ({ BOOL: choice.value === "true" });
    } else if (kind === "NULL") {
      read = () => ({ NULL: true });
    } else if (kind === "SS" || kind === "NS" || kind === "BS") {
      const lines = h("textarea", { "aria-label": `${place} value, one member a line`, rows: Math.max(2, inner.length) });
      lines.value = inner.join("\n");
      body.append(lines);
      read = () => ({ [kind]: lines.value.split("\n").map((s) => s.trim()).filter(Boolean) });
    } else if (kind === "M") {
      const map = attributeList(Object.entries(inner), place);
      body.append(map.element);
      read = () => ({ M: map.read() });
    } else {
      const list = elementList(inner, place);
      body.append(list.element);
      read = () => ({ L: list.read() });
    }
  };
  type.addEventListener("change", () => build(type.value, structuredClone(EMPTY[type.value])));
  build(initialType, initial);
  return { element: h("div", { class: "form-typed" }, type, body), read: () => read() };
}

// Named attributes (an item or a map): {element, read()}.
export function attributeList(entries, place, locked = []) {
  const rows = h("div", { class: "form-rows" });
  const readers = [];
  let count = 0;
  const add = (name, value) => {
    const here = `${place} attribute ${++count}`;
    const nameInput = h("input", { "aria-label": `${here} name`, value: name, autocomplete: "off", readonly: locked.includes(name) });
    const editor = valueEditor(value, here);
    const reader = () => [nameInput.value, editor.read()];
    const row = h("div", { class: "form-row" }, nameInput, editor.element,
      locked.includes(name) ? null : h("button", { type: "button", "aria-label": `Remove ${here}`, onclick: () => {
        row.remove();
        readers.splice(readers.indexOf(reader), 1);
      } }, "Remove"));
    readers.push(reader);
    rows.append(row);
    return nameInput;
  };
  entries.forEach(([name, value]) => add(name, value));
  const addButton = h("button", { type: "button", "aria-label": `Add attribute to ${place}`, onclick: () => add("", { S: "" }).focus() }, "Add attribute");
  return { element: h("div", {}, rows, addButton), read: () => Object.fromEntries(readers.map((r) => r())) };
}

// A list's elements: {element, read()}.
function elementList(values, place) {
  const rows = h("div", { class: "form-rows" });
  const readers = [];
  let count = 0;
  const add = (value) => {
    const here = `${place} element ${++count}`;
    const editor = valueEditor(value, here);
    const row = h("div", { class: "form-row" }, editor.element, h("button", { type: "button", "aria-label": `Remove ${here}`, onclick: () => {
      row.remove();
      readers.splice(readers.indexOf(editor.read), 1);
    } }, "Remove"));
    readers.push(editor.read);
    rows.append(row);
    return row;
  };
  values.forEach(add);
  const addButton = h("button", { type: "button", "aria-label": `Add element to ${place}`, onclick: () => add({ S: "" }).querySelector("select").focus() }, "Add element");
  return { element: h("div", {}, rows, addButton), read: () => readers.map((r) => r()) };
}
