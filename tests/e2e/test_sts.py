"""STS on Halyard's endpoint with boto3 and the AWS CLI: who credentials
belong to (GetCallerIdentity), temporary credentials for a user
(GetSessionToken) and for a role (AssumeRole), narrowed by a session policy,
working for DynamoDB until they expire."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import REGION, Server, create_table

AWS = str(Path(sys.executable).parent / "aws")
ACCOUNT = "000000000000"
ROOT = {"aws_access_key_id": "AKIAHALYARDSTSROOT00", "aws_secret_access_key": "sts-test-root-secret"}
# The hidden test option's floor, so that a test can watch credentials expire.
SHORTEST = 2

ALLOW_DYNAMODB = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}
ALLOW_ASSUME = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(scope="module")
def sts_server(tmp_path_factory):
    env = {**os.environ, "HALYARD_ROOT_ACCESS_KEY_ID": ROOT["aws_access_key_id"],
           "HALYARD_ROOT_SECRET_ACCESS_KEY": ROOT["aws_secret_access_key"]}
    server = Server(tmp_path_factory.mktemp("sts") / "data", "--sts-min-duration-seconds", str(SHORTEST), env=env)
    server.start()
    yield server
    server.stop()


def credentials_of(answer):
    """boto3 keyword arguments for STS's Credentials."""
    c = answer["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def client(server, service, credentials, **config):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"total_max_attempts": 1}, **config), **credentials)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_user(server, policy=None):
    """A user with an access key (and an inline policy): its name and credentials."""
    iam = client(server, "iam", ROOT)
    name = unique("user")
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def new_role(server, trust=TRUST_ACCOUNT, policy=ALLOW_DYNAMODB, **extra):
    iam = client(server, "iam", ROOT)
    name = unique("role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return role


def error_of(excinfo):
    error = excinfo.value.response["Error"]
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error["Message"]


def test_get_caller_identity_for_root_user_and_role(sts_server):
    root = client(sts_server, "sts", ROOT).get_caller_identity()
    assert (root["Account"], root["Arn"], root["UserId"]) == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)

    name, user_credentials = new_user(sts_server, ALLOW_ASSUME)
    user = client(sts_server, "sts", user_credentials).get_caller_identity()
    created = client(sts_server, "iam", ROOT).get_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}" == created["Arn"]
    assert user["UserId"] == created["UserId"] and user["UserId"].startswith("AIDA")
    assert user["Account"] == ACCOUNT

    role = new_role(sts_server)
    assumed = client(sts_server, "sts", user_credentials).assume_role(RoleArn=role["Arn"], RoleSessionName="who-am-i")
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/who-am-i"
    assert assumed["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:who-am-i", "Arn": session_arn}
    identity = client(sts_server, "sts", credentials_of(assumed)).get_caller_identity()
    assert (identity["Arn"], identity["UserId"]) == (session_arn, f"{role['RoleId']}:who-am-i")


def test_session_token_credentials_work_for_dynamodb(sts_server):
    table = unique("sts-gst")
    create_table(client(sts_server, "dynamodb", ROOT), table)
    name, user_credentials = new_user(sts_server, ALLOW_DYNAMODB)
    answer = client(sts_server, "sts", user_credentials).get_session_token(DurationSeconds=900)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    remaining = credentials["Expiration"].timestamp() - time.time()
    assert 800 < remaining <= 900

    session = credentials_of(answer)
    dynamodb = client(sts_server, "dynamodb", session)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    identity = client(sts_server, "sts", session).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"

    with pytest.raises(ClientError) as excinfo:
        client(sts_server, "sts", session).get_session_token()
    assert error_of(excinfo) == (403, "AccessDenied", "Cannot call GetSessionToken with session credentials")

    # The same session token with another key's secret is not a credential.
    forged = {**session, "aws_secret_access_key": user_credentials["aws_secret_access_key"]}
    with pytest.raises(ClientError) as excinfo:
        client(sts_server, "dynamodb", forged).get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_get_session_token_duration_bounds(sts_server):
    _, user_credentials = new_user(sts_server)
    sts = client(sts_server, "sts", user_credentials)
    with pytest.raises(ClientError) as excinfo:
        sts.get_session_token(DurationSeconds=129601)
    assert error_of(excinfo) == (
        400, "ValidationError",
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 129600")
    default = sts.get_session_token()["Credentials"]["Expiration"].timestamp() - time.time()
    assert 43_200 - 120 < default <= 43_200
    # The account's root gets an hour at most, however long it asks for.
    root = client(sts_server, "sts", ROOT).get_session_token(DurationSeconds=7200)
    assert root["Credentials"]["Expiration"].timestamp() - time.time() <= 3600


def test_assume_role_with_session_policy_narrows_permissions(sts_server):
    table = unique("sts-narrow")
    create_table(client(sts_server, "dynamodb", ROOT), table)
    client(sts_server, "dynamodb", ROOT).put_item(TableName=table, Item={"pk": {"S": "seed"}})
    _, user_credentials = new_user(sts_server, ALLOW_ASSUME)
    role = new_role(sts_server)
    read_only = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}
    answer = client(sts_server, "sts", user_credentials).assume_role(
        RoleArn=role["Arn"], RoleSessionName="reader", Policy=json.dumps(read_only))
    assert 0 < answer["PackedPolicySize"] <= 100
    dynamodb = client(sts_server, "dynamodb", credentials_of(answer))
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "seed"}})["Item"] == {"pk": {"S": "seed"}}
    with pytest.raises(ClientError) as excinfo:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "nope"}})
    error = excinfo.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/reader" in error["Message"]
    assert "dynamodb:PutItem" in error["Message"]

    # Without a session policy the role's own permissions apply in full.
    full = client(sts_server, "sts", user_credentials).assume_role(RoleArn=role["Arn"], RoleSessionName="writer")
    assert "PackedPolicySize" not in full
    client(sts_server, "dynamodb", credentials_of(full)).put_item(TableName=table, Item={"pk": {"S": "yes"}})


def test_assume_role_refusals(sts_server):
    name, trusted_by_account = new_user(sts_server, ALLOW_ASSUME)
    _, unprivileged = new_user(sts_server)
    role = new_role(sts_server, MaxSessionDuration=3600)
    sts = client(sts_server, "sts", unprivileged)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    status, code, message = error_of(excinfo)
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith("User: arn:aws:iam::000000000000:user/")
    assert message.endswith(f"is not authorized to perform: sts:AssumeRole on resource: {role['Arn']}")

    sts = client(sts_server, "sts", trusted_by_account)
    missing = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=missing, RoleSessionName="s2")
    assert error_of(excinfo) == (
        403, "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: sts:AssumeRole on resource: {missing}")
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s3", DurationSeconds=3601)
    assert error_of(excinfo) == (
        400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s4", Policy='{"Statement": 1}')
    assert error_of(excinfo)[:2] == (400, "MalformedPolicyDocument")
    statement = {"Effect": "Allow", "Action": "dynamodb:GetItem",
                 "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/a-rather-long-table-name"}
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s5",
                        Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement] * 20}))
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "PackedPolicyTooLarge")
    assert message.startswith("Packed policy consumes ") and "% of allotted space" in message
    with pytest.raises(ClientError) as excinfo:
        client(sts_server, "sts", ROOT).assume_role(RoleArn=role["Arn"], RoleSessionName="s6")
    assert error_of(excinfo) == (403, "AccessDenied", "Roles may not be assumed by root accounts.")


def test_assumed_role_credentials_expire(sts_server):
    table = unique("sts-expiry")
    create_table(client(sts_server, "dynamodb", ROOT), table)
    _, user_credentials = new_user(sts_server, ALLOW_ASSUME)
    role = new_role(sts_server)
    # botocore checks the model's 900 s floor itself.
    sts = client(sts_server, "sts", user_credentials, parameter_validation=False)
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=SHORTEST)
    dynamodb = client(sts_server, "dynamodb", credentials_of(answer))
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "in-time"}})
    # Wait out the session, by the server's clock as the answer states it.
    time.sleep(max(0.0, answer["Credentials"]["Expiration"].timestamp() - time.time()) + 1.5)
    with pytest.raises(ClientError) as excinfo:
        dynamodb.get_item(TableName=table, Key={"pk": {"S": "in-time"}})
    assert excinfo.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert excinfo.value.response["Error"]["Message"] == "The security token included in the request is expired"
    with pytest.raises(ClientError) as excinfo:
        client(sts_server, "sts", credentials_of(answer)).get_caller_identity()
    assert excinfo.value.response["Error"]["Code"] == "ExpiredToken"


def test_deleting_a_role_ends_its_sessions(sts_server):
    _, user_credentials = new_user(sts_server, ALLOW_ASSUME)
    role = new_role(sts_server)
    answer = client(sts_server, "sts", user_credentials).assume_role(RoleArn=role["Arn"], RoleSessionName="doomed")
    session = client(sts_server, "sts", credentials_of(answer))
    session.get_caller_identity()
    iam = client(sts_server, "iam", ROOT)
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="p")
    iam.delete_role(RoleName=role["RoleName"])
    with pytest.raises(ClientError) as excinfo:
        session.get_caller_identity()
    assert excinfo.value.response["Error"]["Code"] == "InvalidClientTokenId"


def aws_cli(server, credentials, *args):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
           "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_PAGER": ""}
    env.pop("AWS_SESSION_TOKEN", None)
    if "aws_session_token" in credentials:
        env["AWS_SESSION_TOKEN"] = credentials["aws_session_token"]
    result = subprocess.run([AWS, "--endpoint-url", server.endpoint, "--output", "json", *args],
                            capture_output=True, text=True, env=env, timeout=60)
    return result


def test_aws_cli_assume_role_then_use_the_session(sts_server):
    table = unique("sts-cli")
    create_table(client(sts_server, "dynamodb", ROOT), table)
    name, user_credentials = new_user(sts_server, ALLOW_ASSUME)
    role = new_role(sts_server)

    result = aws_cli(sts_server, user_credentials, "sts", "get-caller-identity")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"

    result = aws_cli(sts_server, user_credentials, "sts", "assume-role", "--role-arn", role["Arn"],
                     "--role-session-name", "cli-session", "--duration-seconds", "900")
    assert result.returncode == 0, result.stderr
    assumed = json.loads(result.stdout)
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/cli-session"
    session = {"aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
               "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
               "aws_session_token": assumed["Credentials"]["SessionToken"]}
    result = aws_cli(sts_server, session, "dynamodb", "put-item", "--table-name", table,
                     "--item", '{"pk": {"S": "from-cli"}}')
    assert result.returncode == 0, result.stderr

    result = aws_cli(sts_server, session, "sts", "get-session-token")
    assert result.returncode != 0
    assert "AccessDenied" in result.stderr and "Cannot call GetSessionToken with session credentials" in result.stderr

    result = aws_cli(sts_server, user_credentials, "sts", "assume-role", "--role-arn", role["Arn"],
                     "--role-session-name", "bad name")
    assert result.returncode != 0
    assert "ValidationError" in result.stderr and "roleSessionName" in result.stderr
