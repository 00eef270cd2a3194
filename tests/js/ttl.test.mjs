// dynamoose with the `expires` option (issue 12): Table.initialize()
// creates the table and enables Time to Live, later calls work, and items
// past their expiry are deleted by Halyard's expirer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBStreamsClient,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import dynamoose from "dynamoose";

import { Server, createTable, uniqueName, REGION } from "./harness.mjs";

// The expirer looks every 0.2 s, so that expiry is observed promptly.
const server = new Server("--ttl-interval", "0.2");
let client;

before(async () => {
  await server.start();
  client = server.client();
  // dynamoose calls methods of the aggregated client (DynamoDB), not send().
  dynamoose.aws.ddb.set(
    new dynamoose.aws.ddb.DynamoDB({
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDHALYARDTEST", secretAccessKey: "halyard-test-secret" },
      maxAttempts: 1,
    }),
  );
});

after(async () => {
  client?.destroy();
  await server.stop();
});

test("a dynamoose table with `expires` initializes, enables TTL and works", async () => {
  const name = uniqueName("js-sessions");
  const Session = dynamoose.model(name, new dynamoose.Schema({ id: String, user: String, hits: Number }));
  const table = new dynamoose.Table(name, [Session], {
    initialize: false,
    create: true,
    throughput: "ON_DEMAND",
    waitForActive: { enabled: true, check: { timeout: 30_000, frequency: 200 } },
    expires: { ttl: 60 * 60 * 1000, attribute: "expiresAt" },
  });
  await table.initialize();

  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  assert.deepEqual(ttl.TimeToLiveDescription, { TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });

  await Session.create({ id: "s1", user: "ann", hits: 0 });
  const got = await Session.get("s1");
  assert.equal(got.user, "ann");
  // dynamoose sets the TTL attribute (a Date, stored as epoch seconds) an hour ahead.
  assert.ok(got.expiresAt instanceof Date && got.expiresAt.getTime() > Date.now());
  await Session.update({ id: "s1" }, { $ADD: { hits: 2 } });
  assert.equal((await Session.get("s1")).hits, 2);
  const scanned = await Session.scan().exec();
  assert.deepEqual(scanned.map((s) => s.id), ["s1"]);

  // An item already past its expiry goes, and dynamoose stops finding it.
  await client.send(new PutItemCommand({
    TableName: name,
    Item: { id: { S: "old" }, user: { S: "bob" }, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) } },
  }));
  const deadline = Date.now() + 60_000;
  while ((await Session.get("old")) !== undefined) {
    assert.ok(Date.now() < deadline, "the expired item was not deleted within 60 s");
    await sleep(200);
  }
  assert.equal((await Session.get("s1")).user, "ann");
});

test("initializing the same dynamoose table again finds TTL already enabled", async () => {
  const name = uniqueName("js-cache");
  const options = { initialize: false, create: true, throughput: "ON_DEMAND", expires: { ttl: 1000, attribute: "ttl" } };
  const first = dynamoose.model(name, new dynamoose.Schema({ id: String }));
  await new dynamoose.Table(name, [first], options).initialize();
  // A second process's model for the same table: TTL is ENABLED, so
  // dynamoose leaves it alone, and the table exists already.
  const again = dynamoose.model(name + "-again", new dynamoose.Schema({ id: String }));
  await new dynamoose.Table(name, [again], options).initialize();
  await again.create({ id: "x" });
  assert.equal((await again.get("x")).id, "x");
});

test("a TTL delete reaches a JS stream consumer as a REMOVE by the service", async () => {
  const table = uniqueName("js-ttl-stream");
  await createTable(client, table, {
    StreamSpecification: { StreamEnabled: true, StreamViewType: "OLD_IMAGE" },
  });
  await client.send(new UpdateTimeToLiveCommand({
    TableName: table,
    TimeToLiveSpecification: { Enabled: true, AttributeName: "exp" },
  }));
  const item = { pk: { S: "gone" }, exp: { N: String(Math.floor(Date.now() / 1000) - 60) } };
  await client.send(new PutItemCommand({ TableName: table, Item: item }));
  const deadline = Date.now() + 60_000;
  while ((await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "gone" } } }))).Item) {
    assert.ok(Date.now() < deadline, "the expired item was not deleted within 60 s");
    await sleep(200);
  }

  const streams = new DynamoDBStreamsClient({
    endpoint: server.endpoint,
    region: REGION,
    credentials: { accessKeyId: "AKIDHALYARDTEST", secretAccessKey: "halyard-test-secret" },
    maxAttempts: 1,
  });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: Table.LatestStreamArn }));
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({
      StreamArn: Table.LatestStreamArn,
      ShardId: StreamDescription.Shards[0].ShardId,
      ShardIteratorType: "TRIM_HORIZON",
    }));
    const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator }));
    assert.deepEqual(Records.map((r) => r.eventName), ["INSERT", "REMOVE"]);
    assert.equal(Records[0].userIdentity, undefined);
    assert.deepEqual(Records[1].userIdentity, { Type: "Service", PrincipalId: "dynamodb.amazonaws.com" });
    assert.deepEqual(Records[1].dynamodb.OldImage, item);
  } finally {
    streams.destroy();
  }
});
