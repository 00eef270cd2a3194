// STS with the AWS SDK for JavaScript v3: an assumed role with a session
// policy, its credentials used by the DynamoDB client, then expiring; and
// GetSessionToken's credentials.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from "@aws-sdk/client-sts";

import { CREDENTIALS, Server, createTable, uniqueName, REGION } from "./harness.mjs";

// The hidden test option lowers STS's 900 s floor, so that expiry can be seen.
const SHORTEST = 2;
const server = new Server("--sts-min-duration-seconds", String(SHORTEST));
const ACCOUNT = "000000000000";
let root;
let table;

const policy = (statement) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

function clients(credentials) {
  const config = { endpoint: server.endpoint, region: REGION, credentials, maxAttempts: 1 };
  return { sts: new STSClient(config), iam: new IAMClient(config), dynamodb: new DynamoDBClient(config) };
}

function sessionCredentials({ Credentials }) {
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
  };
}

/** A user allowed `actions`, with an access key: its name and credentials. */
async function newUser(actions) {
  const name = uniqueName("js-user");
  await root.iam.send(new CreateUserCommand({ UserName: name }));
  await root.iam.send(
    new PutUserPolicyCommand({
      UserName: name,
      PolicyName: "p",
      PolicyDocument: policy({ Effect: "Allow", Action: actions, Resource: "*" }),
    }),
  );
  const { AccessKey } = await root.iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { name, credentials: { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey } };
}

before(async () => {
  await server.start();
  root = clients(CREDENTIALS);
  table = uniqueName("js-sts");
  await createTable(root.dynamodb, table);
  await root.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "seed" } } }));
});

after(async () => {
  await server.stop();
});

test("an assumed role with a session policy reads but cannot write, then expires", async () => {
  const user = await newUser("sts:AssumeRole");
  const roleName = uniqueName("js-role");
  const { Role } = await root.iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: policy({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "sts:AssumeRole",
      }),
    }),
  );
  await root.iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: "p",
      PolicyDocument: policy({ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }),
    }),
  );

  const assumed = await clients(user.credentials).sts.send(
    new AssumeRoleCommand({
      RoleArn: Role.Arn,
      RoleSessionName: "js-reader",
      DurationSeconds: SHORTEST,
      Policy: policy({ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }),
    }),
  );
  const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/js-reader`;
  assert.equal(assumed.AssumedRoleUser.Arn, sessionArn);
  assert.equal(assumed.AssumedRoleUser.AssumedRoleId, `${Role.RoleId}:js-reader`);
  assert.ok(assumed.Credentials.AccessKeyId.startsWith("ASIA"));
  assert.ok(assumed.Credentials.Expiration instanceof Date);

  const session = clients(sessionCredentials(assumed));
  const identity = await session.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(identity.Arn, sessionArn);
  const got = await session.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "seed" } } }));
  assert.deepEqual(got.Item, { pk: { S: "seed" } });
  await assert.rejects(
    session.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "no" } } })),
    (error) => {
      assert.equal(error.name, "AccessDeniedException");
      assert.match(error.message, new RegExp(`User: ${sessionArn} is not authorized to perform: dynamodb:PutItem`));
      return true;
    },
  );

  // Past its expiry (by the server's clock, as the answer states it).
  await sleep(Math.max(0, assumed.Credentials.Expiration.getTime() - Date.now()) + 1500);
  await assert.rejects(
    session.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "seed" } } })),
    (error) => {
      assert.equal(error.name, "ExpiredTokenException");
      return true;
    },
  );
});

test("GetSessionToken credentials act as the user and cannot get another session", async () => {
  const user = await newUser("dynamodb:*");
  const answer = await clients(user.credentials).sts.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
  const remaining = answer.Credentials.Expiration.getTime() - Date.now();
  assert.ok(remaining > 800_000 && remaining <= 900_000, `${remaining} ms left`);
  const session = clients(sessionCredentials(answer));
  const identity = await session.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(identity.Arn, `arn:aws:iam::${ACCOUNT}:user/${user.name}`);
  await session.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: user.name } } }));
  await assert.rejects(session.sts.send(new GetSessionTokenCommand({})), (error) => {
    assert.equal(error.name, "AccessDenied");
    assert.equal(error.message, "Cannot call GetSessionToken with session credentials");
    assert.equal(error.$metadata.httpStatusCode, 403);
    return true;
  });
});
