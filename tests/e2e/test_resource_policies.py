"""Resource-based policies on tables and streams (issue 13): PutResourcePolicy,
GetResourcePolicy, DeleteResourcePolicy and CreateTable's ResourcePolicy,
with revision ids, ExpectedRevisionId, the 20 KB limit and DynamoDB's errors.

DynamoDB Local does not implement these operations (UnknownOperationException),
so these tests run against Halyard only; the texts come from DynamoDB's API
reference and from observations of DynamoDB itself (see ORACLE_NOTES.md).
Enforcement of the policies is tested with the authoriser, not here."""

import json
import os
import time
import uuid

import pytest

from conftest import Server, create_table
from helpers import expect_error

pytestmark = pytest.mark.skipif(bool(os.environ.get("HALYARD_TEST_ENDPOINT")),
                                reason="DynamoDB Local does not support resource-based policies")

VE = "ValidationException"
PNF = "PolicyNotFoundException"
ROOT = "arn:aws:iam::000000000000:root"
INVALID = "One or more parameter values were invalid: "


# DynamoDB refuses a policy change within 15 s of the last one; these tests
# change policies in quick succession, on a server with a short cool-down.
QUICK = ("--policy-cooldown", "0.001")


@pytest.fixture(scope="module")
def server(workdir):
    instance = Server(workdir / "resource-policies", *QUICK).start()
    yield instance
    instance.stop()


def policy(resource, action="dynamodb:GetItem", principal=ROOT, **extra):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": resource}
    statement.update(extra)
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def arn(client, table_name):
    return create_table(client, table_name)["TableDescription"]["TableArn"]


def test_put_get_delete(client, arn):
    expect_error(client.get_resource_policy, PNF,
                 f"Resource-based policy not found for the provided ResourceArn: {arn}", ResourceArn=arn)
    # Deleting where there is no policy is no error, and names no revision.
    assert "RevisionId" not in client.delete_resource_policy(ResourceArn=arn)

    revision = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
    # DynamoDB's revision ids are numbers (milliseconds), as strings.
    assert revision.isdigit() and len(revision) == 13
    got = client.get_resource_policy(ResourceArn=arn)
    assert got["RevisionId"] == revision
    assert json.loads(got["Policy"]) == json.loads(policy(arn))

    # Putting the same document (however it is spaced) changes nothing.
    spaced = json.dumps(json.loads(policy(arn)), indent=4)
    assert client.put_resource_policy(ResourceArn=arn, Policy=spaced)["RevisionId"] == revision
    # Another document is a new revision, later than the first.
    second = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn, "dynamodb:PutItem"))["RevisionId"]
    assert second != revision and int(second) > int(revision)
    assert json.loads(client.get_resource_policy(ResourceArn=arn)["Policy"])["Statement"][0]["Action"] == \
        "dynamodb:PutItem"

    # DeleteResourcePolicy answers the revision it removed.
    assert client.delete_resource_policy(ResourceArn=arn)["RevisionId"] == second
    expect_error(client.get_resource_policy, PNF, ResourceArn=arn)


def test_policy_is_returned_in_canonical_form(client, arn):
    document = {"Statement": {"Resource": [arn], "Action": ["dynamodb:GetItem", "dynamodb:Query"],
                              "Principal": {"AWS": ["000000000000"]}, "Effect": "Allow", "Sid": "read"}}
    client.put_resource_policy(ResourceArn=arn, Policy=json.dumps(document, indent=2))
    # Minified, in DynamoDB's member order; a Statement object as a list,
    # a one-element list as its element, an account id as its root ARN.
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == (
        '{"Version":"2008-10-17","Statement":[{"Sid":"read","Effect":"Allow",'
        f'"Principal":{{"AWS":"{ROOT}"}},"Action":["dynamodb:GetItem","dynamodb:Query"],'
        f'"Resource":"{arn}"}}]}}')


def test_expected_revision_id(client, arn, table_name):
    # NO_POLICY: only where there is none.
    first = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn), ExpectedRevisionId="NO_POLICY")
    first = first["RevisionId"]
    expect_error(client.put_resource_policy, PNF,
                 "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting "
                 f"none to be present for table {table_name}, but a policy exists with revision id {first}.",
                 ResourceArn=arn, Policy=policy(arn, "dynamodb:Query"), ExpectedRevisionId="NO_POLICY")

    second = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn, "dynamodb:PutItem"),
                                        ExpectedRevisionId=first)["RevisionId"]
    # The first revision is no longer the policy's: nothing changes.
    stale = (f"Resource-based policy not found for the provided ResourceArn: Requested update for policy with "
             f"revision id {first}, but the policy associated to target table {table_name} has revision id {second}.")
    expect_error(client.put_resource_policy, PNF, stale,
                 ResourceArn=arn, Policy=policy(arn, "dynamodb:Query"), ExpectedRevisionId=first)
    expect_error(client.delete_resource_policy, PNF, stale, ResourceArn=arn, ExpectedRevisionId=first)
    assert client.get_resource_policy(ResourceArn=arn)["RevisionId"] == second

    assert client.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=second)["RevisionId"] == second
    # Expecting a revision where there is no policy.
    for call, extra in ((client.delete_resource_policy, {}),
                        (client.put_resource_policy, {"Policy": policy(arn)})):
        expect_error(call, PNF, f"Resource-based policy not found for the provided ResourceArn: {arn}",
                     ResourceArn=arn, ExpectedRevisionId=second, **extra)
    expect_error(client.get_resource_policy, PNF, ResourceArn=arn)


def test_size_limit(client, arn):
    document = policy(arn)
    # Whitespace counts: 20480 bytes fit, one more does not.
    at_limit = document[:-1] + " " * (20480 - len(document)) + "}"
    assert len(at_limit) == 20480
    client.put_resource_policy(ResourceArn=arn, Policy=at_limit)
    expect_error(client.put_resource_policy, VE, INVALID + "Maximum policy size of 20480 bytes exceeded",
                 ResourceArn=arn, Policy=document[:-1] + " " * (20481 - len(document)) + "}")
    # The stored document is the minified one.
    assert client.get_resource_policy(ResourceArn=arn)["Policy"] == json.dumps(json.loads(document),
                                                                              separators=(",", ":"))


def test_invalid_documents(client, lax, arn):
    doc = INVALID + "Invalid policy document: "
    not_json = doc + "This policy contains invalid Json"
    for text in ("{not json", "", "[]x"):
        expect_error(lax.put_resource_policy, VE, not_json, ResourceArn=arn, Policy=text)
    expect_error(client.put_resource_policy, VE, doc + "Could not parse the policy: Statement is empty!",
                 ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    # A resource policy must name a Principal and a Resource; IAM's texts.
    no_principal = json.loads(policy(arn))
    del no_principal["Statement"][0]["Principal"]
    expect_error(client.put_resource_policy, VE, doc + "Missing required field Principal",
                 ResourceArn=arn, Policy=json.dumps(no_principal))
    expect_error(client.put_resource_policy, VE, doc + "Invalid effect: Perhaps",
                 ResourceArn=arn, Policy=policy(arn, Effect="Perhaps"))
    expect_error(client.put_resource_policy, VE, contains="Actions/Conditions must be prefaced by a vendor",
                 ResourceArn=arn, Policy=policy(arn, action="GetItem"))
    # Nothing was stored.
    expect_error(client.get_resource_policy, PNF, ResourceArn=arn)
    # Required members.
    expect_error(lax.put_resource_policy, VE,
                 "1 validation error detected: Value null at 'policy' failed to satisfy constraint: "
                 "Member must not be null", ResourceArn=arn)
    expect_error(lax.get_resource_policy, VE,
                 "1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: "
                 "Member must not be null")
    expect_error(lax.delete_resource_policy, VE,
                 "1 validation error detected: Value '' at 'expectedRevisionId' failed to satisfy constraint: "
                 "Member must have length greater than or equal to 1", ResourceArn=arn, ExpectedRevisionId="")
    # ConfirmRemoveSelfResourceAccess is accepted.
    client.put_resource_policy(ResourceArn=arn, Policy=policy(arn), ConfirmRemoveSelfResourceAccess=True)


def test_resource_arns(client, lax, arn, table_name):
    good = policy(arn)
    missing = arn + "-gone"
    for call, extra in ((client.put_resource_policy, {"Policy": good}),
                        (client.get_resource_policy, {}),
                        (client.delete_resource_policy, {})):
        expect_error(call, "ResourceNotFoundException",
                     f"Requested resource not found: Table: {table_name}-gone not found",
                     ResourceArn=missing, **extra)
        expect_error(call, VE, INVALID + f"ARNs must start with 'arn:': {table_name}",
                     ResourceArn=table_name, **extra)
        other_region = arn.replace(":us-east-1:", ":eu-west-1:")
        expect_error(call, VE, INVALID + f"Invalid resource Arn: {other_region}", ResourceArn=other_region, **extra)
        expect_error(call, VE,
                     "This action is only supported by accounts that match the resource owner\u2019s account.",
                     ResourceArn=arn.replace(":000000000000:", ":111122223333:"), **extra)
        index = arn + "/index/by-x"
        expect_error(call, VE, INVALID + "Invalid resource arn provided, only table or stream is accepted. "
                     f"Provided resource arn: {index}", ResourceArn=index, **extra)
        backup = arn + "/backup/01700000000000-abcdefgh"
        expect_error(call, VE, INVALID + f"Provided Arn is not a DynamoDB resource {backup}",
                     ResourceArn=backup, **extra)
    # A ResourceArn is checked before the document.
    expect_error(client.put_resource_policy, VE, contains="ARNs must start with 'arn:'",
                 ResourceArn=table_name, Policy="{not json")


def test_stream_policy_is_the_streams_own(client, table_name):
    created = create_table(client, table_name,
                           StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    table_arn = created["TableDescription"]["TableArn"]
    stream_arn = created["TableDescription"]["LatestStreamArn"]
    stream_policy = policy(stream_arn, ["dynamodb:GetRecords", "dynamodb:DescribeStream"])
    revision = client.put_resource_policy(ResourceArn=stream_arn, Policy=stream_policy)["RevisionId"]
    assert client.get_resource_policy(ResourceArn=stream_arn)["RevisionId"] == revision
    # The table has a policy of its own (none yet).
    expect_error(client.get_resource_policy, PNF, ResourceArn=table_arn)
    table_revision = client.put_resource_policy(ResourceArn=table_arn, Policy=policy(table_arn))["RevisionId"]
    assert client.get_resource_policy(ResourceArn=stream_arn)["Policy"] == json.dumps(
        json.loads(stream_policy), separators=(",", ":"))
    assert client.delete_resource_policy(ResourceArn=stream_arn)["RevisionId"] == revision
    expect_error(client.get_resource_policy, PNF, ResourceArn=stream_arn)
    assert client.get_resource_policy(ResourceArn=table_arn)["RevisionId"] == table_revision

    # A stream the table does not have.
    bogus = table_arn + "/stream/2000-01-01T00:00:00.000"
    expect_error(client.get_resource_policy, "ResourceNotFoundException",
                 f"Requested resource not found: Stream: 2000-01-01T00:00:00.000 not found for Table: {table_name}",
                 ResourceArn=bogus)


def test_create_table_with_resource_policy(client, table_name):
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}"
    created = create_table(client, table_name, ResourcePolicy=policy(arn))
    # DescribeTable does not show the policy.
    assert "ResourcePolicy" not in created["TableDescription"]
    assert not any("olicy" in key for key in client.describe_table(TableName=table_name)["Table"])
    got = client.get_resource_policy(ResourceArn=arn)
    assert json.loads(got["Policy"]) == json.loads(policy(arn)) and got["RevisionId"].isdigit()


def test_create_table_with_an_invalid_policy_creates_nothing(client, table_name):
    arn = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}"
    expect_error(create_table, VE, INVALID + "Invalid policy document: This policy contains invalid Json",
                 client=client, name=table_name, ResourcePolicy="{")
    expect_error(create_table, VE, INVALID + "Maximum policy size of 20480 bytes exceeded",
                 client=client, name=table_name, ResourcePolicy=policy(arn) + " " * 20480)
    expect_error(client.describe_table, "ResourceNotFoundException", TableName=table_name)


def test_delete_table_removes_the_policy(client, table_name, arn):
    client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))
    client.delete_table(TableName=table_name)
    expect_error(client.get_resource_policy, "ResourceNotFoundException",
                 f"Requested resource not found: Table: {table_name} not found", ResourceArn=arn)
    # A table of the same name starts without one.
    create_table(client, table_name)
    expect_error(client.get_resource_policy, PNF, ResourceArn=arn)


def test_a_change_within_fifteen_seconds_of_the_last_is_throttled(workdir, table_name):
    server = Server(workdir / f"data-{uuid.uuid4().hex[:8]}").start()
    try:
        client = server.client()
        arn = create_table(client, table_name)["TableDescription"]["TableArn"]
        first = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
        # "Please try again after" the change's time (its revision id) + 15 s.
        again_after = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((int(first) + 15000) // 1000))
        again_after += f".{(int(first) + 15000) % 1000:03}Z."
        throttled = (f"Resource-based policy for table {table_name} modified within the previous 15000 "
                     f"milliseconds. Please try again after {again_after}")
        expect_error(client.put_resource_policy, "ThrottlingException", throttled,
                     ResourceArn=arn, Policy=policy(arn, "dynamodb:Query"))
        expect_error(client.delete_resource_policy, "ThrottlingException", throttled, ResourceArn=arn)
        # The same document again is no change; a stale revision is checked first.
        assert client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"] == first
        expect_error(client.put_resource_policy, PNF, ResourceArn=arn, Policy=policy(arn, "dynamodb:Query"),
                     ExpectedRevisionId="1")
        assert client.get_resource_policy(ResourceArn=arn)["RevisionId"] == first
    finally:
        server.stop()


def test_policies_survive_a_restart_and_an_update_table(workdir, table_name):
    server = Server(workdir / f"data-{uuid.uuid4().hex[:8]}", *QUICK).start()
    try:
        client = server.client()
        created = create_table(client, table_name, ResourcePolicy=policy("*"),
                               StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        arn = created["TableDescription"]["TableArn"]
        stream_arn = created["TableDescription"]["LatestStreamArn"]
        table_revision = client.put_resource_policy(ResourceArn=arn, Policy=policy(arn))["RevisionId"]
        stream_revision = client.put_resource_policy(ResourceArn=stream_arn,
                                                     Policy=policy(stream_arn, "dynamodb:GetRecords"))["RevisionId"]
        client.update_table(TableName=table_name, DeletionProtectionEnabled=False)
        server.stop()
        server.start()
        client = server.client()
        assert client.get_resource_policy(ResourceArn=arn)["RevisionId"] == table_revision
        assert json.loads(client.get_resource_policy(ResourceArn=arn)["Policy"]) == json.loads(policy(arn))
        assert client.get_resource_policy(ResourceArn=stream_arn)["RevisionId"] == stream_revision
    finally:
        server.stop()
