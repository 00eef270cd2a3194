// Resource-based policies (issue 13) with the JS SDK v3: CreateTable with a
// ResourcePolicy, PutResourcePolicy with ExpectedRevisionId, GetResourcePolicy,
// DeleteResourcePolicy, and the SDK's PolicyNotFoundException class.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  DeleteResourcePolicyCommand,
  DescribeTableCommand,
  GetResourcePolicyCommand,
  PolicyNotFoundException,
  PutResourcePolicyCommand,
} from "@aws-sdk/client-dynamodb";

import { Server, createTable, uniqueName, REGION } from "./harness.mjs";

// DynamoDB refuses a policy change within 15 s of the last; this test
// changes the policy in quick succession.
const server = new Server("--policy-cooldown", "0.001");
let client;

before(async () => {
  await server.start();
  client = server.client();
});

after(async () => {
  client?.destroy();
  await server.stop();
});

function policy(resource, action) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: action, Resource: resource },
    ],
  });
}

test("a table's resource policy: created with the table, replaced conditionally, deleted", async () => {
  const name = uniqueName("js-policies");
  const arn = `arn:aws:dynamodb:${REGION}:000000000000:table/${name}`;
  await createTable(client, name, { ResourcePolicy: policy(arn, "dynamodb:GetItem") });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  assert.equal(Table.TableArn, arn);

  const created = await client.send(new GetResourcePolicyCommand({ ResourceArn: arn }));
  assert.deepEqual(JSON.parse(created.Policy), JSON.parse(policy(arn, "dynamodb:GetItem")));
  assert.match(created.RevisionId, /^\d+$/);

  const { RevisionId: replaced } = await client.send(
    new PutResourcePolicyCommand({
      ResourceArn: arn,
      Policy: policy(arn, "dynamodb:Query"),
      ExpectedRevisionId: created.RevisionId,
    }),
  );
  assert.ok(BigInt(replaced) > BigInt(created.RevisionId));

  // The replaced revision is stale now.
  await assert.rejects(
    client.send(
      new PutResourcePolicyCommand({
        ResourceArn: arn,
        Policy: policy(arn, "dynamodb:Scan"),
        ExpectedRevisionId: created.RevisionId,
      }),
    ),
    (error) => error instanceof PolicyNotFoundException && error.message.includes(`has revision id ${replaced}.`),
  );

  const deleted = await client.send(new DeleteResourcePolicyCommand({ ResourceArn: arn }));
  assert.equal(deleted.RevisionId, replaced);
  await assert.rejects(
    client.send(new GetResourcePolicyCommand({ ResourceArn: arn })),
    (error) =>
      error instanceof PolicyNotFoundException &&
      error.message === `Resource-based policy not found for the provided ResourceArn: ${arn}`,
  );
});
