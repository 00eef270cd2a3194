// The table list (searchable, paged) and a table's details, with delete.

import * as api from "./api.js";
import { h, field, select, replace, flash } from "./dom.js";
import { streamSection } from "./streams.js";

const PAGE = 25;
// ListTables pages fetched at most, for the search over all names.
const MAX_LIST_PAGES = 100;

async function allTableNames() {
  const names = [];
  let start;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const answer = await api.call("ListTables", start ? { ExclusiveStartTableName: start, Limit: 100 } : { Limit: 100 });
    names.push(...answer.TableNames);
    start = answer.LastEvaluatedTableName;
    if (!start) break;
  }
  return names;
}

export async function tableList(main) {
  const names = await allTableNames();
  const search = h("input", { id: "table-search", type: "search" });
  const list = h("tbody");
  const pageInfo = h("span", { id: "table-page", class: "muted" });
  const previous = h("button", { type: "button", id: "tables-previous" }, "Previous");
  const next = h("button", { type: "button", id: "tables-next" }, "Next");
  let page = 0;
  const render = () => {
    const term = search.value.trim().toLowerCase();
    const shown = names.filter((name) => name.toLowerCase().includes(term));
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    replace(list, shown.slice(page * PAGE, (page + 1) * PAGE).map((name) => h("tr", {},
      h("td", {}, h("a", { href: `#/table/${encodeURIComponent(name)}` }, name)),
      h("td", {}, h("a", { href: `#/table/${encodeURIComponent(name)}/items`, "aria-label": `Explore items of ${name}` }, "Explore items")))));
    pageInfo.textContent = `${shown.length} table(s) — page ${page + 1} of ${pages}`;
    previous.disabled = page === 0;
    next.disabled = page >= pages - 1;
  };
  search.addEventListener("input", () => { page = 0; render(); });
  previous.addEventListener("click", () => { page--; render(); });
  next.addEventListener("click", () => { page++; render(); });
  replace(main,
    h("h1", {}, "Tables"),
    h("div", { class: "actions" }, field("Search tables by name", search),
      h("a", { href: "#/create", id: "create-table-link" }, "Create table")),
    h("table", { class: "grid", id: "tables" }, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Items"))), list),
    h("div", { class: "actions" }, previous, pageInfo, next));
  render();
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function keyText(schema) {
  return schema.map((k) => `${k.AttributeName} (${k.KeyType === "HASH" ? "partition" : "sort"})`).join(", ");
}

// A call whose failure (e.g. access denied) is shown in place.
async function optional(operation, body) {
  try { return { answer: await api.call(operation, body) }; } catch (error) { return { error: error.message }; }
}

export async function tableDetails(main, name) {
  const { Table: table } = await api.call("DescribeTable", { TableName: name });
  const [ttl, tags, backups, allowed] = await Promise.all([
    optional("DescribeTimeToLive", { TableName: name }),
    optional("ListTagsOfResource", { ResourceArn: table.TableArn }),
    optional("ListBackups", { TableName: name }),
    api.allowed(name).catch(() => ({})),
  ]);
  const types = Object.fromEntries((table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
  const indexes = [...(table.GlobalSecondaryIndexes ?? []).map((i) => ({ ...i, kind: "global" })),
    ...(table.LocalSecondaryIndexes ?? []).map((i) => ({ ...i, kind: "local", IndexStatus: "ACTIVE" }))];
  const stream = table.StreamSpecification?.StreamEnabled ? `${table.StreamSpecification.StreamViewType} (${table.LatestStreamArn})` : "off";
  const ttlText = ttl.error ?? (ttl.answer.TimeToLiveDescription?.AttributeName
    ? `${ttl.answer.TimeToLiveDescription.AttributeName} (${ttl.answer.TimeToLiveDescription.TimeToLiveStatus})` : "off");
  const tagText = tags.error ?? ((tags.answer.Tags ?? []).map((t) => `${t.Key}=${t.Value}`).join(", ") || "none");
  const billing = table.BillingModeSummary?.BillingMode ?? "PROVISIONED";
  const capacity = billing === "PROVISIONED"
    ? `${table.ProvisionedThroughput.ReadCapacityUnits} read / ${table.ProvisionedThroughput.WriteCapacityUnits} write units` : undefined;
  const content = [
    h("h1", {}, `Table ${name}`),
    h("div", { class: "actions" }, h("a", { href: `#/table/${encodeURIComponent(name)}/items`, id: "explore-items" }, "Explore items"),
      h("a", { href: `#/table/${encodeURIComponent(name)}/metrics`, id: "table-metrics" }, "Metrics")),
    facts([
      ["Status", h("span", { id: "table-status" }, table.TableStatus)],
      ["Keys", keyText(table.KeySchema) + " — " + table.KeySchema.map((k) => `${k.AttributeName}: ${types[k.AttributeName]}`).join(", ")],
      ["Item count", h("span", { id: "item-count" }, String(table.ItemCount))],
      ["Size", `${table.TableSizeBytes} bytes`],
      ["Billing mode", billing], ["Capacity", capacity],
      ["Stream", stream], ["Time to live", h("span", { id: "table-ttl" }, ttlText)], ["Tags", h("span", { id: "table-tags" }, tagText)],
      ["Deletion protection", table.DeletionProtectionEnabled ? "on" : "off"],
      ["Encryption", h("span", { id: "table-encryption" }, table.SSEDescription
        ? `${table.SSEDescription.SSEType} key ${table.SSEDescription.KMSMasterKeyArn} (${table.SSEDescription.Status})` : "owned by DynamoDB")],
      ["ARN", table.TableArn], ["Created", new Date(table.CreationDateTime * 1000).toISOString()],
    ]),
    h("h2", {}, "Indexes"),
    indexes.length === 0 ? h("p", { class: "muted" }, "No secondary indexes.") :
      h("table", { class: "grid", id: "indexes" },
        h("thead", {}, h("tr", {}, ["Name", "Kind", "Keys", "Projection", "Status", "Items"].map((t) => h("th", {}, t)))),
        h("tbody", {}, indexes.map((i) => h("tr", {}, h("td", {}, i.IndexName), h("td", {}, i.kind), h("td", {}, keyText(i.KeySchema)),
          h("td", {}, i.Projection.ProjectionType), h("td", {}, i.IndexStatus + (i.Backfilling ? " (backfilling)" : "")),
          h("td", {}, String(i.ItemCount ?? "")))))),
  ];
  content.push(backupSection(name, backups));
  if (table.LatestStreamArn) content.push(streamSection(table));
  if (allowed["dynamodb:UpdateTable"]) content.push(settingsSection(name, table, billing));
  if (allowed["dynamodb:DeleteTable"]) content.push(deleteSection(name, table));
  replace(main, ...content);
}

// The table's on-demand backups (ListBackups), and making one.
function backupSection(name, backups) {
  const backupName = h("input", { id: "backup-name", autocomplete: "off", value: `${name}-backup` });
  const create = h("button", { type: "button", id: "create-backup", onclick: async () => {
    try {
      await api.call("CreateBackup", { TableName: name, BackupName: backupName.value.trim() });
      await tableDetails(document.getElementById("main"), name);
      flash("Backup created.", true);
    } catch (error) {
      flash(error.message);
    }
  } }, "Create backup");
  const summaries = backups.answer?.BackupSummaries ?? [];
  return h("section", { "aria-labelledby": "backups-title" },
    h("h2", { id: "backups-title" }, "Backups"),
    backups.error ? h("p", { class: "error" }, backups.error) : summaries.length === 0 ? h("p", { class: "muted" }, "No backups.") :
      h("table", { class: "grid", id: "backups" },
        h("thead", {}, h("tr", {}, ["Name", "Status", "Created", "Size", "ARN"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, summaries.map((b) => h("tr", {}, h("td", {}, b.BackupName), h("td", {}, b.BackupStatus),
          h("td", {}, new Date(b.BackupCreationDateTime * 1000).toISOString()), h("td", {}, `${b.BackupSizeBytes ?? 0} bytes`),
          h("td", {}, b.BackupArn))))),
    h("div", { class: "row" }, field("Backup name", backupName), create));
}

function deleteSection(name, table) {
  const confirmation = h("input", { id: "delete-confirmation", autocomplete: "off" });
  const button = h("button", { type: "button", class: "danger", id: "delete-table", onclick: async () => {
    if (confirmation.value !== name) {
      flash(`Type the table's name, ${name}, to confirm.`);
      confirmation.focus();
      return;
    }
    try {
      await api.call("DeleteTable", { TableName: name });
      flash(`Table ${name} is being deleted.`, true);
      location.hash = "#/tables";
    } catch (error) {
      flash(error.message);
    }
  } }, "Delete table");
  return h("section", { "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, "Delete table"),
    table.DeletionProtectionEnabled ? h("p", { class: "muted" }, "Deletion protection is on: DynamoDB refuses to delete this table until it is turned off.") : null,
    h("div", { class: "row" }, field(`Type ${name} to confirm`, confirmation), button));
}

// UpdateTable: deletion protection and billing mode (with capacity).
function settingsSection(name, table, billing) {
  const protection = h("input", { id: "set-deletion-protection", type: "checkbox", checked: table.DeletionProtectionEnabled });
  const mode = select("set-billing", [["PAY_PER_REQUEST", "On-demand"], ["PROVISIONED", "Provisioned"]], billing);
  const throughput = table.ProvisionedThroughput ?? {};
  const rcu = h("input", { id: "set-rcu", type: "number", min: 1, value: String(throughput.ReadCapacityUnits || 5) });
  const wcu = h("input", { id: "set-wcu", type: "number", min: 1, value: String(throughput.WriteCapacityUnits || 5) });
  const capacity = h("div", { class: "row", hidden: billing !== "PROVISIONED" }, field("Read capacity units", rcu), field("Write capacity units", wcu));
  mode.addEventListener("change", () => { capacity.hidden = mode.value !== "PROVISIONED"; });
  const save = h("button", { type: "button", id: "save-settings", onclick: async () => {
    const request = { TableName: name };
    if (protection.checked !== Boolean(table.DeletionProtectionEnabled)) request.DeletionProtectionEnabled = protection.checked;
    if (mode.value !== billing) request.BillingMode = mode.value;
    const wanted = { ReadCapacityUnits: Number(rcu.value), WriteCapacityUnits: Number(wcu.value) };
    if (mode.value === "PROVISIONED" && (mode.value !== billing || wanted.ReadCapacityUnits !== throughput.ReadCapacityUnits
      || wanted.WriteCapacityUnits !== throughput.WriteCapacityUnits)) {
      request.ProvisionedThroughput = wanted;
    }
    if (Object.keys(request).length === 1) { flash("Nothing to change."); return; }
    try {
      await api.call("UpdateTable", request);
      // Re-rendered before the message, so that what the user types next
      // goes into the new page, not one about to be replaced.
      await tableDetails(document.getElementById("main"), name);
      flash("Table settings saved.", true);
    } catch (error) {
      flash(error.message);
    }
  } }, "Save settings");
  return h("section", { "aria-labelledby": "settings-title" },
    h("h2", { id: "settings-title" }, "Settings"),
    h("div", { class: "row" }, field("Deletion protection", protection, "inline"), field("Billing mode", mode)),
    capacity, save);
}
