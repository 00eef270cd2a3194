"""IAM authorisation of DynamoDB requests (issue 13), end to end: users,
keys and policies made with boto3's iam client against the server, then
DynamoDB requests signed with the users' keys. Least privilege with
dynamodb:LeadingKeys in single, batch and transaction requests; explicit
deny; group and managed policies; resource policies; attribute-based access
control with table tags; changes that take effect on the next request."""

import json
import os
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import create_table
from harness import CREDENTIALS, REGION, Server, TlsServer, aws

pytestmark = pytest.mark.skipif(os.environ.get("HALYARD_TEST_ENDPOINT") is not None,
                                reason="DynamoDB Local does not evaluate IAM policies")

ACCOUNT = "000000000000"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"


def document(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource, **extra):
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


@pytest.fixture
def iam(server):
    return boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}), **CREDENTIALS)


class User:
    """An IAM user with an access key, and a DynamoDB client signing as it."""

    def __init__(self, server, iam, tags=()):
        self.name = f"u{uuid.uuid4().hex[:10]}"
        self.arn = iam.create_user(UserName=self.name, Tags=list(tags))["User"]["Arn"]
        key = iam.create_access_key(UserName=self.name)["AccessKey"]
        self.key_id = key["AccessKeyId"]
        self.credentials = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
        self.dynamodb = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                                     config=Config(retries={"max_attempts": 1}),
                                     aws_access_key_id=key["AccessKeyId"],
                                     aws_secret_access_key=key["SecretAccessKey"])


def denied(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "AccessDeniedException", error
    return error["Message"]


def item(pk, **attributes):
    return {"pk": {"S": pk}, **{k: {"S": v} for k, v in attributes.items()}}


def test_a_user_is_confined_to_its_own_items_by_leading_keys(server, client, iam, table_name):
    create_table(client, table_name)
    other_table = table_name + "-other"
    create_table(client, other_table)
    user = User(server, iam)
    own_items = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
    iam.put_user_policy(UserName=user.name, PolicyName="own-items", PolicyDocument=document(
        allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem",
               "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"],
              TABLE_ARN + table_name, Condition=own_items)))
    mine, theirs = user.name, "someone-else"
    user.dynamodb.put_item(TableName=table_name, Item=item(mine, v="1"))
    assert user.dynamodb.get_item(TableName=table_name, Key=item(mine))["Item"]["v"] == {"S": "1"}
    assert user.dynamodb.query(TableName=table_name, KeyConditionExpression="pk = :p",
                               ExpressionAttributeValues={":p": {"S": mine}})["Count"] == 1

    message = denied(user.dynamodb.put_item, TableName=table_name, Item=item(theirs))
    assert message == (f"User: {user.arn} is not authorized to perform: dynamodb:PutItem on resource: "
                       f"{TABLE_ARN}{table_name} because no identity-based policy allows the dynamodb:PutItem action")
    denied(user.dynamodb.get_item, TableName=table_name, Key=item(theirs))
    denied(user.dynamodb.query, TableName=table_name, KeyConditionExpression="pk = :p",
           ExpressionAttributeValues={":p": {"S": theirs}})
    # The AWS CLI with the user's key: the same answers.
    assert aws(server, "get-item", "--table-name", table_name, "--key", json.dumps(item(mine)),
               credentials=user.credentials).returncode == 0
    refused = aws(server, "put-item", "--table-name", table_name, "--item", json.dumps(item(theirs)),
                  credentials=user.credentials, check=False)
    assert refused.returncode != 0 and "AccessDeniedException" in refused.stderr
    # Actions and tables the policy does not name.
    denied(user.dynamodb.delete_item, TableName=table_name, Key=item(mine))
    denied(user.dynamodb.scan, TableName=table_name)
    denied(user.dynamodb.get_item, TableName=other_table, Key=item(mine))
    denied(user.dynamodb.list_tables)

    # A batch with one item of another's is refused whole: nothing written.
    user.dynamodb.batch_write_item(RequestItems={table_name: [{"PutRequest": {"Item": item(mine, v="2")}}]})
    denied(user.dynamodb.batch_write_item, RequestItems={table_name: [
        {"PutRequest": {"Item": item(mine, v="3")}}, {"PutRequest": {"Item": item(theirs)}}]})
    assert client.get_item(TableName=table_name, Key=item(mine))["Item"]["v"] == {"S": "2"}
    assert "Item" not in client.get_item(TableName=table_name, Key=item(theirs))
    assert user.dynamodb.batch_get_item(RequestItems={table_name: {"Keys": [item(mine)]}})["Responses"][table_name]
    denied(user.dynamodb.batch_get_item, RequestItems={table_name: {"Keys": [item(mine), item(theirs)]}})

    # A transaction likewise, per action.
    user.dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table_name, "Item": item(mine, v="4")}}])
    denied(user.dynamodb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table_name, "Item": item(mine, v="5")}},
        {"Put": {"TableName": table_name, "Item": item(theirs)}}])
    denied(user.dynamodb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table_name, "Item": item(mine, v="6")}},
        {"Delete": {"TableName": table_name, "Key": item(mine)}}])
    assert client.get_item(TableName=table_name, Key=item(mine))["Item"]["v"] == {"S": "4"}
    assert "Item" not in client.get_item(TableName=table_name, Key=item(theirs))
    # TransactGetItems needs dynamodb:GetItem per item.
    assert user.dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": table_name, "Key": item(mine)}}])
    denied(user.dynamodb.transact_get_items, TransactItems=[{"Get": {"TableName": table_name, "Key": item(theirs)}}])


def test_an_explicit_deny_overrides_an_allow(server, client, iam, table_name):
    create_table(client, table_name)
    user = User(server, iam)
    iam.put_user_policy(UserName=user.name, PolicyName="all", PolicyDocument=document(
        allow("dynamodb:*", TABLE_ARN + table_name)))
    iam.put_user_policy(UserName=user.name, PolicyName="no-deletes", PolicyDocument=document(
        {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}))
    user.dynamodb.put_item(TableName=table_name, Item=item("k"))
    message = denied(user.dynamodb.delete_item, TableName=table_name, Key=item("k"))
    assert message == (f"User: {user.arn} is not authorized to perform: dynamodb:DeleteItem on resource: "
                       f"{TABLE_ARN}{table_name} with an explicit deny in an identity-based policy")
    # The deny reaches into transactions too.
    denied(user.dynamodb.transact_write_items, TransactItems=[{"Delete": {"TableName": table_name, "Key": item("k")}}])
    assert "Item" in client.get_item(TableName=table_name, Key=item("k"))
    # Removing the deny takes effect on the next request.
    iam.delete_user_policy(UserName=user.name, PolicyName="no-deletes")
    user.dynamodb.delete_item(TableName=table_name, Key=item("k"))


def test_group_and_attached_managed_policies_grant_until_removed(server, client, iam, table_name):
    create_table(client, table_name)
    user = User(server, iam)
    group = f"g{uuid.uuid4().hex[:10]}"
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=document(
        allow("dynamodb:GetItem", TABLE_ARN + table_name)))
    denied(user.dynamodb.get_item, TableName=table_name, Key=item("k"))
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    user.dynamodb.get_item(TableName=table_name, Key=item("k"))
    iam.remove_user_from_group(GroupName=group, UserName=user.name)
    denied(user.dynamodb.get_item, TableName=table_name, Key=item("k"))

    policy_arn = iam.create_policy(PolicyName=f"p{uuid.uuid4().hex[:10]}", PolicyDocument=document(
        allow(["dynamodb:PutItem", "dynamodb:DescribeTable"], TABLE_ARN + table_name)))["Policy"]["Arn"]
    denied(user.dynamodb.put_item, TableName=table_name, Item=item("k"))
    iam.attach_user_policy(UserName=user.name, PolicyArn=policy_arn)
    user.dynamodb.put_item(TableName=table_name, Item=item("k"))
    assert user.dynamodb.describe_table(TableName=table_name)["Table"]["TableName"] == table_name
    # Attached to a group, it grants the group's members.
    iam.detach_user_policy(UserName=user.name, PolicyArn=policy_arn)
    denied(user.dynamodb.put_item, TableName=table_name, Item=item("k"))
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    user.dynamodb.put_item(TableName=table_name, Item=item("k2"))


def test_a_table_resource_policy_grants_and_denies(server, client, iam, table_name):
    reader, writer = User(server, iam), User(server, iam)
    # The writer's own policy allows everything on the table ...
    iam.put_user_policy(UserName=writer.name, PolicyName="all", PolicyDocument=document(
        allow("dynamodb:*", TABLE_ARN + table_name)))
    # ... and the table's policy grants the reader, who has no policy of
    # its own, and denies the writer deletes.
    resource_policy = document(
        {"Effect": "Allow", "Principal": {"AWS": reader.arn}, "Action": "dynamodb:GetItem",
         "Resource": TABLE_ARN + table_name},
        {"Effect": "Deny", "Principal": {"AWS": writer.arn}, "Action": "dynamodb:DeleteItem",
         "Resource": TABLE_ARN + table_name})
    create_table(client, table_name, ResourcePolicy=resource_policy)
    client.put_item(TableName=table_name, Item=item("k", v="x"))
    assert reader.dynamodb.get_item(TableName=table_name, Key=item("k"))["Item"]["v"] == {"S": "x"}
    denied(reader.dynamodb.put_item, TableName=table_name, Item=item("k"))
    writer.dynamodb.put_item(TableName=table_name, Item=item("k", v="y"))
    message = denied(writer.dynamodb.delete_item, TableName=table_name, Key=item("k"))
    assert message.endswith("with an explicit deny in a resource-based policy"), message
    # The root too is bound by a resource policy's explicit deny.
    client.delete_resource_policy(ResourceArn=TABLE_ARN + table_name)
    writer.dynamodb.delete_item(TableName=table_name, Key=item("k"))


def test_attribute_based_access_with_principal_and_table_tags(server, client, iam, table_name):
    blue, red = table_name + "-blue", table_name + "-red"
    create_table(client, blue, Tags=[{"Key": "team", "Value": "blue"}])
    create_table(client, red, Tags=[{"Key": "team", "Value": "red"}])
    user = User(server, iam, tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName=user.name, PolicyName="abac", PolicyDocument=document(
        allow(["dynamodb:GetItem", "dynamodb:PutItem"], TABLE_ARN + "*",
              Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})))
    user.dynamodb.put_item(TableName=blue, Item=item("k"))
    assert "Item" in user.dynamodb.get_item(TableName=blue, Key=item("k"))
    denied(user.dynamodb.put_item, TableName=red, Item=item("k"))
    # Retagging the table changes the answer at once.
    client.tag_resource(ResourceArn=TABLE_ARN + red, Tags=[{"Key": "team", "Value": "blue"}])
    user.dynamodb.put_item(TableName=red, Item=item("k"))


def test_conditions_on_request_keys(server, client, iam, table_name):
    create_table(client, table_name)
    user = User(server, iam)
    iam.put_user_policy(UserName=user.name, PolicyName="narrow", PolicyDocument=document(
        allow(["dynamodb:GetItem"], TABLE_ARN + table_name, Condition={
            "ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "visible"]},
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}}),
        allow(["dynamodb:PutItem"], TABLE_ARN + table_name,
              Condition={"StringEquals": {"dynamodb:ReturnValues": ["NONE", "UPDATED_OLD"]}})))
    client.put_item(TableName=table_name, Item=item("k", visible="p", secret="s"))
    got = user.dynamodb.get_item(TableName=table_name, Key=item("k"), ProjectionExpression="pk, visible")
    assert got["Item"] == item("k", visible="p")
    denied(user.dynamodb.get_item, TableName=table_name, Key=item("k"), ProjectionExpression="pk, secret")
    denied(user.dynamodb.get_item, TableName=table_name, Key=item("k"))
    user.dynamodb.put_item(TableName=table_name, Item=item("k2"))
    denied(user.dynamodb.put_item, TableName=table_name, Item=item("k2"), ReturnValues="ALL_OLD")


def test_an_inactive_or_deleted_key_stops_working_at_once(server, client, iam, table_name):
    create_table(client, table_name)
    user = User(server, iam)
    iam.put_user_policy(UserName=user.name, PolicyName="read", PolicyDocument=document(
        allow("dynamodb:GetItem", TABLE_ARN + table_name)))
    user.dynamodb.get_item(TableName=table_name, Key=item("k"))
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key_id, Status="Inactive")
    with pytest.raises(ClientError) as caught:
        user.dynamodb.get_item(TableName=table_name, Key=item("k"))
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key_id, Status="Active")
    user.dynamodb.get_item(TableName=table_name, Key=item("k"))
    iam.delete_user_policy(UserName=user.name, PolicyName="read")
    iam.delete_access_key(UserName=user.name, AccessKeyId=user.key_id)
    with pytest.raises(ClientError) as caught:
        user.dynamodb.get_item(TableName=table_name, Key=item("k"))
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_user_without_iam_permissions_cannot_grant_itself_any(server, iam):
    user = User(server, iam)
    own = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION,
                       config=Config(retries={"max_attempts": 1}),
                       aws_access_key_id=user.key_id,
                       aws_secret_access_key=user.credentials["aws_secret_access_key"])
    with pytest.raises(ClientError) as caught:
        own.put_user_policy(UserName=user.name, PolicyName="escalate",
                            PolicyDocument=document(allow("*", "*")))
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert iam.list_user_policies(UserName=user.name)["PolicyNames"] == []


def test_source_ip_and_secure_transport_conditions(workdir, table_name):
    """aws:SourceIp is the client's address; aws:SecureTransport whether the
    request came over TLS (the same policy, over HTTP and HTTPS)."""
    server = TlsServer(workdir / f"tls-{uuid.uuid4().hex[:8]}", "--tls", "self-signed").start()
    try:
        root = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                            verify=str(server.ca_bundle), **CREDENTIALS)
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION,
                           verify=str(server.ca_bundle), **CREDENTIALS)
        create_table(root, table_name)
        user = User(server, iam)
        iam.put_user_policy(UserName=user.name, PolicyName="network", PolicyDocument=document(
            allow("dynamodb:GetItem", TABLE_ARN + table_name, Condition={
                "Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
            allow("dynamodb:PutItem", TABLE_ARN + table_name,
                  Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
        over_tls = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                                verify=str(server.ca_bundle), config=Config(retries={"max_attempts": 1}),
                                **user.credentials)
        over_tls.get_item(TableName=table_name, Key=item("k"))
        denied(over_tls.put_item, TableName=table_name, Item=item("k"))
    finally:
        server.stop()
    # The same policy over plain HTTP: no secure transport, no GetItem.
    plain = Server(server.data_dir).start()
    try:
        client = boto3.client("dynamodb", endpoint_url=plain.endpoint, region_name=REGION,
                              config=Config(retries={"max_attempts": 1}), **user.credentials)
        denied(client.get_item, TableName=table_name, Key=item("k"))
    finally:
        plain.stop()
