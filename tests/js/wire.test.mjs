// Wire details through the JS SDK v3: a GetItem answered with a gzip body
// (x-amz-crc32 checked over the bytes received, then decompressed before the
// SDK parses it), a PutItem and a BatchWriteItem whose bodies go out
// gzip-compressed, a CORS preflight as a browser sends it, and the error a
// request with oversized headers gets. The SDK
// does neither by itself for DynamoDB (its operations have no request
// compression trait and Node's HTTP handler does not decode responses), so
// two middlewares do what an application configured for it would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { gunzipSync, gzipSync, crc32 } from "node:zlib";

import { BatchWriteItemCommand, GetItemCommand, ListTablesCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";

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

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A client that asks for gzip and checks, then decompresses, what comes back. */
function gzipAcceptingClient(received) {
  const accepting = server.client();
  accepting.middlewareStack.add(
    (next) => async (args) => {
      args.request.headers["accept-encoding"] = "gzip";
      return next(args);
    },
    { step: "build", name: "acceptGzip" },
  );
  // Inside the deserializer: sees the raw response before it is parsed.
  accepting.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const { response } = result;
      if (response.headers["content-encoding"] === "gzip") {
        const compressed = await readAll(response.body);
        received.push({ bytes: compressed.length, crc: response.headers["x-amz-crc32"] });
        assert.equal(Number(response.headers["x-amz-crc32"]), crc32(compressed), "x-amz-crc32 of the bytes sent");
        response.body = Readable.from([gunzipSync(compressed)]);
        delete response.headers["content-encoding"];
      }
      return result;
    },
    { step: "deserialize", name: "gunzipResponse", priority: "low" },
  );
  return accepting;
}

/** A client whose request bodies go out gzip-compressed (before signing). */
function gzipSendingClient(sent) {
  const sending = server.client();
  sending.middlewareStack.add(
    (next) => async (args) => {
      const body = gzipSync(Buffer.from(args.request.body));
      args.request.body = body;
      args.request.headers["content-encoding"] = "gzip";
      args.request.headers["content-length"] = String(body.length);
      sent.push(body.length);
      return next(args);
    },
    { step: "build", name: "gzipRequest", priority: "low" },
  );
  return sending;
}

test("a large GetItem answer comes compressed, with the CRC32 of the compressed bytes", async () => {
  const table = uniqueName("js-wire");
  await createTable(client, table);
  const value = "abc".repeat(5000);
  await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "large" }, v: { S: value } } }));
  const received = [];
  const accepting = gzipAcceptingClient(received);
  try {
    const { Item } = await accepting.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "large" } } }));
    assert.equal(Item.v.S, value);
    assert.equal(received.length, 1);
    assert.ok(received[0].bytes < 1000, `compressed to ${received[0].bytes} bytes`);
  } finally {
    accepting.destroy();
  }
});

test("a PutItem with a gzip-compressed body is stored", async () => {
  const table = uniqueName("js-wire");
  await createTable(client, table);
  const sent = [];
  const sending = gzipSendingClient(sent);
  const value = "xyz".repeat(10000);
  try {
    await sending.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "zipped" }, v: { S: value } } }));
  } finally {
    sending.destroy();
  }
  assert.equal(sent.length, 1);
  assert.ok(sent[0] < 1000, `sent ${sent[0]} bytes`);
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: "zipped" } }, ConsistentRead: true }),
  );
  assert.equal(Item.v.S, value);
});

test("a BatchWriteItem with a gzip-compressed body stores every item", async () => {
  const table = uniqueName("js-wire");
  await createTable(client, table);
  const sent = [];
  const sending = gzipSendingClient(sent);
  const requests = Array.from({ length: 25 }, (_, n) => ({
    PutRequest: { Item: { pk: { S: `item-${n}` }, v: { S: "abc".repeat(500) } } },
  }));
  try {
    const { UnprocessedItems } = await sending.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }));
    assert.deepEqual(UnprocessedItems, {});
  } finally {
    sending.destroy();
  }
  assert.equal(sent.length, 1);
  for (const n of [0, 24]) {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: `item-${n}` } }, ConsistentRead: true }),
    );
    assert.equal(Item.v.S, "abc".repeat(500));
  }
});

test("a CORS preflight from a browser origin is allowed", async () => {
  const response = await fetch(server.endpoint, {
    method: "OPTIONS",
    headers: {
      Origin: "https://app.example.com",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type,x-amz-target,authorization,x-amz-date",
    },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.match(response.headers.get("access-control-allow-methods"), /POST/);
  assert.match(response.headers.get("access-control-allow-headers"), /x-amz-target/);
});

test("a request with oversized headers gets a DynamoDB error with a request id", async () => {
  const oversized = server.client();
  oversized.middlewareStack.add(
    (next) => async (args) => {
      args.request.headers["x-padding"] = "p".repeat(20 * 1024);
      return next(args);
    },
    { step: "build", name: "padHeaders" },
  );
  try {
    await assert.rejects(oversized.send(new ListTablesCommand({})), (error) => {
      assert.equal(error.name, "RequestHeaderFieldsTooLarge");
      assert.equal(error.$metadata.httpStatusCode, 431);
      assert.match(error.$metadata.requestId, /^[0-9A-V]{52}$/);
      return true;
    });
  } finally {
    oversized.destroy();
  }
});
