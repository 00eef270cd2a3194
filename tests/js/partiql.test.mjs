// PartiQL through the JS SDK v3: ExecuteStatement (low-level and document
// clients, with parameters and paging), BatchExecuteStatement with mixed
// outcomes, ExecuteTransaction with a rollback and idempotency, and errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  BatchExecuteStatementCommand,
  ConditionalCheckFailedException,
  DuplicateItemException,
  ExecuteStatementCommand,
  ExecuteTransactionCommand,
  GetItemCommand,
  IdempotentParameterMismatchException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { ExecuteStatementCommand as DocumentStatement } from "@aws-sdk/lib-dynamodb";

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

const statement = (Statement, Parameters) => client.send(new ExecuteStatementCommand({ Statement, Parameters }));

async function get(table, pk, sk) {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { N: String(sk) } }, ConsistentRead: true }),
  );
  return Item;
}

test("each statement kind, with parameters of every type", async () => {
  const table = uniqueName("js-pq");
  await createTable(client, table, { rangeKey: ["sk", "N"] });
  const values = [
    { S: "s" }, { N: "1.5" }, { B: new Uint8Array([0, 1, 255]) }, { BOOL: true }, { NULL: true },
    { SS: ["a", "b"] }, { NS: ["1", "2"] }, { BS: [new Uint8Array([1]), new Uint8Array([2])] },
    { L: [{ S: "x" }] }, { M: { k: { N: "1" } } },
  ];
  for (const [position, value] of values.entries()) {
    await statement(`INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?, 'v': ?}`, [{ S: "p" }, { N: String(position) }, value]);
    assert.deepEqual((await get(table, "p", position)).v, value);
  }
  const { Items } = await statement(`SELECT v FROM "${table}" WHERE pk = ? AND sk = ?`, [{ S: "p" }, { N: "5" }]);
  assert.deepEqual(Items, [{ v: { SS: ["a", "b"] } }]);

  const updated = await statement(`UPDATE "${table}" SET w = ? WHERE pk = 'p' AND sk = 1 RETURNING MODIFIED NEW *`, [{ N: "7" }]);
  assert.deepEqual(updated.Items, [{ w: { N: "7" } }]);
  const removed = await statement(`DELETE FROM "${table}" WHERE pk = 'p' AND sk = 1 RETURNING ALL OLD *`);
  assert.equal(removed.Items[0].w.N, "7");
  assert.equal(await get(table, "p", 1), undefined);

  await assert.rejects(statement(`INSERT INTO "${table}" VALUE {'pk': 'p', 'sk': 0}`), DuplicateItemException);
  await assert.rejects(
    statement(`UPDATE "${table}" SET w = 1 WHERE pk = 'p' AND sk = 0 AND w = 5`),
    ConditionalCheckFailedException,
  );
  await assert.rejects(statement(`SELECT * FROM "${table}" WHERE`), (error) => {
    assert.equal(error.name, "ValidationException");
    assert.equal(error.message, `Statement wasn't well formed, can't be processed: SELECT * FROM "${table}" WHERE`);
    return true;
  });
});

test("the document client pages a SELECT with NextToken", async () => {
  const table = uniqueName("js-pq-pages");
  await createTable(client, table, { rangeKey: ["sk", "N"] });
  for (let sk = 0; sk < 12; sk++) {
    await documents.send(new DocumentStatement({ Statement: `INSERT INTO "${table}" VALUE {'pk': ?, 'sk': ?}`, Parameters: ["d", sk] }));
  }
  const seen = [];
  let NextToken;
  do {
    const page = await documents.send(
      new DocumentStatement({ Statement: `SELECT sk FROM "${table}" WHERE pk = ?`, Parameters: ["d"], Limit: 5, NextToken }),
    );
    seen.push(...page.Items.map((item) => item.sk));
    NextToken = page.NextToken;
  } while (NextToken);
  assert.deepEqual(seen, [...Array(12).keys()]);
});

test("a batch answers each statement, a transaction all or nothing", async () => {
  const table = uniqueName("js-pq-batch");
  await createTable(client, table, { rangeKey: ["sk", "N"] });
  await statement(`INSERT INTO "${table}" VALUE {'pk': 'b', 'sk': 1, 'x': 1}`);
  const { Responses } = await client.send(new BatchExecuteStatementCommand({
    Statements: [
      { Statement: `INSERT INTO "${table}" VALUE {'pk': 'b', 'sk': 2}` },
      { Statement: `INSERT INTO "${table}" VALUE {'pk': 'b', 'sk': 1}` },
      { Statement: `DELETE FROM "${table}" WHERE pk = 'b'` },
    ],
  }));
  assert.deepEqual(Responses[0], { TableName: table });
  assert.equal(Responses[1].Error.Code, "DuplicateItem");
  assert.equal(Responses[2].Error.Code, "ValidationError");

  const rollback = new ExecuteTransactionCommand({
    TransactStatements: [
      { Statement: `INSERT INTO "${table}" VALUE {'pk': 'b', 'sk': 3}` },
      { Statement: `UPDATE "${table}" SET x = 2 WHERE pk = 'b' AND sk = 1 AND x = 5` },
    ],
  });
  await assert.rejects(client.send(rollback), (error) => {
    assert.ok(error instanceof TransactionCanceledException);
    assert.deepEqual(error.CancellationReasons.map((reason) => reason.Code), ["None", "ConditionalCheckFailed"]);
    return true;
  });
  assert.equal(await get(table, "b", 3), undefined);

  const ClientRequestToken = uniqueName("token");
  const increment = [{ Statement: `UPDATE "${table}" SET x = x + 1 WHERE pk = 'b' AND sk = 1` }];
  await client.send(new ExecuteTransactionCommand({ TransactStatements: increment, ClientRequestToken }));
  await client.send(new ExecuteTransactionCommand({ TransactStatements: increment, ClientRequestToken }));
  assert.equal((await get(table, "b", 1)).x.N, "2");
  await assert.rejects(
    client.send(new ExecuteTransactionCommand({
      TransactStatements: [{ Statement: `DELETE FROM "${table}" WHERE pk = 'b' AND sk = 1` }],
      ClientRequestToken,
    })),
    IdempotentParameterMismatchException,
  );
  const reads = await client.send(new ExecuteTransactionCommand({
    TransactStatements: [{ Statement: `SELECT x FROM "${table}" WHERE pk = 'b' AND sk = 1` }],
  }));
  assert.deepEqual(reads.Responses, [{ Item: { x: { N: "2" } } }]);
});
