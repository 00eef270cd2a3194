// Expressions as JavaScript clients write them: electrodb's `subtract`
// (a parenthesised SET value) and a single-table GSI query filtered on the
// table's key through the document client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { DynamoDBServiceException } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { Entity } from "electrodb";

import { Server, createTable, uniqueName } from "./harness.mjs";

const server = new Server();
let client;
let documents;
let table;

before(async () => {
  await server.start();
  client = server.client();
  documents = server.documentClient();
  table = uniqueName("js-expr");
  await createTable(client, table, {
    rangeKey: ["sk", "S"],
    AttributeDefinitions: ["pk", "sk", "gsi1pk", "gsi1sk"].map((name) => ({ AttributeName: name, AttributeType: "S" })),
    GlobalSecondaryIndexes: [
      {
        IndexName: "gsi1",
        KeySchema: [
          { AttributeName: "gsi1pk", KeyType: "HASH" },
          { AttributeName: "gsi1sk", KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  });
});

after(async () => {
  client?.destroy();
  await server.stop();
});

function products() {
  return new Entity(
    {
      model: { entity: "product", version: "1", service: "shop" },
      attributes: {
        store: { type: "string", required: true },
        sku: { type: "string", required: true },
        stock: { type: "number" },
      },
      indexes: {
        primary: { pk: { field: "pk", composite: ["store"] }, sk: { field: "sk", composite: ["sku"] } },
        bySku: { index: "gsi1", pk: { field: "gsi1pk", composite: ["sku"] }, sk: { field: "gsi1sk", composite: [] } },
      },
    },
    { table, client: documents },
  );
}

/** The GSI partition key value electrodb writes for sku "plum". */
async function plumPartition() {
  const { Items } = await documents.send(new QueryCommand(products().query.bySku({ sku: "plum" }).params()));
  return Items[0].gsi1pk;
}

test("electrodb's subtract sends a parenthesised SET value, which is applied", async () => {
  const entity = products();
  await entity.put({ store: "s1", sku: "apple", stock: 10 }).go();
  const params = entity.update({ store: "s1", sku: "apple" }).subtract({ stock: 3 }).params();
  assert.match(params.UpdateExpression, /= \(if_not_exists\(/);
  const { data } = await entity.update({ store: "s1", sku: "apple" }).subtract({ stock: 3 }).go({ response: "all_new" });
  assert.equal(data.stock, 7);
  // On an item without the attribute, subtract starts from 0.
  await entity.put({ store: "s1", sku: "pear" }).go();
  const pear = await entity.update({ store: "s1", sku: "pear" }).subtract({ stock: 2 }).go({ response: "all_new" });
  assert.equal(pear.data.stock, -2);
});

test("a GSI query may filter on the table's key attributes", async () => {
  const entity = products();
  await entity.put({ store: "s2", sku: "plum", stock: 1 }).go();
  await entity.put({ store: "s3", sku: "plum", stock: 2 }).go();
  const { data } = await entity.query
    .bySku({ sku: "plum" })
    .where(({ store }, { eq }) => eq(store, "s3"))
    .go();
  assert.deepEqual(data.map((item) => item.store), ["s3"]);

  const { pk } = entity.get({ store: "s2", sku: "plum" }).params().Key;
  const { Items, ScannedCount } = await documents.send(
    new QueryCommand({
      TableName: table,
      IndexName: "gsi1",
      KeyConditionExpression: "gsi1pk = :g",
      FilterExpression: "pk = :p OR begins_with(sk, :none)",
      ExpressionAttributeValues: { ":g": await plumPartition(), ":p": pk, ":none": "nothing" },
    }),
  );
  assert.equal(ScannedCount, 2);
  assert.deepEqual(Items.map((item) => item.store), ["s2"]);
});

test("a GSI query may not filter on the index's own key", async () => {
  await assert.rejects(
    documents.send(
      new QueryCommand({
        TableName: table,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :g",
        FilterExpression: "gsi1sk = :s",
        ExpressionAttributeValues: { ":g": await plumPartition(), ":s": "x" },
      }),
    ),
    (error) => {
      assert.ok(error instanceof DynamoDBServiceException);
      assert.equal(error.name, "ValidationException");
      assert.equal(
        error.message,
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: gsi1sk",
      );
      return true;
    },
  );
});
