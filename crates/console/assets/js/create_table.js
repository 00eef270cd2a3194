// Creating a table, with DynamoDB's defaults filled in as the AWS console
// does: on-demand billing (provisioned: 5 read and 5 write units), no
// sort key, no indexes, stream off, TTL off, deletion protection off, the
// table encrypted under the key the service owns.
// Local secondary indexes share the table's partition key and need its
// sort key; they can only be made here, with the table.

import * as api from "./api.js";
import { h, field, select, replace, flash } from "./dom.js";

const KEY_TYPES = [["S", "String"], ["N", "Number"], ["B", "Binary"]];
const STREAMS = [["", "Off"], ["NEW_AND_OLD_IMAGES", "New and old images"], ["NEW_IMAGE", "New image"], ["OLD_IMAGE", "Old image"], ["KEYS_ONLY", "Keys only"]];
// SSESpecification: the service's own key (no SSEDescription), the AWS
// managed key alias/aws/dynamodb, or a customer managed key.
const ENCRYPTION = [["OWNED", "Owned by DynamoDB (default)"], ["MANAGED", "AWS managed key (aws/dynamodb)"], ["CUSTOMER", "Customer managed key"]];
// Polls while a new table is CREATING, before setting its TTL.
const ACTIVE_POLLS = 60;

function keyFields(prefix, what) {
  return {
    name: h("input", { id: `${prefix}-name`, autocomplete: "off" }),
    type: select(`${prefix}-type`, KEY_TYPES, "S"),
    label: what,
  };
}

function indexRow(number, onRemove) {
  const pk = keyFields(`gsi${number}-pk`, "partition key");
  const sk = keyFields(`gsi${number}-sk`, "sort key");
  const name = h("input", { id: `gsi${number}-name`, autocomplete: "off" });
  const projection = select(`gsi${number}-projection`, [["ALL", "All attributes"], ["KEYS_ONLY", "Keys only"]], "ALL");
  const row = h("fieldset", { class: "gsi" }, h("legend", {}, `Global secondary index ${number}`),
    h("div", { class: "row" }, field("Index name", name), field("Partition key", pk.name), field("Partition key type", pk.type),
      field("Sort key (optional)", sk.name), field("Sort key type", sk.type), field("Projection", projection),
      h("button", { type: "button", onclick: () => { row.remove(); onRemove(row); } }, `Remove index ${number}`)));
  row.read = () => ({ name: name.value.trim(), pk: [pk.name.value.trim(), pk.type.value], sk: [sk.name.value.trim(), sk.type.value], projection: projection.value });
  return row;
}

function localIndexRow(number, onRemove) {
  const sk = keyFields(`lsi${number}-sk`, "sort key");
  const name = h("input", { id: `lsi${number}-name`, autocomplete: "off" });
  const projection = select(`lsi${number}-projection`, [["ALL", "All attributes"], ["KEYS_ONLY", "Keys only"]], "ALL");
  const row = h("fieldset", { class: "gsi" }, h("legend", {}, `Local secondary index ${number}`),
    h("div", { class: "row" }, field("Index name", name), field("Sort key", sk.name), field("Sort key type", sk.type),
      field("Projection", projection),
      h("button", { type: "button", onclick: () => { row.remove(); onRemove(row); } }, `Remove local index ${number}`)));
  row.read = () => ({ name: name.value.trim(), sk: [sk.name.value.trim(), sk.type.value], projection: projection.value });
  return row;
}

export async function createTableForm(main) {
  const name = h("input", { id: "ct-name", autocomplete: "off", required: true });
  const pk = keyFields("ct-pk", "partition key");
  const sk = keyFields("ct-sk", "sort key");
  const billing = select("ct-billing", [["PAY_PER_REQUEST", "On-demand"], ["PROVISIONED", "Provisioned"]], "PAY_PER_REQUEST");
  const rcu = h("input", { id: "ct-rcu", type: "number", min: 1, value: "5" });
  const wcu = h("input", { id: "ct-wcu", type: "number", min: 1, value: "5" });
  const capacity = h("div", { class: "row", hidden: true }, field("Read capacity units", rcu), field("Write capacity units", wcu));
  billing.addEventListener("change", () => { capacity.hidden = billing.value !== "PROVISIONED"; });
  const stream = select("ct-stream", STREAMS, "");
  const ttl = h("input", { id: "ct-ttl", autocomplete: "off" });
  const tags = h("textarea", { id: "ct-tags", rows: 3 });
  const protection = h("input", { id: "ct-deletion-protection", type: "checkbox" });
  const encryption = select("ct-encryption", ENCRYPTION, "OWNED");
  const kmsKey = h("input", { id: "ct-kms-key", autocomplete: "off", placeholder: "key id, key ARN or alias/NAME" });
  const customerKey = h("div", { hidden: true }, field("KMS key", kmsKey));
  encryption.addEventListener("change", () => { customerKey.hidden = encryption.value !== "CUSTOMER"; });
  const indexes = h("div", { id: "ct-indexes" });
  const rows = [];
  let numbered = 0;
  const addIndex = h("button", { type: "button", id: "ct-add-index", onclick: () => {
    const row = indexRow(++numbered, (gone) => rows.splice(rows.indexOf(gone), 1));
    rows.push(row);
    indexes.append(row);
    row.querySelector("input").focus();
  } }, "Add global secondary index");
  const localRows = [];
  let localNumbered = 0;
  const addLocalIndex = h("button", { type: "button", id: "ct-add-local-index", onclick: () => {
    const row = localIndexRow(++localNumbered, (gone) => localRows.splice(localRows.indexOf(gone), 1));
    localRows.push(row);
    indexes.append(row);
    row.querySelector("input").focus();
  } }, "Add local secondary index");
  const problem = h("p", { class: "error", id: "ct-error", role: "alert" });

  const submit = async (event) => {
    event.preventDefault();
    problem.textContent = "";
    const definitions = new Map();
    const define = ([attribute, type]) => { if (attribute) definitions.set(attribute, type); };
    const schema = (hash, range) => [{ AttributeName: hash[0], KeyType: "HASH" },
      ...(range[0] ? [{ AttributeName: range[0], KeyType: "RANGE" }] : [])];
    const tableHash = [pk.name.value.trim(), pk.type.value];
    const tableRange = [sk.name.value.trim(), sk.type.value];
    [tableHash, tableRange].forEach(define);
    const provisioned = billing.value === "PROVISIONED";
    const throughput = { ReadCapacityUnits: Number(rcu.value), WriteCapacityUnits: Number(wcu.value) };
    const request = { TableName: name.value.trim(), KeySchema: schema(tableHash, tableRange), BillingMode: billing.value };
    if (provisioned) request.ProvisionedThroughput = throughput;
    if (rows.length) {
      request.GlobalSecondaryIndexes = rows.map((row) => {
        const index = row.read();
        define(index.pk);
        define(index.sk);
        return { IndexName: index.name, KeySchema: schema(index.pk, index.sk), Projection: { ProjectionType: index.projection },
          ...(provisioned ? { ProvisionedThroughput: throughput } : {}) };
      });
    }
    if (localRows.length) {
      request.LocalSecondaryIndexes = localRows.map((row) => {
        const index = row.read();
        define(index.sk);
        return { IndexName: index.name, KeySchema: schema(tableHash, index.sk), Projection: { ProjectionType: index.projection } };
      });
    }
    request.AttributeDefinitions = [...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
    if (stream.value) request.StreamSpecification = { StreamEnabled: true, StreamViewType: stream.value };
    const tagList = tags.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const at = line.indexOf("=");
      return at < 0 ? { Key: line, Value: "" } : { Key: line.slice(0, at).trim(), Value: line.slice(at + 1).trim() };
    });
    if (tagList.length) request.Tags = tagList;
    if (protection.checked) request.DeletionProtectionEnabled = true;
    if (encryption.value !== "OWNED") {
      request.SSESpecification = { Enabled: true, SSEType: "KMS",
        ...(encryption.value === "CUSTOMER" ? { KMSMasterKeyId: kmsKey.value.trim() } : {}) };
    }
    try {
      await api.call("CreateTable", request);
      if (ttl.value.trim()) await enableTtl(request.TableName, ttl.value.trim());
      flash(`Table ${request.TableName} created.`, true);
      location.hash = `#/table/${encodeURIComponent(request.TableName)}`;
    } catch (error) {
      problem.textContent = error.message;
    }
  };

  replace(main, h("h1", {}, "Create table"), h("form", { id: "create-table", onsubmit: submit },
    h("fieldset", {}, h("legend", {}, "Table"), field("Table name", name),
      h("div", { class: "row" }, field("Partition key", pk.name), field("Partition key type", pk.type)),
      h("div", { class: "row" }, field("Sort key (optional)", sk.name), field("Sort key type", sk.type))),
    h("fieldset", {}, h("legend", {}, "Capacity"), field("Billing mode", billing), capacity),
    h("fieldset", {}, h("legend", {}, "Secondary indexes"), indexes, h("div", { class: "actions" }, addIndex, addLocalIndex)),
    h("fieldset", {}, h("legend", {}, "Other settings"), field("Stream", stream), field("Time to live attribute (optional)", ttl),
      field("Tags (key=value, one a line)", tags), field("Deletion protection", protection, "inline")),
    h("fieldset", {}, h("legend", {}, "Encryption at rest"), field("Key", encryption), customerKey),
    problem,
    h("button", { type: "submit", class: "primary", id: "ct-submit" }, "Create table")));
  name.focus();
}

// TTL is set once the table is ACTIVE.
async function enableTtl(table, attribute) {
  for (let poll = 0; poll < ACTIVE_POLLS; poll++) {
    const { Table: described } = await api.call("DescribeTable", { TableName: table });
    if (described.TableStatus === "ACTIVE") break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await api.call("UpdateTimeToLive", { TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: attribute } });
}
