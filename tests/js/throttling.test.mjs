// A throttled provisioned table through the JS SDK v3: the SDK parses
// ProvisionedThroughputExceededException with its ThrottlingReasons and
// retries it with its own strategy until capacity has accrued.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  DescribeTableCommand,
  PutItemCommand,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";

import { Server, createTable, uniqueName } from "./harness.mjs";

const server = new Server();
let client;

before(async () => {
  await server.start();
  client = server.client();
});

after(async () => {
  client?.destroy();
  await server.stop();
});

/** An item that costs exactly `units` write units (1 KB each). */
function item(pk, units) {
  return { pk: { S: pk }, data: { S: "x".repeat(units * 1024 - 512 - pk.length - 6) } };
}

async function putUnits(sdk, table, pk, units) {
  const response = await sdk.send(
    new PutItemCommand({ TableName: table, Item: item(pk, units), ReturnConsumedCapacity: "TOTAL" }),
  );
  assert.equal(response.ConsumedCapacity.CapacityUnits, units);
  return response;
}

async function spentTable() {
  const table = uniqueName("js-throttled");
  await createTable(client, table, {
    BillingMode: "PROVISIONED",
    ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
  });
  // A new 1-unit table holds 300 units of burst capacity: 297 are spent,
  // 3 are left.
  await putUnits(client, table, "burst", 297);
  return table;
}

test("a throttled write is refused with ThrottlingReasons", async () => {
  const table = await spentTable();
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  await assert.rejects(
    client.send(new PutItemCommand({ TableName: table, Item: item("next", 6) })),
    (error) => {
      assert.ok(error instanceof ProvisionedThroughputExceededException);
      assert.equal(error.$metadata.httpStatusCode, 400);
      assert.equal(error.$metadata.attempts, 1);
      assert.deepEqual(error.ThrottlingReasons, [
        { reason: "TableWriteProvisionedThroughputExceeded", resource: Table.TableArn },
      ]);
      return true;
    },
  );
});

test("the SDK retries a throttled write until it succeeds", async () => {
  const table = await spentTable();
  // The SDK's standard strategy (exponential back-off from 1 s for
  // throttling), with more attempts than its default 3 so that its random
  // back-off surely covers the 3 s the write waits for.
  const retrying = server.client({ maxAttempts: 10 });
  try {
    const response = await putUnits(retrying, table, "retried", 6);
    assert.ok(response.$metadata.attempts > 1, `attempts: ${response.$metadata.attempts}`);
  } finally {
    retrying.destroy();
  }
});
