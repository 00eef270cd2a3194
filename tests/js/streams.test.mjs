// DynamoDB Streams through @aws-sdk/client-dynamodb-streams: a consumer
// that lists the table's stream, walks its shards and reads the records
// of every kind of write.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBStreamsClient,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";

import { Server, createTable, uniqueName, REGION } from "./harness.mjs";

const server = new Server();
let client;
let streams;

before(async () => {
  await server.start();
  client = server.client();
  streams = new DynamoDBStreamsClient({
    endpoint: server.endpoint,
    region: REGION,
    credentials: { accessKeyId: "AKIDHALYARDTEST", secretAccessKey: "halyard-test-secret" },
    maxAttempts: 1,
  });
});

after(async () => {
  streams?.destroy();
  client?.destroy();
  await server.stop();
});

test("a stream consumer reads inserts, modifications and removals in order", async () => {
  const table = uniqueName("js-streams");
  await createTable(client, table, {
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
  });
  await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "a" }, n: { N: "1" } } }));
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: { S: "a" } },
      UpdateExpression: "SET n = n + :one",
      ExpressionAttributeValues: { ":one": { N: "1" } },
    }),
  );
  await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "a" } } }));

  const { Streams } = await streams.send(new ListStreamsCommand({ TableName: table }));
  assert.equal(Streams.length, 1);
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: Streams[0].StreamArn }));
  assert.equal(StreamDescription.StreamStatus, "ENABLED");
  assert.equal(StreamDescription.StreamViewType, "NEW_AND_OLD_IMAGES");
  const [shard] = StreamDescription.Shards;
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: Streams[0].StreamArn,
      ShardId: shard.ShardId,
      ShardIteratorType: "TRIM_HORIZON",
    }),
  );
  const { Records, NextShardIterator } = await streams.send(new GetRecordsCommand({ ShardIterator }));
  assert.deepEqual(
    Records.map((record) => record.eventName),
    ["INSERT", "MODIFY", "REMOVE"],
  );
  assert.deepEqual(Records[1].dynamodb.OldImage, { pk: { S: "a" }, n: { N: "1" } });
  assert.deepEqual(Records[1].dynamodb.NewImage, { pk: { S: "a" }, n: { N: "2" } });
  assert.deepEqual(Records[2].dynamodb.Keys, { pk: { S: "a" } });
  assert.ok(Records[0].dynamodb.ApproximateCreationDateTime instanceof Date);
  // The shard is open: the consumer can go on polling.
  assert.ok(NextShardIterator);
  const more = await streams.send(new GetRecordsCommand({ ShardIterator: NextShardIterator }));
  assert.deepEqual(more.Records, []);
});
