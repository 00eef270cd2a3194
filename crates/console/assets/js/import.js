// Importing items from a file: a JSON export of the console ({"Items": [...]}
// or a list of items, in DynamoDB JSON), or CSV with a header row (key
// attributes typed as the table defines them, every other value a string).
// Written 25 at a time with BatchWriteItem; progress is shown as it goes.

import * as api from "./api.js";
import { itemProblem } from "./dynamo.js";

const BATCH = 25;
// Rounds of retrying a batch's unprocessed items before giving up.
const RETRIES = 8;

function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((v) => v !== ""));
}

// The items in a file's text.
export function itemsInFile(name, text, table) {
  if (/\.csv$/i.test(name)) {
    const [header, ...rows] = parseCsv(text);
    if (!header) return [];
    const types = Object.fromEntries(table.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
    return rows.map((row) => Object.fromEntries(header.map((column, i) => [column, row[i] ?? ""])
      .filter(([, value]) => value !== "")
      .map(([column, value]) => [column, { [types[column] ?? "S"]: value }])));
  }
  const parsed = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : parsed.Items ?? [];
}

// Writes `items`, calling progress(written, total) after each batch.
export async function importItems(tableName, table, items, progress) {
  items.forEach((item, i) => {
    const problem = itemProblem(item, table.KeySchema);
    if (problem) throw new Error(`Item ${i + 1}: ${problem}`);
  });
  let written = 0;
  for (let start = 0; start < items.length; start += BATCH) {
    let requests = items.slice(start, start + BATCH).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > RETRIES) throw new Error(`Stopped after ${written} of ${items.length} items: the table keeps refusing writes (throttled).`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      const answer = await api.call("BatchWriteItem", { RequestItems: { [tableName]: requests } });
      const unprocessed = answer.UnprocessedItems?.[tableName] ?? [];
      written += requests.length - unprocessed.length;
      requests = unprocessed;
    }
    progress(written, items.length);
  }
  return written;
}
