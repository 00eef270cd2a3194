// Request validation as the JS SDK v3 sees it: every failing member in one
// message under its member path, and the ValidationError reasons of a
// cancelled transaction parsed into CancellationReasons.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  BatchWriteItemCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";

import { Server, createTable, uniqueName } from "./harness.mjs";

const server = new Server();
let client;
let table;

const ENUM_RCC =
  "Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]";

before(async () => {
  await server.start();
  client = server.client();
  table = uniqueName("js-validation");
  await createTable(client, table);
});

after(async () => {
  client?.destroy();
  await server.stop();
});

async function error(command) {
  try {
    await client.send(command);
  } catch (caught) {
    return caught;
  }
  assert.fail("the request succeeded");
}

test("every failing member constraint comes in one message, in DynamoDB's order", async () => {
  const caught = await error(
    new BatchWriteItemCommand({
      RequestItems: { [table]: [{ PutRequest: { Item: { pk: { S: "a" } } } }] },
      ReturnConsumedCapacity: "BOGUS",
      ReturnItemCollectionMetrics: "BOGUS2",
    }),
  );
  assert.equal(caught.name, "ValidationException");
  assert.equal(
    caught.message,
    `2 validation errors detected: ${ENUM_RCC}; Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy ` +
      "constraint: Member must satisfy enum value set: [SIZE, NONE]",
  );
});

test("a transaction action's constraints are named by their full member path", async () => {
  const caught = await error(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { pk: { S: "a" } } } },
        { Delete: { TableName: table } },
      ],
      ReturnConsumedCapacity: "BOGUS",
    }),
  );
  assert.equal(caught.name, "ValidationException");
  assert.equal(
    caught.message,
    "2 validation errors detected: Value null at 'transactItems.2.member.delete.key' failed to satisfy constraint: " +
      `Member must not be null; ${ENUM_RCC}`,
  );
});

test("a wrongly typed key cancels the transaction with a ValidationError reason", async () => {
  const caught = await error(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { pk: { S: "ok" } } } },
        { Put: { TableName: table, Item: { pk: { N: "5" } } } },
      ],
    }),
  );
  assert.ok(caught instanceof TransactionCanceledException, caught.name);
  assert.deepEqual(caught.CancellationReasons, [
    { Code: "None" },
    { Code: "ValidationError", Message: "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N" },
  ]);
  const read = await error(
    new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: table, Key: { pk: { N: "5" } } } }] }),
  );
  assert.ok(read instanceof TransactionCanceledException, read.name);
  assert.deepEqual(read.CancellationReasons, [
    { Code: "ValidationError", Message: "The provided key element does not match the schema" },
  ]);
});

test("an empty key value is refused for the whole transaction", async () => {
  const caught = await error(
    new TransactWriteItemsCommand({ TransactItems: [{ Delete: { TableName: table, Key: { pk: { S: "" } } } }] }),
  );
  assert.equal(caught.name, "ValidationException");
  assert.equal(
    caught.message,
    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
  );
});

test("a Scan without an index cannot ask for ALL_PROJECTED_ATTRIBUTES", async () => {
  const caught = await error(new ScanCommand({ TableName: table, Select: "ALL_PROJECTED_ATTRIBUTES" }));
  assert.equal(caught.name, "ValidationException");
  assert.equal(caught.message, "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
});
