// The real `halyard` binary as a process the JS tests start on a free port
// and a data directory of their own, with AWS SDK v3 clients for it.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { DynamoDBClient, CreateTableCommand, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BINARY = process.env.HALYARD_BIN ?? join(ROOT, "target", "release", "halyard");
export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "AKIDHALYARDTEST", secretAccessKey: "halyard-test-secret" };

// HALYARD_TEST_STORAGE=postgres: each server keeps its data in a schema of
// its own in the PostgreSQL server at HALYARD_TEST_POSTGRES_URL (as in
// tests/e2e/harness.py); SQLite otherwise.
function storageArgs(dataDir) {
  if (process.env.HALYARD_TEST_STORAGE !== "postgres") return [];
  const url = process.env.HALYARD_TEST_POSTGRES_URL;
  if (!url) throw new Error("HALYARD_TEST_STORAGE=postgres needs HALYARD_TEST_POSTGRES_URL");
  const schema = "h_" + createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 24);
  const psql = join(process.env.HALYARD_PG_BIN ?? "/usr/lib/postgresql/15/bin", "psql");
  execFileSync(psql, [url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", `CREATE SCHEMA IF NOT EXISTS ${schema}`]);
  const separator = url.includes("?") ? "&" : "?";
  // Halyard encrypts only its SQLite store (docs/postgres.md).
  return ["--storage", `${url}${separator}options=-csearch_path%3D${schema}`, "--encryption", "off"];
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** One halyard process on a temporary data directory. */
export class Server {
  constructor(...extraArgs) {
    this.extraArgs = extraArgs;
    this.dir = mkdtempSync(join(tmpdir(), "halyard-js-"));
    this.process = null;
  }

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.port = await freePort();
    this.logPath = join(this.dir, "halyard.log");
    const log = openSync(this.logPath, "a");
    this.process = spawn(
      BINARY,
      [
        "serve",
        "--listen",
        `127.0.0.1:${this.port}`,
        "--data-dir",
        join(this.dir, "data"),
        ...storageArgs(join(this.dir, "data")),
        ...this.extraArgs,
      ],
      {
        stdio: ["ignore", log, log],
        // The clients' credentials are the server's root credentials.
        env: {
          ...process.env,
          HALYARD_ROOT_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          HALYARD_ROOT_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        },
      },
    );
    closeSync(log);
    this.exited = new Promise((resolveExit) => this.process.on("exit", resolveExit));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) {
        throw new Error(`halyard exited with ${this.process.exitCode}: ${this.readLog()}`);
      }
      if (await this.ready()) return this;
      await sleep(50);
    }
    throw new Error("halyard did not become ready");
  }

  /** Whether the server answers its liveness check. */
  async ready() {
    try {
      const response = await fetch(this.endpoint + "/");
      return response.ok;
    } catch {
      // Not listening yet.
      return false;
    }
  }

  readLog() {
    return readFileSync(this.logPath, "utf8");
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      this.process.kill("SIGTERM");
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A low-level client; `config` is merged into the SDK's configuration. */
  client(config = {}) {
    return new DynamoDBClient({
      endpoint: this.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      ...config,
    });
  }

  /** An IAM client on the same endpoint, signed with `credentials`. */
  iamClient(credentials = CREDENTIALS) {
    return new IAMClient({ endpoint: this.endpoint, region: REGION, credentials, maxAttempts: 1 });
  }

  /** A document client (plain JavaScript values instead of AttributeValues). */
  documentClient(config = {}) {
    return DynamoDBDocumentClient.from(this.client(config));
  }
}

/** Creates a table (on-demand unless `extra` says otherwise) and waits for it. */
export async function createTable(client, name, { hashKey = ["pk", "S"], rangeKey, ...extra } = {}) {
  const definitions = [{ AttributeName: hashKey[0], AttributeType: hashKey[1] }];
  const schema = [{ AttributeName: hashKey[0], KeyType: "HASH" }];
  if (rangeKey) {
    definitions.push({ AttributeName: rangeKey[0], AttributeType: rangeKey[1] });
    schema.push({ AttributeName: rangeKey[0], KeyType: "RANGE" });
  }
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: definitions,
      KeySchema: schema,
      BillingMode: "PAY_PER_REQUEST",
      ...extra,
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
}

/** A table name unique to this run. */
export function uniqueName(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
