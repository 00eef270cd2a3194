// Multi-attribute GSI keys through the JS SDK v3: an index with two HASH and
// two RANGE attributes created at CreateTable, another added by UpdateTable
// and backfilled from existing items while writes continue, then queried
// (every partition attribute by equality, the sort attributes left to right)
// and paged with Limit and ExclusiveStartKey. Expected results come from a
// model of DynamoDB's order: each sort attribute by its own type's order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { PutCommand, QueryCommand, ScanCommand, UpdateCommand, paginateQuery } from "@aws-sdk/lib-dynamodb";

import { Server, uniqueName } from "./harness.mjs";

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

const keySchema = (hashes, ranges) => [
  ...hashes.map((AttributeName) => ({ AttributeName, KeyType: "HASH" })),
  ...ranges.map((AttributeName) => ({ AttributeName, KeyType: "RANGE" })),
];

// The order of one sort attribute's values: strings by UTF-8 bytes, numbers numerically.
const compareValues = (a, b) =>
  typeof a === "number" ? a - b : Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

const inIndexOrder = (items, attributes) =>
  [...items].sort((x, y) => {
    for (const attribute of attributes) {
      const order = compareValues(x[attribute], y[attribute]);
      if (order !== 0) return order;
    }
    return 0;
  });

function item(n) {
  const entry = {
    pk: `p${String(n).padStart(3, "0")}`,
    league: ["east", "west"][n % 2],
    season: 2024 + (n % 3),
    stage: ["final", "group", "semi"][n % 5 % 3],
    score: (n * 37) % 50,
  };
  // Every seventh item lacks a key attribute of the index: it stays out (sparse).
  if (n % 7 === 0) delete entry.score;
  return entry;
}

async function queryAll(params) {
  const items = [];
  let pages = 0;
  for await (const page of paginateQuery({ client: documents, pageSize: params.Limit }, params)) {
    items.push(...page.Items);
    pages += 1;
  }
  return { items, pages };
}

test("a multi-attribute GSI at CreateTable is queried left to right and paged", async () => {
  const table = uniqueName("js-mgsi");
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: keySchema(["pk"], []),
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "league", AttributeType: "S" },
        { AttributeName: "season", AttributeType: "N" },
        { AttributeName: "stage", AttributeType: "S" },
        { AttributeName: "score", AttributeType: "N" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "by_league_season",
          KeySchema: keySchema(["league", "season"], ["stage", "score"]),
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: table });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  assert.deepEqual(Table.GlobalSecondaryIndexes[0].KeySchema, keySchema(["league", "season"], ["stage", "score"]));

  const items = Array.from({ length: 90 }, (_, n) => item(n));
  for (const entry of items) await documents.send(new PutCommand({ TableName: table, Item: entry }));
  const indexed = items.filter((i) => i.score !== undefined);
  const partition = indexed.filter((i) => i.league === "west" && i.season === 2025);
  assert.ok(partition.length > 5);

  const base = {
    TableName: table,
    IndexName: "by_league_season",
    KeyConditionExpression: "league = :l AND season = :s",
    ExpressionAttributeValues: { ":l": "west", ":s": 2025 },
  };
  // Paged with Limit: every page's LastEvaluatedKey carries every key attribute.
  const first = await documents.send(new QueryCommand({ ...base, Limit: 4 }));
  assert.deepEqual(Object.keys(first.LastEvaluatedKey).sort(), ["league", "pk", "score", "season", "stage"]);
  const second = await documents.send(new QueryCommand({ ...base, Limit: 4, ExclusiveStartKey: first.LastEvaluatedKey }));
  const expected = inIndexOrder(partition, ["stage", "score"]).map((i) => i.pk);
  assert.deepEqual([...first.Items, ...second.Items].map((i) => i.pk), expected.slice(0, 8));
  const { items: all, pages } = await queryAll({ ...base, Limit: 4 });
  assert.deepEqual(all.map((i) => i.pk), expected);
  assert.ok(pages >= Math.ceil(expected.length / 4));

  // An equality on the first sort attribute, then a range on the next one.
  const ranged = await queryAll({
    ...base,
    KeyConditionExpression: "league = :l AND season = :s AND stage = :g AND score BETWEEN :lo AND :hi",
    ExpressionAttributeValues: { ":l": "west", ":s": 2025, ":g": "group", ":lo": 10, ":hi": 40 },
  });
  assert.deepEqual(
    ranged.items.map((i) => i.pk),
    inIndexOrder(partition.filter((i) => i.stage === "group" && i.score >= 10 && i.score <= 40), ["stage", "score"]).map(
      (i) => i.pk,
    ),
  );
  // Descending, with begins_with on the first sort attribute.
  const descending = await queryAll({
    ...base,
    KeyConditionExpression: "league = :l AND season = :s AND begins_with(stage, :g)",
    ExpressionAttributeValues: { ":l": "west", ":s": 2025, ":g": "s" },
    ScanIndexForward: false,
  });
  assert.deepEqual(
    descending.items.map((i) => i.pk),
    inIndexOrder(partition.filter((i) => i.stage.startsWith("s")), ["stage", "score"]).map((i) => i.pk).reverse(),
  );

  // Every partition attribute needs an equality; sort attributes cannot be skipped.
  await assert.rejects(
    documents.send(new QueryCommand({ ...base, KeyConditionExpression: "league = :l", ExpressionAttributeValues: { ":l": "west" } })),
    (error) => error.name === "ValidationException" && /HASH/.test(error.message) && /season/.test(error.message),
  );
  await assert.rejects(
    documents.send(
      new QueryCommand({
        ...base,
        KeyConditionExpression: "league = :l AND season = :s AND score > :v",
        ExpressionAttributeValues: { ":l": "west", ":s": 2025, ":v": 1 },
      }),
    ),
    (error) => error.name === "ValidationException" && /RANGE/.test(error.message) && /stage/.test(error.message),
  );
});

test("UpdateTable adds a multi-attribute GSI and backfills it while writes continue", async () => {
  const table = uniqueName("js-mgsi-add");
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: keySchema(["pk"], []),
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: table });
  for (let n = 0; n < 200; n++) await documents.send(new PutCommand({ TableName: table, Item: item(n) }));

  // The writer stops only once the index is ACTIVE and it has made at least
  // MIN_WRITES writes, so the check below does not depend on how fast the
  // backfill runs.
  const MIN_WRITES = 30;
  let writing = true;
  let writes = 0;
  const writer = (async () => {
    for (let n = 0; writing || writes < MIN_WRITES; n++) {
      const pk = `p${String(n % 250).padStart(3, "0")}`;
      if (n % 3 === 0) {
        await documents.send(new PutCommand({ TableName: table, Item: { ...item(n % 250 + 1), pk } }));
      } else {
        await documents.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk },
            UpdateExpression: n % 3 === 1 ? "SET score = :v" : "REMOVE stage",
            ExpressionAttributeValues: n % 3 === 1 ? { ":v": n % 60 } : undefined,
          }),
        );
      }
      writes += 1;
    }
  })();
  const created = await client.send(
    new UpdateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "league", AttributeType: "S" },
        { AttributeName: "season", AttributeType: "N" },
        { AttributeName: "stage", AttributeType: "S" },
        { AttributeName: "score", AttributeType: "N" },
      ],
      GlobalSecondaryIndexUpdates: [
        {
          Create: {
            IndexName: "by_league_season",
            KeySchema: keySchema(["league", "season"], ["stage", "score"]),
            Projection: { ProjectionType: "KEYS_ONLY" },
          },
        },
      ],
    }),
  );
  assert.deepEqual(
    created.TableDescription.GlobalSecondaryIndexes[0].KeySchema,
    keySchema(["league", "season"], ["stage", "score"]),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    if (Table.GlobalSecondaryIndexes[0].IndexStatus === "ACTIVE") break;
    assert.ok(Date.now() < deadline, "index not ACTIVE");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  writing = false;
  await writer;
  assert.ok(writes >= MIN_WRITES);

  // The index holds exactly the items with every key attribute, in index order per partition.
  const tableItems = [];
  let start;
  do {
    const page = await documents.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    tableItems.push(...page.Items);
    start = page.LastEvaluatedKey;
  } while (start);
  const keys = ["league", "season", "stage", "score"];
  const indexed = tableItems.filter((i) => keys.every((k) => i[k] !== undefined));
  for (const league of ["east", "west"]) {
    for (const season of [2024, 2025, 2026]) {
      const { items } = await queryAll({
        TableName: table,
        IndexName: "by_league_season",
        KeyConditionExpression: "league = :l AND season = :s",
        ExpressionAttributeValues: { ":l": league, ":s": season },
        Limit: 7,
      });
      const expected = inIndexOrder(
        indexed.filter((i) => i.league === league && i.season === season),
        ["stage", "score"],
      );
      const sortKeys = (list) => list.map((i) => [i.stage, i.score]);
      assert.deepEqual(sortKeys(items), sortKeys(expected));
      assert.deepEqual(items.map((i) => i.pk).sort(), expected.map((i) => i.pk).sort());
      // KEYS_ONLY: the table key and the index key attributes.
      for (const entry of items) assert.deepEqual(Object.keys(entry).sort(), ["league", "pk", "score", "season", "stage"]);
    }
  }
});
