"""Tags (issue 12): TagResource, UntagResource, ListTagsOfResource and Tags
on CreateTable, with DynamoDB's limits and errors; the AWS CLI.

DynamoDB Local does not implement tagging ("Tagging is not currently
supported in DynamoDB Local."), so these tests run against Halyard only;
the messages come from DynamoDB's documentation and from test suites run
against DynamoDB itself (see ORACLE_NOTES.md)."""

import json
import os

import pytest

from conftest import create_table
from helpers import expect_error
from test_cli import aws

pytestmark = pytest.mark.skipif(bool(os.environ.get("HALYARD_TEST_ENDPOINT")),
                                reason="DynamoDB Local does not support tagging")

VE = "ValidationException"


def tag(key, value):
    return {"Key": key, "Value": value}


def tags_of(client, arn):
    """Every tag, following NextToken as a client must."""
    tags, kwargs = [], {}
    while True:
        page = client.list_tags_of_resource(ResourceArn=arn, **kwargs)
        tags += page["Tags"]
        if "NextToken" not in page:
            return sorted(tags, key=lambda t: t["Key"])
        kwargs["NextToken"] = page["NextToken"]


@pytest.fixture
def arn(client, table_name):
    return create_table(client, table_name)["TableDescription"]["TableArn"]


def test_round_trip(client, table_name):
    created = create_table(client, table_name, Tags=[tag("team", "data"), tag("env", "test")])
    arn = created["TableDescription"]["TableArn"]
    assert tags_of(client, arn) == [tag("env", "test"), tag("team", "data")]

    client.tag_resource(ResourceArn=arn, Tags=[tag("env", "prod"), tag("cost centre", "4711"), tag("empty", "")])
    assert tags_of(client, arn) == [tag("cost centre", "4711"), tag("empty", ""), tag("env", "prod"),
                                    tag("team", "data")]
    # Removing keys the table does not have is no error.
    client.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert tags_of(client, arn) == [tag("cost centre", "4711"), tag("empty", ""), tag("env", "prod")]

    # Every allowed character: letters (any script), digits, white space and + - = . _ : /
    unusual = tag("Ünïcode ключ 7 +-=._:/", "värde\tvalue +-=._:/")
    client.tag_resource(ResourceArn=arn, Tags=[unusual])
    assert unusual in tags_of(client, arn)

    # A repeated key within one request: the last value stays.
    client.tag_resource(ResourceArn=arn, Tags=[tag("dup", "1"), tag("dup", "2")])
    assert tag("dup", "2") in tags_of(client, arn)


def test_fifty_tags_fit_on_one_page_and_no_more_are_allowed(client, arn):
    client.tag_resource(ResourceArn=arn, Tags=[tag(f"k{i:02}", f"v{i}") for i in range(30)])
    client.tag_resource(ResourceArn=arn, Tags=[tag(f"k{i:02}", f"v{i}") for i in range(25, 50)])
    page = client.list_tags_of_resource(ResourceArn=arn)
    # DynamoDB answers all of a table's (at most 50) tags at once.
    assert "NextToken" not in page and len(page["Tags"]) == 50
    assert tags_of(client, arn) == [tag(f"k{i:02}", f"v{i}") for i in range(50)]
    # A NextToken resumes after the key it names.
    rest = client.list_tags_of_resource(ResourceArn=arn, NextToken="k47")["Tags"]
    assert rest == [tag("k48", "v48"), tag("k49", "v49")]

    too_many = "Number of Tags exceed the current limit for the provided ResourceArn"
    expect_error(client.tag_resource, VE, too_many, ResourceArn=arn, Tags=[tag("one-more", "x")])
    # Replacing the value of a key it has adds no tag.
    client.tag_resource(ResourceArn=arn, Tags=[tag("k00", "new")])
    assert len(tags_of(client, arn)) == 50


def test_validation_errors(server, client, lax, arn, table_name):
    # The tag rules: characters, the reserved aws: prefix, lengths.
    characters = "Invalid tag: keys and values may contain only letters, numbers, white space and + - = . _ : /"
    for bad in (tag("bad*key", "v"), tag("k", "bad#value"), tag("k@", "v"), tag("k", "<>")):
        expect_error(client.tag_resource, VE, characters, ResourceArn=arn, Tags=[bad])
    expect_error(client.tag_resource, VE,
                 "Invalid tag key: aws:owner. Tag keys starting with aws: are reserved for AWS use",
                 ResourceArn=arn, Tags=[tag("aws:owner", "me")])
    expect_error(lax.tag_resource, VE,
                 f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.key' failed to satisfy "
                 "constraint: Member must have length less than or equal to 128",
                 ResourceArn=arn, Tags=[tag("k" * 129, "v")])
    expect_error(lax.tag_resource, VE,
                 f"1 validation error detected: Value '{'v' * 257}' at 'tags.1.member.value' failed to satisfy "
                 "constraint: Member must have length less than or equal to 256",
                 ResourceArn=arn, Tags=[tag("k", "v" * 257)])
    expect_error(lax.tag_resource, VE,
                 "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1",
                 ResourceArn=arn, Tags=[tag("", "v")])
    expect_error(lax.tag_resource, VE,
                 "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
                 ResourceArn=arn)
    expect_error(lax.untag_resource, VE,
                 "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
                 ResourceArn=arn)
    expect_error(client.tag_resource, VE, "Atleast one Tag needs to be provided as Input.", ResourceArn=arn, Tags=[])
    expect_error(client.untag_resource, VE, "Atleast one Tag Key needs to be provided as Input.",
                 ResourceArn=arn, TagKeys=[])
    assert tags_of(client, arn) == []

    # ARNs: missing; not shaped like an ARN (IAM cannot authorise it);
    # not a table ARN (an index ARN, a short name); a table that is not there.
    status, _, body = server.raw("ListTagsOfResource", {})
    assert status == 400 and body["message"] == "Invalid TableArn"
    for operation, call, extra in (("TagResource", lax.tag_resource, {"Tags": [tag("k", "v")]}),
                                   ("UntagResource", lax.untag_resource, {"TagKeys": ["k"]}),
                                   ("ListTagsOfResource", lax.list_tags_of_resource, {})):
        for not_an_arn, shown in (("abcd", "abcd"), ("a:b:c:d:e:f", "a:b:c:d:e:f"), ("", "*")):
            expect_error(call, "AccessDeniedException",
                         f"User: arn:aws:iam::000000000000:root is not authorized to perform: dynamodb:{operation} "
                         f"on resource: {shown}", ResourceArn=not_an_arn, **extra)
        for not_a_table in ("a:b:c:d:e:f/g", arn + "/index/by-x", arn.rsplit("/", 1)[0] + "/ab"):
            expect_error(call, VE, f"Invalid TableArn: Invalid ResourceArn provided as input {not_a_table}",
                         ResourceArn=not_a_table, **extra)
    missing = arn + "-gone"
    expect_error(client.tag_resource, "ResourceNotFoundException",
                 f"Requested resource not found: ResourcArn: {missing} not found",
                 ResourceArn=missing, Tags=[tag("k", "v")])
    expect_error(client.list_tags_of_resource, "ResourceNotFoundException",
                 f"Requested resource not found: ResourcArn: {missing} not found", ResourceArn=missing)
    expect_error(client.untag_resource, "ResourceNotFoundException", "Requested resource not found",
                 ResourceArn=missing, TagKeys=["k"])
    other_region = arn.replace(":us-east-1:", ":eu-west-1:")
    expect_error(client.list_tags_of_resource, "ResourceNotFoundException",
                 f"Requested resource not found: ResourcArn: {other_region} not found", ResourceArn=other_region)


def test_create_table_checks_its_tags_and_creates_nothing_when_they_fail(client, table_name):
    expect_error(create_table, VE, "Number of Tags exceed the current limit for the provided ResourceArn",
                 client=client, name=table_name, Tags=[tag(f"k{i}", "v") for i in range(51)])
    expect_error(create_table, VE, "Invalid tag key: aws:x. Tag keys starting with aws: are reserved for AWS use",
                 client=client, name=table_name, Tags=[tag("aws:x", "v")])
    expect_error(client.describe_table, "ResourceNotFoundException", TableName=table_name)


def test_deleting_a_table_deletes_its_tags(client, table_name):
    arn = create_table(client, table_name, Tags=[tag("a", "1")])["TableDescription"]["TableArn"]
    client.delete_table(TableName=table_name)
    expect_error(client.list_tags_of_resource, "ResourceNotFoundException", ResourceArn=arn)
    assert create_table(client, table_name)["TableDescription"]["TableArn"] == arn
    assert tags_of(client, arn) == []


def test_tags_survive_a_restart_and_an_update_table(fresh_server, table_name):
    server = fresh_server.start()
    client = server.client()
    arn = create_table(client, table_name, Tags=[tag("a", "1")])["TableDescription"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[tag("b", "2")])
    client.update_table(TableName=table_name, DeletionProtectionEnabled=False)
    server.stop()
    server.start()
    assert tags_of(server.client(), arn) == [tag("a", "1"), tag("b", "2")]


def test_aws_cli_tag_resource_and_list_tags_of_resource(server, arn):
    aws(server, "tag-resource", "--resource-arn", arn, "--tags", "Key=owner,Value=ops", "Key=tier,Value=gold")
    listed = json.loads(aws(server, "list-tags-of-resource", "--resource-arn", arn).stdout)
    assert sorted(listed["Tags"], key=lambda t: t["Key"]) == [tag("owner", "ops"), tag("tier", "gold")]
    aws(server, "untag-resource", "--resource-arn", arn, "--tag-keys", "tier")
    listed = json.loads(aws(server, "list-tags-of-resource", "--resource-arn", arn).stdout)
    assert listed["Tags"] == [tag("owner", "ops")]
    failed = aws(server, "tag-resource", "--resource-arn", arn, "--tags", "Key=aws:x,Value=y", check=False)
    assert failed.returncode != 0 and "reserved for AWS use" in failed.stderr
