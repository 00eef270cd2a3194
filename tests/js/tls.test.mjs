// HTTPS through the JS SDK v3: `--tls self-signed`, trusted by giving the
// SDK's HTTPS agent the certificate Halyard made in its data directory (as
// an application would with AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS); a client
// that does not trust it is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { Agent, get } from "node:https";
import { join } from "node:path";

import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";

import { Server, createTable, uniqueName } from "./harness.mjs";

class TlsServer extends Server {
  get endpoint() {
    return `https://127.0.0.1:${this.port}`;
  }

  get certificatePath() {
    return join(this.dir, "data", "tls", "cert.pem");
  }

  async ready() {
    if (!existsSync(this.certificatePath)) return false;
    const ca = readFileSync(this.certificatePath);
    return new Promise((resolveReady) => {
      get(this.endpoint + "/", { ca, timeout: 1000 }, (response) => {
        response.resume();
        resolveReady(response.statusCode === 200);
      }).on("error", () => resolveReady(false));
    });
  }

  /** A client whose HTTPS agent trusts `ca` (the server's certificate by default). */
  client(config = {}, ca = readFileSync(this.certificatePath)) {
    return super.client({ requestHandler: { httpsAgent: new Agent({ ca }) }, ...config });
  }
}

const server = new TlsServer("--tls", "self-signed");

before(async () => {
  await server.start();
});

after(async () => {
  await server.stop();
});

test("the self-signed certificate's path is logged for AWS_CA_BUNDLE", () => {
  assert.ok(server.readLog().includes(`AWS_CA_BUNDLE=${realpathSync(server.certificatePath)}`), server.readLog());
});

test("a client trusting the self-signed certificate reads and writes over HTTPS", async () => {
  const table = uniqueName("tls");
  const client = server.client();
  const documents = server.documentClient();
  try {
    await createTable(client, table);
    await documents.send(new PutCommand({ TableName: table, Item: { pk: "a", v: "over TLS" } }));
    const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { pk: "a" } }));
    assert.deepEqual(Item, { pk: "a", v: "over TLS" });
  } finally {
    client.destroy();
    documents.destroy();
  }
});

test("a client that does not trust the certificate is refused", async () => {
  const client = server.client({}, []);
  try {
    await assert.rejects(client.send(new ListTablesCommand({})), (error) => {
      assert.match(String(error.code ?? error.name), /SELF_SIGNED|CERT/);
      return true;
    });
  } finally {
    client.destroy();
  }
  // The server goes on serving.
  const trusting = server.client();
  try {
    assert.ok(Array.isArray((await trusting.send(new ListTablesCommand({}))).TableNames));
  } finally {
    trusting.destroy();
  }
});
