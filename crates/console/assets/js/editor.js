// The item editor: the item as DynamoDB JSON (every type, nested maps and
// lists, sets), validated as it is typed, or as a form (form.js). An edit is saved only if the
// item is still as it was loaded; a change made since is shown instead.

import * as api from "./api.js";
import { h, field, replace, flash } from "./dom.js";
import { itemProblem, keyOf, unchangedCondition } from "./dynamo.js";
import { attributeList } from "./form.js";

// mode: "new", "duplicate" or "edit"; loaded: the item as read (edit and
// duplicate); onDone() after a save or cancel.
export function openEditor(panel, { table, keySchema, mode, loaded, onDone }) {
  const text = h("textarea", { id: "item-json", rows: 16, spellcheck: "false", "aria-describedby": "item-problem" });
  const problem = h("p", { id: "item-problem", class: "error", "aria-live": "polite" });
  const conflict = h("div", { id: "item-conflict", role: "alert", hidden: true });
  const template = Object.fromEntries(keySchema.map((k) => [k.AttributeName, { S: "" }]));
  text.value = JSON.stringify(loaded ?? template, null, 2);
  let current = loaded;

  const textField = field("Item (DynamoDB JSON)", text);
  const formHolder = h("div", { id: "item-form", hidden: true });
  let form = null;
  const jsonTab = h("button", { type: "button", id: "view-json", "aria-pressed": "true" }, "JSON view");
  const formTab = h("button", { type: "button", id: "view-form", "aria-pressed": "false" }, "Form view");
  const showForm = (yes) => {
    formHolder.hidden = !yes;
    textField.hidden = yes;
    jsonTab.setAttribute("aria-pressed", String(!yes));
    formTab.setAttribute("aria-pressed", String(yes));
  };
  // In the form view, the JSON is what the form says.
  const syncFromForm = () => {
    if (form) text.value = JSON.stringify(form.read(), null, 2);
  };
  formTab.addEventListener("click", () => {
    if (form) return;
    const { item, problem: fault } = parse();
    if (!item || typeof item !== "object" || Array.isArray(item)) { problem.textContent = fault ?? "An item is an object of attributes."; return; }
    if (fault) { problem.textContent = `Fix the JSON first: ${fault}`; return; }
    form = attributeList(Object.entries(item), "item", mode === "edit" ? keySchema.map((k) => k.AttributeName) : []);
    formHolder.replaceChildren(form.element);
    showForm(true);
    formHolder.querySelector("input, select, textarea")?.focus();
  });
  jsonTab.addEventListener("click", () => {
    if (!form) return;
    syncFromForm();
    form = null;
    formHolder.replaceChildren();
    showForm(false);
    check();
    text.focus();
  });

  const parse = () => {
    syncFromForm();
    let item;
    try { item = JSON.parse(text.value); } catch (error) { return { problem: `Not JSON: ${error.message}` }; }
    return { item, problem: itemProblem(item, keySchema) };
  };
  const check = () => { problem.textContent = parse().problem ?? ""; };
  text.addEventListener("input", check);
  formHolder.addEventListener("change", check);
  formHolder.addEventListener("input", check);

  const save = async () => {
    const { item, problem: fault } = parse();
    if (fault) { problem.textContent = fault; text.focus(); return; }
    const request = { TableName: table, Item: item };
    if (mode === "edit") {
      const was = JSON.stringify(keyOf(current, keySchema));
      if (JSON.stringify(keyOf(item, keySchema)) !== was) {
        problem.textContent = "The key attributes of an item cannot be changed: duplicate it instead.";
        return;
      }
      Object.assign(request, unchangedCondition(current), { ReturnValuesOnConditionCheckFailure: "ALL_OLD" });
    } else {
      request.ConditionExpression = "attribute_not_exists(#k)";
      request.ExpressionAttributeNames = { "#k": keySchema[0].AttributeName };
    }
    try {
      await api.call("PutItem", request);
      flash(mode === "edit" ? "Item saved." : "Item created.", true);
      onDone(true);
    } catch (error) {
      if (error.type !== "ConditionalCheckFailedException") { problem.textContent = error.message; return; }
      if (mode !== "edit") { problem.textContent = "An item with this key already exists."; return; }
      showConflict(error.body.Item);
    }
  };

  const showConflict = (now) => {
    conflict.hidden = false;
    replace(conflict,
      h("p", { class: "error" }, now
        ? "This item was changed after you loaded it, so your edit was not saved. Its current version:"
        : "This item was deleted after you loaded it, so your edit was not saved."),
      now ? h("pre", { id: "item-current" }, JSON.stringify(now, null, 2)) : null,
      now ? h("button", { type: "button", id: "item-reload", onclick: () => {
        current = now;
        if (form) jsonTab.click();
        text.value = JSON.stringify(now, null, 2);
        conflict.hidden = true;
        check();
        text.focus();
      } }, "Edit the current version") : null);
  };

  const title = { new: "Create item", duplicate: "Duplicate item", edit: "Edit item" }[mode];
  replace(panel,
    h("h2", { id: "editor-title" }, title),
    h("p", { class: "muted" }, 'DynamoDB JSON: each value names its type — {"S": "text"}, {"N": "1"}, {"BOOL": true}, {"NULL": true}, {"M": {…}}, {"L": […]}, {"SS": […]}, {"NS": […]}, {"B": "base64"}, {"BS": […]}.'),
    h("div", { class: "tabs" }, jsonTab, formTab),
    textField, formHolder,
    problem, conflict,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", id: "item-save", onclick: save }, mode === "edit" ? "Save changes" : "Create item"),
      h("button", { type: "button", id: "item-format", onclick: () => { const { item } = parse(); if (item) text.value = JSON.stringify(item, null, 2); } }, "Format"),
      h("button", { type: "button", id: "item-cancel", onclick: () => onDone(false) }, "Cancel")));
  panel.hidden = false;
  check();
  text.focus();
}
