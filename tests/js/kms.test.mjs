// KMS with the AWS SDK for JavaScript v3's KMS client on Halyard's
// endpoint: a key with an alias, encryption with an encryption context,
// data keys, rotation then decryption of an older ciphertext, a disabled
// key, tags, key policies, and KMS's errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
} from "@aws-sdk/client-kms";

import { CREDENTIALS, REGION, Server, uniqueName } from "./harness.mjs";

const server = new Server();
const ACCOUNT = "000000000000";
let kms;

before(async () => {
  await server.start();
  kms = new KMSClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
});

after(async () => {
  await server.stop();
});

async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
  }
  assert.fail("the call succeeded");
}

test("keys, aliases, encryption contexts and data keys", async () => {
  const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({ Description: "js key" }));
  assert.equal(key.Arn, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${key.KeyId}`);
  assert.equal(key.KeySpec, "SYMMETRIC_DEFAULT");
  assert.ok(key.CreationDate instanceof Date);
  const alias = `alias/${uniqueName("js")}`;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
  const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId }));
  assert.deepEqual(Aliases.map((a) => a.AliasName), [alias]);
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata.KeyId, key.KeyId);

  const context = { tenant: "t1", table: "orders" };
  const plaintext = new TextEncoder().encode("4111 1111 1111 1111");
  const { CiphertextBlob } = await kms.send(
    new EncryptCommand({ KeyId: alias, Plaintext: plaintext, EncryptionContext: context }),
  );
  const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
  assert.equal(new TextDecoder().decode(decrypted.Plaintext), "4111 1111 1111 1111");
  assert.equal(decrypted.KeyId, key.Arn);
  const mismatch = await failure(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: "t2" } })));
  assert.equal(mismatch.name, "InvalidCiphertextException");

  const data = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
  assert.equal(data.Plaintext.length, 32);
  const unwrapped = await kms.send(new DecryptCommand({ CiphertextBlob: data.CiphertextBlob }));
  assert.deepEqual(Buffer.from(unwrapped.Plaintext), Buffer.from(data.Plaintext));

  // Rotation: the older ciphertext still decrypts.
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
  const again = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
  assert.equal(new TextDecoder().decode(again.Plaintext), "4111 1111 1111 1111");

  const { KeyMetadata: other } = await kms.send(new CreateKeyCommand({}));
  const moved = await kms.send(
    new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: other.KeyId }),
  );
  assert.equal(moved.KeyId, other.Arn);
  assert.equal(moved.SourceKeyId, key.Arn);
});

test("disabled and pending-deletion keys are refused with KMS's errors", async () => {
  const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({}));
  const plaintext = new TextEncoder().encode("x");
  await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
  assert.deepEqual(await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext }))), {
    name: "DisabledException",
    message: `${key.Arn} is disabled.`,
    status: 400,
  });
  await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
  const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
  assert.equal(scheduled.KeyState, "PendingDeletion");
  assert.ok(scheduled.DeletionDate instanceof Date);
  const pending = await failure(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext })));
  assert.equal(pending.name, "KMSInvalidStateException");
  await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
  const missing = await failure(kms.send(new DescribeKeyCommand({ KeyId: "alias/js-none" })));
  assert.deepEqual(missing, {
    name: "NotFoundException",
    message: `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/js-none is not found.`,
    status: 400,
  });
});

test("tags and key policies", async () => {
  const { KeyMetadata: key } = await kms.send(
    new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "blue" }] }),
  );
  await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: "env", TagValue: "test" }] }));
  const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
  assert.deepEqual(Tags, [
    { TagKey: "env", TagValue: "test" },
    { TagKey: "team", TagValue: "blue" },
  ]);
  const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default" }));
  assert.deepEqual(JSON.parse(Policy).Statement[0].Principal, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
  // A policy allowing the root only to read it: encryption is denied.
  const readOnly = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ["kms:GetKeyPolicy", "kms:PutKeyPolicy"],
        Resource: "*",
      },
    ],
  });
  await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default", Policy: readOnly }));
  const denied = await failure(
    kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: new TextEncoder().encode("x") })),
  );
  assert.equal(denied.name, "AccessDeniedException");
  assert.match(denied.message, /is not authorized to perform: kms:Encrypt on resource: arn:aws:kms:/);
});
