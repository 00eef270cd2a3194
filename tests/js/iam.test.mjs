// The IAM query API through the JS SDK v3's IAM client: its XML parsing of
// Halyard's answers and errors, pagination, URL-encoded policy documents,
// and a created user's key signing requests of its own.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  EntityAlreadyExistsException,
  GetUserCommand,
  GetUserPolicyCommand,
  ListGroupsForUserCommand,
  ListUsersCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
  paginateListUsers,
} from "@aws-sdk/client-iam";

import { Server } from "./harness.mjs";

const server = new Server();
let iam;

before(async () => {
  await server.start();
  iam = server.iamClient();
});

after(async () => {
  iam?.destroy();
  await server.stop();
});

const POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["iam:GetUser"], Resource: "arn:aws:iam::000000000000:user/js/ana" }],
};

test("users: created, read, paged and refused twice", async () => {
  const created = await iam.send(new CreateUserCommand({ UserName: "ana", Path: "/js/" }));
  assert.equal(created.User.Arn, "arn:aws:iam::000000000000:user/js/ana");
  assert.ok(created.User.CreateDate instanceof Date);
  for (const name of ["ben", "cy"]) await iam.send(new CreateUserCommand({ UserName: name, Path: "/js/" }));
  await assert.rejects(iam.send(new CreateUserCommand({ UserName: "ANA" })), (error) => {
    assert.ok(error instanceof EntityAlreadyExistsException);
    assert.equal(error.$metadata.httpStatusCode, 409);
    assert.equal(error.message, "User with name ANA already exists.");
    return true;
  });
  const first = await iam.send(new ListUsersCommand({ PathPrefix: "/js/", MaxItems: 2 }));
  assert.deepEqual(first.Users.map((u) => u.UserName), ["ana", "ben"]);
  assert.equal(first.IsTruncated, true);
  const names = [];
  for await (const page of paginateListUsers({ client: iam, pageSize: 1 }, { PathPrefix: "/js/" })) {
    names.push(...page.Users.map((u) => u.UserName));
  }
  assert.deepEqual(names, ["ana", "ben", "cy"]);
  await assert.rejects(iam.send(new GetUserCommand({ UserName: "nobody" })), (error) => {
    assert.ok(error instanceof NoSuchEntityException);
    assert.equal(error.message, "The user with name nobody cannot be found.");
    return true;
  });
});

test("policies come back URL-encoded; a user's own key works until deactivated", async () => {
  await iam.send(new PutUserPolicyCommand({ UserName: "ana", PolicyName: "self", PolicyDocument: JSON.stringify(POLICY) }));
  const got = await iam.send(new GetUserPolicyCommand({ UserName: "ana", PolicyName: "self" }));
  // The JS SDK leaves IAM's encoding to the caller.
  assert.deepEqual(JSON.parse(decodeURIComponent(got.PolicyDocument)), POLICY);

  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "ana" }));
  const asAna = server.iamClient({ accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey });
  assert.equal((await asAna.send(new GetUserCommand({}))).User.UserName, "ana");
  await iam.send(new UpdateAccessKeyCommand({ UserName: "ana", AccessKeyId: AccessKey.AccessKeyId, Status: "Inactive" }));
  await assert.rejects(asAna.send(new GetUserCommand({})));
  asAna.destroy();
  await iam.send(new DeleteAccessKeyCommand({ UserName: "ana", AccessKeyId: AccessKey.AccessKeyId }));
  await iam.send(new DeleteUserPolicyCommand({ UserName: "ana", PolicyName: "self" }));
});

test("groups: membership listed, and deleting a member refused", async () => {
  await iam.send(new CreateGroupCommand({ GroupName: "js-readers" }));
  await iam.send(new AddUserToGroupCommand({ GroupName: "js-readers", UserName: "ben" }));
  const groups = await iam.send(new ListGroupsForUserCommand({ UserName: "ben" }));
  assert.deepEqual(groups.Groups.map((g) => g.GroupName), ["js-readers"]);
  await assert.rejects(iam.send(new DeleteUserCommand({ UserName: "ben" })), (error) => {
    assert.equal(error.name, "DeleteConflictException");
    assert.equal(error.message, "Cannot delete entity, must remove users from group first.");
    return true;
  });
  await iam.send(new RemoveUserFromGroupCommand({ GroupName: "js-readers", UserName: "ben" }));
  await iam.send(new DeleteGroupCommand({ GroupName: "js-readers" }));
  for (const name of ["ana", "ben", "cy"]) await iam.send(new DeleteUserCommand({ UserName: name }));
  assert.deepEqual((await iam.send(new ListUsersCommand({ PathPrefix: "/js/" }))).Users, []);
});
