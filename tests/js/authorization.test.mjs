// SigV4 and IAM authorisation through the JS SDK v3: a wrong secret, and a
// least-privilege user (made with the IAM client) confined to its own items
// by dynamodb:LeadingKeys, in single, batch and transaction requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  BatchWriteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";

import { Server, createTable, uniqueName } from "./harness.mjs";

const server = new Server();
let root;
let iam;

before(async () => {
  await server.start();
  root = server.client();
  iam = server.iamClient();
});

after(async () => {
  root?.destroy();
  iam?.destroy();
  await server.stop();
});

async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the request was not refused");
}

test("a wrong secret is refused with InvalidSignatureException", async () => {
  const wrong = server.client({ credentials: { accessKeyId: "AKIDHALYARDTEST", secretAccessKey: "wrong" } });
  const error = await refusal(wrong.send(new ScanCommand({ TableName: "any" })));
  assert.equal(error.name, "InvalidSignatureException");
  assert.equal(error.$metadata.httpStatusCode, 400);
  wrong.destroy();
});

test("a user is confined to its own items in single, batch and transaction writes", async () => {
  const table = uniqueName("js-authz");
  await createTable(root, table);
  const name = uniqueName("js-user");
  const { User } = await iam.send(new CreateUserCommand({ UserName: name }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  const tableArn = `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`;
  await iam.send(
    new PutUserPolicyCommand({
      UserName: name,
      PolicyName: "own-items",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:BatchWriteItem"],
            Resource: tableArn,
            Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["${aws:username}"] } },
          },
        ],
      }),
    }),
  );
  const user = server.client({
    credentials: { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey },
  });
  const own = { pk: { S: name } };
  const other = { pk: { S: "someone-else" } };
  await user.send(new PutItemCommand({ TableName: table, Item: { ...own, v: { S: "1" } } }));
  assert.deepEqual((await user.send(new GetItemCommand({ TableName: table, Key: own }))).Item.v, { S: "1" });

  const denied = await refusal(user.send(new PutItemCommand({ TableName: table, Item: other })));
  assert.equal(denied.name, "AccessDeniedException");
  assert.equal(
    denied.message,
    `User: ${User.Arn} is not authorized to perform: dynamodb:PutItem on resource: ${tableArn} ` +
      "because no identity-based policy allows the dynamodb:PutItem action",
  );
  const batch = await refusal(
    user.send(
      new BatchWriteItemCommand({
        RequestItems: { [table]: [{ PutRequest: { Item: { ...own, v: { S: "2" } } } }, { PutRequest: { Item: other } }] },
      }),
    ),
  );
  assert.equal(batch.name, "AccessDeniedException");
  // A transaction's Put needs dynamodb:PutItem on its item: the user's own
  // passes, one of another's refuses the whole transaction.
  await user.send(
    new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: table, Item: { ...own, v: { S: "3" } } } }] }),
  );
  const transaction = await refusal(
    user.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { ...own, v: { S: "4" } } } },
          { Put: { TableName: table, Item: other } },
        ],
      }),
    ),
  );
  assert.equal(transaction.name, "AccessDeniedException");
  const stored = await root.send(new GetItemCommand({ TableName: table, Key: own, ConsistentRead: true }));
  assert.deepEqual(stored.Item.v, { S: "3" });
  assert.equal((await root.send(new GetItemCommand({ TableName: table, Key: other }))).Item, undefined);
  assert.equal((await refusal(user.send(new ScanCommand({ TableName: table })))).name, "AccessDeniedException");
  user.destroy();
});
