// Everyday item operations through the JS SDK v3, low-level and document
// clients: the SDK's serializers and error parsing against Halyard.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  GetItemCommand,
  PutItemCommand,
  ConditionalCheckFailedException,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";

import { Server, createTable, uniqueName } from "./harness.mjs";

const server = new Server();
let client;
let documents;

before(async () => {
  await server.start();
  client = server.client();
  documents = server.documentClient();
});

after(async () => {
  client?.destroy();
  await server.stop();
});

test("typed attribute values round-trip through the low-level client", async () => {
  const table = uniqueName("js-items");
  await createTable(client, table);
  const item = {
    pk: { S: "a" },
    n: { N: "12345678901234567890.5" },
    b: { B: new Uint8Array([0, 1, 255]) },
    ss: { SS: ["x", "y"] },
    m: { M: { l: { L: [{ BOOL: true }, { NULL: true }] } } },
  };
  await client.send(new PutItemCommand({ TableName: table, Item: item }));
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "a" } } }));
  assert.deepEqual(Item, item);
});

test("the document client marshals, updates and queries", async () => {
  const table = uniqueName("js-docs");
  await createTable(client, table, { rangeKey: ["sk", "N"] });
  for (const sk of [1, 2, 3]) {
    await documents.send(new PutCommand({ TableName: table, Item: { pk: "p", sk, tags: new Set(["t"]) } }));
  }
  const { Attributes } = await documents.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: "p", sk: 2 },
      UpdateExpression: "SET visits = if_not_exists(visits, :zero) + :one",
      ExpressionAttributeValues: { ":zero": 0, ":one": 1 },
      ReturnValues: "ALL_NEW",
    }),
  );
  assert.equal(Attributes.visits, 1);
  const { Items, Count } = await documents.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: "pk = :p AND sk >= :from",
      ExpressionAttributeValues: { ":p": "p", ":from": 2 },
      ScanIndexForward: false,
    }),
  );
  assert.equal(Count, 2);
  assert.deepEqual(Items.map((item) => item.sk), [3, 2]);
  const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { pk: "p", sk: 1 } }));
  assert.deepEqual(Item.tags, new Set(["t"]));
});

test("errors arrive as the SDK's typed exceptions with DynamoDB's messages", async () => {
  const table = uniqueName("js-errors");
  await createTable(client, table);
  await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "a" } } }));
  await assert.rejects(
    client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: "a" } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    ),
    (error) => error instanceof ConditionalCheckFailedException && error.message === "The conditional request failed",
  );
  await assert.rejects(
    client.send(new GetItemCommand({ TableName: "js-missing-table", Key: { pk: { S: "a" } } })),
    (error) =>
      error instanceof ResourceNotFoundException &&
      error.message === "Requested resource not found" &&
      error.$metadata.httpStatusCode === 400,
  );
});
