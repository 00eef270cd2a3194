// A table's items: a Query/Scan builder on the table or an index, paged
// results, selection, export, and the item editor.

import * as api from "./api.js";
import { h, field, select, option, replace, flash, download } from "./dom.js";
import { columns, display, keyOf, toCsv, typed } from "./dynamo.js";
import { openEditor } from "./editor.js";
import { importItems, itemsInFile } from "./import.js";

const SORT_CONDITIONS = [["", "(any)"], ["=", "="], ["<", "<"], ["<=", "<="], [">", ">"], [">=", ">="], ["between", "between"], ["begins_with", "begins with"]];
const FILTERS = [["=", "="], ["<>", "≠"], ["<", "<"], ["<=", "<="], [">", ">"], [">=", ">="], ["begins_with", "begins with"], ["contains", "contains"], ["attribute_exists", "exists"], ["attribute_not_exists", "does not exist"]];
const VALUE_TYPES = [["S", "String"], ["N", "Number"], ["BOOL", "Boolean"], ["B", "Binary (base64)"]];

export async function itemsPage(main, tableName) {
  const { Table: table } = await api.call("DescribeTable", { TableName: tableName });
  const types = Object.fromEntries(table.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
  const indexes = [...(table.GlobalSecondaryIndexes ?? []).map((i) => ({ ...i, global: true })), ...(table.LocalSecondaryIndexes ?? [])];
  const allowed = await api.allowed(tableName).catch(() => ({}));

  const mode = select("qb-mode", [["Scan", "Scan"], ["Query", "Query"]], "Scan");
  const index = h("select", { id: "qb-index" }, option("", `Table ${tableName}`), indexes.map((i) => option(i.IndexName, `Index ${i.IndexName}`)));
  const pk = h("input", { id: "qb-pk", autocomplete: "off" });
  const pkLabel = h("span");
  const skOp = select("qb-sk-op", SORT_CONDITIONS, "");
  const sk = h("input", { id: "qb-sk", autocomplete: "off" });
  const sk2 = h("input", { id: "qb-sk2", autocomplete: "off" });
  const skLabel = h("span");
  const filterAttribute = h("input", { id: "qb-filter-attr", autocomplete: "off" });
  const filterOp = select("qb-filter-op", FILTERS, "=");
  const filterType = select("qb-filter-type", VALUE_TYPES, "S");
  const filterValue = h("input", { id: "qb-filter-value", autocomplete: "off" });
  const projection = h("input", { id: "qb-projection", autocomplete: "off", placeholder: "all attributes" });
  const descending = h("input", { id: "qb-descending", type: "checkbox" });
  const consistent = h("input", { id: "qb-consistent", type: "checkbox" });
  const limit = h("input", { id: "qb-limit", type: "number", min: 1, max: 1000, value: "25" });
  const queryRow = h("div", { class: "row" });
  const skRow = h("div", { class: "row" });

  const schema = () => (indexes.find((i) => i.IndexName === index.value) ?? table).KeySchema;
  const keyNames = () => {
    const keys = schema();
    return { hash: keys.find((k) => k.KeyType === "HASH").AttributeName, range: keys.find((k) => k.KeyType === "RANGE")?.AttributeName };
  };
  const layout = () => {
    const { hash, range } = keyNames();
    pkLabel.textContent = `Partition key ${hash} (${types[hash]})`;
    skLabel.textContent = range ? `Sort key ${range} (${types[range]})` : "";
    queryRow.hidden = mode.value !== "Query";
    skRow.hidden = mode.value !== "Query" || !range;
    sk2.closest("label").hidden = skOp.value !== "between";
    const onGlobal = indexes.find((i) => i.IndexName === index.value)?.global;
    consistent.disabled = Boolean(onGlobal);
    if (onGlobal) consistent.checked = false;
    descending.disabled = mode.value !== "Query";
  };
  [mode, index, skOp].forEach((control) => control.addEventListener("change", layout));
  replace(queryRow, field(pkLabel, pk));
  replace(skRow, field("Sort key condition", skOp), field(skLabel, sk), field("and", sk2));

  const count = h("p", { id: "result-count", class: "muted", "aria-live": "polite" });
  const results = h("div", { id: "results" });
  const editor = h("section", { id: "editor", "aria-labelledby": "editor-title", hidden: true });
  const previous = h("button", { type: "button", id: "page-previous", disabled: true }, "Previous page");
  const next = h("button", { type: "button", id: "page-next", disabled: true }, "Next page");
  let starts = [undefined];
  let page = 0;
  let items = [];
  let selected = new Set();

  const request = () => {
    const names = {};
    const values = {};
    const name = (attribute) => {
      const existing = Object.entries(names).find(([, v]) => v === attribute);
      if (existing) return existing[0];
      const placeholder = `#n${Object.keys(names).length}`;
      names[placeholder] = attribute;
      return placeholder;
    };
    const value = (type, text) => {
      const placeholder = `:v${Object.keys(values).length}`;
      values[placeholder] = typed(type, text);
      return placeholder;
    };
    const body = { TableName: tableName, Limit: Number(limit.value) || 25 };
    if (index.value) body.IndexName = index.value;
    if (mode.value === "Query") {
      const { hash, range } = keyNames();
      let condition = `${name(hash)} = ${value(types[hash], pk.value)}`;
      if (range && skOp.value) {
        const key = name(range);
        const first = value(types[range], sk.value);
        if (skOp.value === "between") condition += ` AND ${key} BETWEEN ${first} AND ${value(types[range], sk2.value)}`;
        else if (skOp.value === "begins_with") condition += ` AND begins_with(${key}, ${first})`;
        else condition += ` AND ${key} ${skOp.value} ${first}`;
      }
      body.KeyConditionExpression = condition;
      body.ScanIndexForward = !descending.checked;
    }
    if (filterAttribute.value.trim()) {
      const attribute = name(filterAttribute.value.trim());
      const op = filterOp.value;
      if (op === "attribute_exists" || op === "attribute_not_exists") body.FilterExpression = `${op}(${attribute})`;
      else if (op === "begins_with" || op === "contains") body.FilterExpression = `${op}(${attribute}, ${value(filterType.value, filterValue.value)})`;
      else body.FilterExpression = `${attribute} ${op} ${value(filterType.value, filterValue.value)}`;
    }
    const projected = projection.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (projected.length) body.ProjectionExpression = projected.map(name).join(", ");
    if (consistent.checked) body.ConsistentRead = true;
    if (Object.keys(names).length) body.ExpressionAttributeNames = names;
    if (Object.keys(values).length) body.ExpressionAttributeValues = values;
    return body;
  };

  const run = async () => {
    const body = request();
    if (starts[page]) body.ExclusiveStartKey = starts[page];
    try {
      const answer = await api.call(mode.value, body);
      items = answer.Items ?? [];
      starts[page + 1] = answer.LastEvaluatedKey;
      selected = new Set();
      render();
      count.textContent = `${items.length} item(s) on page ${page + 1}` + (answer.LastEvaluatedKey ? "; more on the next page" : "");
      previous.disabled = page === 0;
      next.disabled = !answer.LastEvaluatedKey;
    } catch (error) {
      flash(error.message);
    }
  };
  const search = () => { starts = [undefined]; page = 0; return run(); };
  previous.addEventListener("click", () => { page--; run(); });
  next.addEventListener("click", () => { page++; run(); });

  const edit = async (item, editMode) => {
    const key = keyOf(item, table.KeySchema);
    try {
      const { Item: loaded } = await api.call("GetItem", { TableName: tableName, Key: key, ConsistentRead: true });
      if (!loaded) { flash("The item no longer exists."); return; }
      openEditor(editor, { table: tableName, keySchema: table.KeySchema, mode: editMode, loaded, onDone: closeEditor });
    } catch (error) {
      flash(error.message);
    }
  };
  const closeEditor = (saved) => {
    editor.hidden = true;
    replace(editor);
    if (saved) run();
  };

  const render = () => {
    const names = columns(items, table.KeySchema);
    const hasKey = (item) => table.KeySchema.every((k) => k.AttributeName in item);
    replace(results, h("table", { class: "grid", id: "items" },
      h("thead", {}, h("tr", {}, h("th", {}, h("span", { class: "muted" }, "Select")), h("th", {}, "Actions"), names.map((n) => h("th", { scope: "col" }, n)))),
      h("tbody", {}, items.map((item, row) => {
        const label = table.KeySchema.map((k) => display(item[k.AttributeName])).join(" / ");
        const box = h("input", { type: "checkbox", class: "select-item", "aria-label": `Select item ${label}`, disabled: !hasKey(item) });
        box.addEventListener("change", () => { if (box.checked) selected.add(row); else selected.delete(row); });
        return h("tr", { "data-key": label },
          h("td", {}, box),
          h("td", {}, h("div", { class: "actions" },
            h("button", { type: "button", class: "edit-item", "aria-label": `Edit item ${label}`, disabled: !hasKey(item), onclick: () => edit(item, "edit") }, "Edit"),
            h("button", { type: "button", class: "duplicate-item", "aria-label": `Duplicate item ${label}`, disabled: !hasKey(item), onclick: () => edit(item, "duplicate") }, "Duplicate"))),
          names.map((n) => h("td", { class: "value", "data-attribute": n }, display(item[n]))));
      }))));
  };

  const deleteSelected = async () => {
    const chosen = [...selected].map((row) => items[row]);
    if (chosen.length === 0) { flash("Select the items to delete first."); return; }
    if (!window.confirm(`Delete ${chosen.length} item(s) from ${tableName}? This cannot be undone.`)) return;
    let deleted = 0;
    for (const item of chosen) {
      try {
        await api.call("DeleteItem", { TableName: tableName, Key: keyOf(item, table.KeySchema) });
        deleted++;
      } catch (error) {
        flash(`Deleted ${deleted} of ${chosen.length}: ${error.message}`);
        run();
        return;
      }
    }
    flash(`Deleted ${deleted} item(s).`, true);
    run();
  };

  const exportAs = (format) => {
    if (format === "json") download(`${tableName}.json`, "application/json", JSON.stringify({ Items: items }, null, 2));
    else download(`${tableName}.csv`, "text/csv", toCsv(items, columns(items, table.KeySchema)));
  };

  const importFile = h("input", { id: "import-file", type: "file", accept: ".json,.csv,application/json,text/csv" });
  const importProgress = h("span", { id: "import-progress", class: "muted", "aria-live": "polite" });
  importFile.addEventListener("change", async () => {
    const file = importFile.files[0];
    if (!file) return;
    importProgress.textContent = `Reading ${file.name}…`;
    try {
      const loaded = itemsInFile(file.name, await file.text(), table);
      const written = await importItems(tableName, table, loaded, (done, total) => {
        importProgress.textContent = `Imported ${done} of ${total} item(s)…`;
      });
      importProgress.textContent = `Imported ${written} item(s) from ${file.name}.`;
      search();
    } catch (error) {
      importProgress.textContent = "";
      flash(`Import of ${file.name} failed: ${error.message}`);
    } finally {
      importFile.value = "";
    }
  });

  replace(main,
    h("h1", {}, `Items: ${tableName}`),
    h("p", {}, h("a", { href: `#/table/${encodeURIComponent(tableName)}` }, `Table ${tableName} details`)),
    h("form", { id: "query-form", onsubmit: (event) => { event.preventDefault(); search(); } },
      h("fieldset", {}, h("legend", {}, "Scan or query"),
        h("div", { class: "row" }, field("Operation", mode), field("Table or index", index)),
        queryRow, skRow,
        h("div", { class: "row" }, field("Filter attribute", filterAttribute), field("Filter condition", filterOp),
          field("Filter value type", filterType), field("Filter value", filterValue)),
        h("div", { class: "row" }, field("Attributes to return (comma-separated)", projection), field("Page size", limit),
          field("Descending order", descending, "inline"), field("Strongly consistent read", consistent, "inline")),
        h("button", { type: "submit", class: "primary", id: "qb-run" }, "Run"))),
    h("div", { class: "actions" },
      allowed["dynamodb:PutItem"] === false ? null : h("button", { type: "button", id: "new-item", onclick: () =>
        openEditor(editor, { table: tableName, keySchema: table.KeySchema, mode: "new", onDone: closeEditor }) }, "Create item"),
      allowed["dynamodb:DeleteItem"] === false ? null : h("button", { type: "button", class: "danger", id: "delete-selected", onclick: deleteSelected }, "Delete selected"),
      h("button", { type: "button", id: "export-json", onclick: () => exportAs("json") }, "Export JSON"),
      h("button", { type: "button", id: "export-csv", onclick: () => exportAs("csv") }, "Export CSV"),
      allowed["dynamodb:PutItem"] === false ? null : field("Import items (JSON or CSV file)", importFile), importProgress),
    editor, count, results,
    h("div", { class: "actions" }, previous, next));
  layout();
  await search();
}
