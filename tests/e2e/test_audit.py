"""The audit trail (issue 14), end to end: CloudTrail records of allowed,
denied and failed calls with the caller's identity (root, IAM user,
assumed role, an unknown key); no attribute values or secrets in any record
or file; a record for every acknowledged write across a kill -9; `halyard
audit verify` on an untouched and a tampered chain; `aws cloudtrail
lookup-events`; data events switched per table and server-wide; IAM and
STS changes' records committed with the change; console IAM calls; the
audit backlog gauge in /metrics; reads' records made durable without a
commit into the database."""

import gzip
import json
import os
import subprocess
import threading
import time
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from conftest import sqlite_only
from harness import BINARY, CREDENTIALS, REGION, Server, aws, create_table

pytestmark = pytest.mark.skipif(os.environ.get("HALYARD_TEST_ENDPOINT") is not None,
                                reason="DynamoDB Local keeps no audit trail")

ACCOUNT = "000000000000"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"
# Short intervals so that records reach files while the test waits. These
# tests read and edit the files' gzip JSON, so the store is plaintext: with
# encryption on the files are sealed (test_encryption_at_rest.py checks them).
PLAINTEXT = ("--encryption", "off")
FAST = ("--audit-file-interval", "1", "--audit-flush-interval", "0.2", *PLAINTEXT)
METRICS_TOKEN = "audit-metrics-token-0123456789abcdef"


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("audit") / "data", *FAST).start()
    yield server
    server.stop()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def service(server, name, credentials=None):
    return boto3.client(name, endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"total_max_attempts": 1}), **(credentials or CREDENTIALS))


def log_records(server):
    """Every record in the server's closed log files."""
    records = []
    logs = server.data_dir / "audit" / "logs"
    for path in sorted(logs.glob("*.json.gz")) if logs.exists() else []:
        records.extend(json.loads(gzip.decompress(path.read_bytes()))["Records"])
    return records


def wait_for_records(server, request_ids, timeout=30):
    """The records of these requests, once all are in log files."""
    deadline = time.time() + timeout
    while True:
        by_id = {r["requestID"]: r for r in log_records(server)}
        if all(i in by_id for i in request_ids):
            return [by_id[i] for i in request_ids]
        if time.time() > deadline:
            missing = [i for i in request_ids if i not in by_id]
            raise AssertionError(f"no record for {len(missing)} of {len(request_ids)} requests: {missing[:5]}")
        time.sleep(0.2)


def request_id(response):
    return response["ResponseMetadata"]["RequestId"]


def failed_request_id(excinfo):
    return excinfo.value.response["ResponseMetadata"]["RequestId"]


def new_user(server, policy):
    iam = service(server, "iam")
    name = unique("auditor")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def assume(server, user_credentials, role_policy, session):
    iam = service(server, "iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(role_policy))
    answer = service(server, "sts", user_credentials).assume_role(RoleArn=role["Arn"], RoleSessionName=session)
    c = answer["Credentials"]
    return role, answer, {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                          "aws_session_token": c["SessionToken"]}


def test_allowed_denied_and_failed_calls_name_their_caller(trail):
    root = service(trail, "dynamodb")
    table = unique("audit-who")
    created = create_table(root, table)
    put = root.put_item(TableName=table, Item={"pk": {"S": "a"}})
    with pytest.raises(ClientError) as failed:
        root.put_item(TableName=table, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
    name, user_credentials = new_user(trail, policy(allow("dynamodb:GetItem", TABLE_ARN + table),
                                                    allow("sts:AssumeRole")))
    user = service(trail, "dynamodb", user_credentials)
    read = user.get_item(TableName=table, Key={"pk": {"S": "a"}})
    with pytest.raises(ClientError) as denied:
        user.put_item(TableName=table, Item={"pk": {"S": "b"}})
    role, assumed, role_credentials = assume(trail, user_credentials, policy(allow("dynamodb:*")), "audit-session")
    as_role = service(trail, "dynamodb", role_credentials).put_item(TableName=table, Item={"pk": {"S": "c"}})
    stranger = service(trail, "dynamodb", {"aws_access_key_id": "AKIANOBODYKNOWSME00", "aws_secret_access_key": "x"})
    with pytest.raises(ClientError) as unknown:
        stranger.describe_table(TableName=table)

    ids = [request_id(created), request_id(put), failed_request_id(failed), request_id(read),
           failed_request_id(denied), request_id(assumed), request_id(as_role), failed_request_id(unknown)]
    created_r, put_r, failed_r, read_r, denied_r, assumed_r, role_r, unknown_r = wait_for_records(trail, ids)

    for record in (created_r, put_r, failed_r, read_r, denied_r, role_r):
        assert record["eventSource"] == "dynamodb.amazonaws.com"
        assert record["awsRegion"] == REGION and record["recipientAccountId"] == ACCOUNT
        assert record["sourceIPAddress"] == "127.0.0.1"
        assert record["userAgent"].startswith("Boto3/")
        assert record["eventVersion"].startswith("1.")
        uuid.UUID(record["eventID"])
    assert created_r["eventName"] == "CreateTable" and created_r["eventCategory"] == "Management"
    assert created_r["managementEvent"] is True and created_r["readOnly"] is False
    assert created_r["resources"] == [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": TABLE_ARN + table}]
    assert created_r["userIdentity"] == {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
                                         "accountId": ACCOUNT, "accessKeyId": CREDENTIALS["aws_access_key_id"]}
    assert put_r["eventName"] == "PutItem" and put_r["eventCategory"] == "Data" and put_r["managementEvent"] is False
    assert put_r["responseElements"] is None and "errorCode" not in put_r
    assert put_r["requestParameters"] == {"tableName": table, "key": {"pk": "HIDDEN_DUE_TO_SECURITY_REASONS"}}
    assert failed_r["errorCode"] == "ConditionalCheckFailedException"
    assert failed_r["errorMessage"] == "The conditional request failed"

    user_identity = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accountId": ACCOUNT,
                     "accessKeyId": user_credentials["aws_access_key_id"], "userName": name}
    for record in (read_r, denied_r):
        assert {k: record["userIdentity"][k] for k in user_identity} == user_identity
        assert record["userIdentity"]["principalId"].startswith("AIDA")
    assert read_r["eventName"] == "GetItem" and read_r["readOnly"] is True and "errorCode" not in read_r
    assert denied_r["eventName"] == "PutItem" and denied_r["errorCode"] == "AccessDenied"
    assert "is not authorized to perform: dynamodb:PutItem" in denied_r["errorMessage"]

    assert assumed_r["eventSource"] == "sts.amazonaws.com" and assumed_r["eventName"] == "AssumeRole"
    assert assumed_r["userIdentity"]["type"] == "IAMUser"
    assert assumed_r["requestParameters"]["roleArn"] == role["Arn"]
    identity = role_r["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/audit-session"
    assert identity["accessKeyId"] == role_credentials["aws_access_key_id"]
    assert identity["principalId"] == f"{role['RoleId']}:audit-session"
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "Role", "principalId": role["RoleId"], "arn": role["Arn"], "accountId": ACCOUNT,
        "userName": role["RoleName"]}

    # Refused before authentication: what the request presented.
    assert unknown_r["eventName"] == "DescribeTable"
    assert unknown_r["errorCode"] == "UnrecognizedClientException"
    assert unknown_r["userIdentity"] == {"type": "Unknown", "accessKeyId": "AKIANOBODYKNOWSME00"}


def test_no_attribute_values_or_secrets_in_any_record_or_file(trail):
    root = service(trail, "dynamodb")
    table = unique("audit-secret")
    create_table(root, table, range_key=("sk", "S"))
    secrets = ["KEYVALUEq7w8e9", "SORTVALUEz1x2c3", "DATAVALUEp0o9i8", "EXPRVALUEm5n6b7", "NEWVALUEl4k3j2",
               "POLICYSIDu8y7t6"]
    key = {"pk": {"S": secrets[0]}, "sk": {"S": secrets[1]}}
    ids = [request_id(root.put_item(TableName=table, Item={**key, "data": {"S": secrets[2]}}))]
    ids.append(request_id(root.update_item(
        TableName=table, Key=key, UpdateExpression="SET #d = :new", ConditionExpression="#d <> :old",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":new": {"S": secrets[4]}, ":old": {"S": secrets[3]}})))
    ids.append(request_id(root.get_item(TableName=table, Key=key)))
    ids.append(request_id(root.query(TableName=table, KeyConditionExpression="pk = :p",
                                     ExpressionAttributeValues={":p": {"S": secrets[0]}})))
    ids.append(request_id(root.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {"pk": {"S": secrets[0]}, "sk": {"S": "2"}, "data": {"S": secrets[2]}}}}]})))
    ids.append(request_id(root.transact_write_items(TransactItems=[
        {"Update": {"TableName": table, "Key": key, "UpdateExpression": "SET #d = :v",
                    "ExpressionAttributeNames": {"#d": "data"},
                    "ExpressionAttributeValues": {":v": {"S": secrets[2]}}}}])))
    with pytest.raises(ClientError) as failed:
        root.put_item(TableName=table, Item={**key, "data": {"S": secrets[2]}},
                      ConditionExpression="attribute_not_exists(pk)")
    ids.append(failed_request_id(failed))
    iam = service(trail, "iam")
    user = unique("secretive")
    ids.append(request_id(iam.create_user(UserName=user)))
    ids.append(request_id(iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy(
        {"Sid": secrets[5], "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})))))
    created_key = iam.create_access_key(UserName=user)
    ids.append(request_id(created_key))
    credentials = {"aws_access_key_id": created_key["AccessKey"]["AccessKeyId"],
                   "aws_secret_access_key": created_key["AccessKey"]["SecretAccessKey"]}
    _, assumed, role_credentials = assume(trail, credentials, policy(allow("dynamodb:*")), "secret-session")
    ids.append(request_id(assumed))
    ids.append(request_id(service(trail, "dynamodb", role_credentials).get_item(TableName=table, Key=key)))
    secrets += [credentials["aws_secret_access_key"], role_credentials["aws_secret_access_key"],
                role_credentials["aws_session_token"], CREDENTIALS["aws_secret_access_key"]]

    records = wait_for_records(trail, ids)
    assert [r["eventName"] for r in records] == [
        "PutItem", "UpdateItem", "GetItem", "Query", "BatchWriteItem", "TransactWriteItems", "PutItem",
        "CreateUser", "PutUserPolicy", "CreateAccessKey", "AssumeRole", "GetItem"]
    every_record = json.dumps(log_records(trail))
    raw = b""
    for path in (trail.data_dir / "audit").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            raw += content + (gzip.decompress(content) if content[:2] == b"\x1f\x8b" else b"")
    for secret in secrets:
        assert secret not in every_record, secret
        assert secret.encode() not in raw, secret
    # The key's names are kept.
    assert records[0]["requestParameters"]["key"] == {"pk": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                                      "sk": "HIDDEN_DUE_TO_SECURITY_REASONS"}


def test_every_acknowledged_write_has_its_record_after_kill_9(tmp_path):
    server = Server(tmp_path / "data", *FAST).start()
    client = server.client()
    table = unique("audit-crash")
    create_table(client, table)
    acknowledged = []
    stop = threading.Event()

    def write(worker):
        writer = server.client()
        n = 0
        while not stop.is_set():
            try:
                answer = writer.put_item(TableName=table, Item={"pk": {"S": f"{worker}-{n}"}})
            except Exception:  # the server went away mid-request: not acknowledged
                return
            acknowledged.append(request_id(answer))
            n += 1

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 300:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    server.start()
    try:
        records = wait_for_records(server, list(acknowledged), timeout=60)
        assert all(r["eventName"] == "PutItem" and "errorCode" not in r for r in records)
    finally:
        server.stop()


def halyard_audit(command, *args):
    """`halyard audit COMMAND` on a plaintext store (FAST's)."""
    return subprocess.run([str(BINARY), "audit", command, "--encryption", "off", *args],
                          capture_output=True, text=True, timeout=60)


@sqlite_only("`halyard audit` opens the data directory's SQLite store")
def test_verify_passes_on_an_untouched_chain_and_reports_tampering(tmp_path):
    server = Server(tmp_path / "data", *FAST).start()
    client = server.client()
    logs = server.data_dir / "audit" / "logs"
    for n in range(5):
        # One call per log file: wait for each to close before the next.
        answer = client.list_tables()
        wait_for_records(server, [request_id(answer)])
    server.stop()
    files = sorted(logs.glob("*.json.gz"))
    assert len(files) >= 5
    verified = halyard_audit("verify", "--data-dir", str(server.data_dir))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout

    edited, deleted = files[1], files[3]
    content = json.loads(gzip.decompress(edited.read_bytes()))
    content["Records"][0]["eventName"] = "NothingHappened"
    edited.write_bytes(gzip.compress(json.dumps(content).encode()))
    deleted.unlink()
    inserted = logs / files[0].name.replace(".json.gz", "0.json.gz")
    inserted.write_bytes(files[0].read_bytes())
    tampered = halyard_audit("verify", "--data-dir", str(server.data_dir))
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    lines = tampered.stdout.splitlines()
    assert f"MODIFIED logs/{edited.name}: its content does not match its digest" in lines
    assert f"DELETED logs/{deleted.name}: a digest names it but it is missing" in lines
    assert f"INSERTED logs/{inserted.name}: no digest names it" in lines
    assert len([line for line in lines if line.split()[0] in ("MODIFIED", "DELETED", "INSERTED")]) == 3


def lookup(server, *args, credentials=None, check=True):
    result = aws(server, "lookup-events", *args, service="cloudtrail", credentials=credentials, check=check)
    return json.loads(result.stdout) if check else result


def test_lookup_events_filters_by_event_name_and_by_user(trail):
    root = service(trail, "dynamodb")
    table = unique("audit-lookup")
    created = create_table(root, table)
    name, credentials = new_user(trail, policy(allow("dynamodb:DescribeTable"), allow("cloudtrail:LookupEvents")))
    described = service(trail, "dynamodb", credentials).describe_table(TableName=table)
    wait_for_records(trail, [request_id(created), request_id(described)])

    by_name = lookup(trail, "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateTable")["Events"]
    assert by_name and all(e["EventName"] == "CreateTable" for e in by_name)
    mine = [e for e in by_name if json.loads(e["CloudTrailEvent"])["requestID"] == request_id(created)]
    assert len(mine) == 1
    assert mine[0]["Username"] == "root" and mine[0]["ReadOnly"] == "false"
    assert mine[0]["Resources"] == [{"ResourceType": "AWS::DynamoDB::Table", "ResourceName": table}]
    assert mine[0]["EventSource"] == "dynamodb.amazonaws.com"

    by_user = lookup(trail, "--lookup-attributes", f"AttributeKey=Username,AttributeValue={name}",
                     credentials=credentials)["Events"]
    assert by_user and all(e["Username"] == name for e in by_user)
    assert request_id(described) in [json.loads(e["CloudTrailEvent"])["requestID"] for e in by_user]
    # Newest first.
    times = [e["EventTime"] for e in by_name]
    assert times == sorted(times, reverse=True)
    # Data events are not returned, as by CloudTrail.
    assert lookup(trail, "--lookup-attributes", "AttributeKey=EventName,AttributeValue=PutItem")["Events"] == []


def test_lookup_events_pages_and_refuses_bad_requests(trail):
    cloudtrail = service(trail, "cloudtrail")
    for _ in range(3):
        service(trail, "dynamodb").list_tables()
    time.sleep(0.5)
    first = cloudtrail.lookup_events(MaxResults=2)
    assert len(first["Events"]) == 2 and "NextToken" in first
    second = cloudtrail.lookup_events(MaxResults=2, NextToken=first["NextToken"])
    ids = {e["EventId"] for e in first["Events"]}
    assert not ids & {e["EventId"] for e in second["Events"]}

    def error(**kwargs):
        with pytest.raises(ClientError) as caught:
            cloudtrail.lookup_events(**kwargs)
        return caught.value.response["Error"]["Code"]

    assert error(MaxResults=51) == "InvalidMaxResultsException"
    assert error(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                   {"AttributeKey": "Username", "AttributeValue": "B"}]) == \
        "InvalidLookupAttributesException"
    assert error(StartTime=2_000_000_000, EndTime=1_000_000_000) == "InvalidTimeRangeException"
    assert error(NextToken="not-a-token") == "InvalidNextTokenException"
    # A token belongs to the query it came from.
    assert error(MaxResults=2, NextToken=first["NextToken"],
                 LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListTables"}]) == \
        "InvalidNextTokenException"
    _, credentials = new_user(trail, policy(allow("dynamodb:ListTables")))
    refused = lookup(trail, credentials=credentials, check=False)
    assert refused.returncode != 0 and "AccessDeniedException" in refused.stderr


def test_data_events_switch_per_table(trail):
    root = service(trail, "dynamodb")
    audited, quiet = unique("audit-on"), unique("audit-off")
    for table in (audited, quiet):
        create_table(root, table)
    selectors = [
        {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": "all but one table", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
            {"Field": "resources.ARN", "NotEquals": [TABLE_ARN + quiet]}]},
    ]
    put = aws(trail, "put-event-selectors", "--trail-name", "halyard", "--advanced-event-selectors",
              json.dumps(selectors), service="cloudtrail")
    assert json.loads(put.stdout)["AdvancedEventSelectors"] == selectors
    got = json.loads(aws(trail, "get-event-selectors", "--trail-name",
                         f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/halyard", service="cloudtrail").stdout)
    assert got["AdvancedEventSelectors"] == selectors
    try:
        silent = request_id(root.put_item(TableName=quiet, Item={"pk": {"S": "x"}}))
        described = request_id(root.describe_table(TableName=quiet))
        recorded = request_id(root.put_item(TableName=audited, Item={"pk": {"S": "x"}}))
        wait_for_records(trail, [described, recorded])
        assert silent not in {r["requestID"] for r in log_records(trail)}
    finally:
        aws(trail, "put-event-selectors", "--trail-name", "halyard", "--advanced-event-selectors", json.dumps([
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}]}]),
            service="cloudtrail")
    unknown = aws(trail, "get-event-selectors", "--trail-name", "other", service="cloudtrail", check=False)
    assert unknown.returncode != 0 and "TrailNotFoundException" in unknown.stderr
    invalid = aws(trail, "put-event-selectors", "--trail-name", "halyard", "--advanced-event-selectors",
                  json.dumps([{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]),
                  service="cloudtrail", check=False)
    assert invalid.returncode != 0 and "InvalidEventSelectorsException" in invalid.stderr


def test_data_events_switch_off_server_wide(tmp_path):
    server = Server(tmp_path / "data", *FAST, "--audit-data-events", "off").start()
    try:
        client = server.client()
        table = unique("audit-none")
        created = create_table(client, table)
        written = request_id(client.put_item(TableName=table, Item={"pk": {"S": "x"}}))
        read = request_id(client.get_item(TableName=table, Key={"pk": {"S": "x"}}))
        listed = request_id(client.list_tables())
        wait_for_records(server, [request_id(created), listed])
        ids = {r["requestID"] for r in log_records(server)}
        assert written not in ids and read not in ids
    finally:
        server.stop()


@sqlite_only("`halyard audit` opens the data directory's SQLite store")
def test_halyard_audit_query_filters_records(tmp_path):
    server = Server(tmp_path / "data", *FAST).start()
    client = server.client()
    table = unique("audit-query")
    create_table(client, table)
    client.put_item(TableName=table, Item={"pk": {"S": "x"}})
    with pytest.raises(ClientError) as failed:
        client.delete_table(TableName=unique("missing"))
    last = request_id(client.get_item(TableName=table, Key={"pk": {"S": "x"}}))
    wait_for_records(server, [last, failed_request_id(failed)])
    server.stop()

    def query(*args):
        result = halyard_audit("query", "--data-dir", str(server.data_dir), *args)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    on_table = query("--table", table)
    assert [r["eventName"] for r in on_table] == ["GetItem", "PutItem", "CreateTable"]
    assert [r["eventName"] for r in query("--event-name", "PutItem")] == ["PutItem"]
    errors = query("--errors")
    assert [r["eventName"] for r in errors] == ["DeleteTable"]
    assert errors[0]["errorCode"] == "ResourceNotFoundException"
    assert all(r["userIdentity"]["type"] == "Root" for r in query("--user", "root"))


def test_iam_and_sts_changes_are_recorded_with_the_change_across_kill_9(tmp_path):
    # The default flush interval (1 s): a buffered record would be lost by a
    # kill right after its call was answered; a change's record is not.
    server = Server(tmp_path / "data", "--audit-file-interval", "1", *PLAINTEXT).start()
    try:
        iam = service(server, "iam")
        name = unique("crash-user")
        ids = [request_id(iam.create_user(UserName=name))]
        ids.append(request_id(iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            policy(allow("sts:AssumeRole"))))))
        created_key = iam.create_access_key(UserName=name)
        ids.append(request_id(created_key))
        credentials = {"aws_access_key_id": created_key["AccessKey"]["AccessKeyId"],
                       "aws_secret_access_key": created_key["AccessKey"]["SecretAccessKey"]}
        trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "sts:AssumeRole"})
        role = iam.create_role(RoleName=unique("crash-role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        assumed = service(server, "sts", credentials).assume_role(RoleArn=role["Arn"], RoleSessionName="crash")
        ids.append(request_id(assumed))
        ids.append(request_id(iam.create_user(UserName=unique("crash-last"))))
        server.kill()
        server.start()
        records = wait_for_records(server, ids)
        assert [r["eventName"] for r in records] == [
            "CreateUser", "PutUserPolicy", "CreateAccessKey", "AssumeRole", "CreateUser"]
        assert all("errorCode" not in r for r in records)
        assert records[3]["eventSource"] == "sts.amazonaws.com"
        assert records[3]["userIdentity"]["userName"] == name
    finally:
        server.stop()


def test_a_refused_iam_change_is_recorded_with_its_error(trail):
    iam = service(trail, "iam")
    name = unique("twice")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as refused:
        iam.create_user(UserName=name)
    [record] = wait_for_records(trail, [failed_request_id(refused)])
    assert record["eventName"] == "CreateUser" and record["errorCode"] == "EntityAlreadyExists"


def scrape(server, family_name, sample_name=None):
    """The sum of a metric family's samples named `sample_name` (the family's own name by default)."""
    request = urllib.request.Request(server.endpoint + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    [family] = [f for f in text_string_to_metric_families(text) if f.name == family_name]
    return sum(sample.value for sample in family.samples if sample.name == (sample_name or family_name))


def scrape_audit_backlog(server):
    return scrape(server, "halyard_audit_backlog_records")


def scrape_commits(server):
    """Transactions the writer has committed (every batch, the trail's own too)."""
    return scrape(server, "halyard_writer_commit_duration_seconds", "halyard_writer_commit_duration_seconds_count")


def test_the_audit_backlog_gauge_counts_records_not_yet_in_files(tmp_path):
    env = {**os.environ, "HALYARD_METRICS_TOKEN": METRICS_TOKEN}
    # Files close only after 300 s: every record committed waits in the queue.
    server = Server(tmp_path / "data", "--audit-file-interval", "300", *PLAINTEXT, env=env).start()
    try:
        client = server.client()
        table = unique("audit-backlog")
        create_table(client, table)
        for n in range(5):
            client.put_item(TableName=table, Item={"pk": {"S": str(n)}})
        before = scrape_audit_backlog(server)
        assert before >= 6  # CreateTable and the five writes, at least
        for n in range(3):
            client.put_item(TableName=table, Item={"pk": {"S": f"more-{n}"}})
        assert scrape_audit_backlog(server) >= before + 3
    finally:
        server.stop()
    # Restarted with files closing every second: the backlog drains to 0.
    server = Server(tmp_path / "data", *FAST, env=env)
    server.start()
    try:
        deadline = time.time() + 30
        while scrape_audit_backlog(server) > 0:
            assert time.time() < deadline, "the audit backlog did not drain"
            time.sleep(0.2)
    finally:
        server.stop()


def test_read_records_are_durable_without_a_commit_into_the_database(tmp_path):
    """Reads' records spill into files of their own (a commit would empty every
    SQLite reader's page cache), and survive a kill -9 once made durable."""
    env = {**os.environ, "HALYARD_METRICS_TOKEN": METRICS_TOKEN}
    server = Server(tmp_path / "data", "--audit-file-interval", "300", "--audit-flush-interval", "0.2",
                    *PLAINTEXT, env=env).start()
    try:
        client = server.client()
        table = unique("audit-reads")
        create_table(client, table)
        client.put_item(TableName=table, Item={"pk": {"S": "k"}})
        # A failed write's record spills too (the attempt itself is a writer batch).
        with pytest.raises(ClientError) as failed:
            client.put_item(TableName=table, Item={"pk": {"S": "k"}}, ConditionExpression="attribute_not_exists(pk)")
        # Until the mover has indexed the set-up's records: no commit for two seconds.
        commits = scrape_commits(server)
        while True:
            time.sleep(2)
            if scrape_commits(server) == commits:
                break
            commits = scrape_commits(server)
        backlog = scrape_audit_backlog(server)
        reads = [request_id(client.get_item(TableName=table, Key={"pk": {"S": "k"}})) for _ in range(20)]
        deadline = time.time() + 30
        while scrape_audit_backlog(server) < backlog + len(reads):
            assert time.time() < deadline, "the reads' records were not made durable"
            time.sleep(0.2)
        assert scrape_commits(server) == commits
        assert list((server.data_dir / "audit" / "buffer").glob("*.json.gz"))
    finally:
        server.kill()
    # Restarted with files closing each second: the spilled records reach the log files.
    server = Server(tmp_path / "data", *FAST, env=env).start()
    try:
        records = wait_for_records(server, [failed_request_id(failed), *reads])
        assert [r["eventName"] for r in records] == ["PutItem"] + ["GetItem"] * 20
        assert records[0]["errorCode"] == "ConditionalCheckFailedException"
        deadline = time.time() + 30
        while list((server.data_dir / "audit" / "buffer").glob("*.json.gz")):
            assert time.time() < deadline, "folded spill files were not removed"
            time.sleep(0.2)
    finally:
        server.stop()


def console_session(server, credentials):
    """Signs in to the console with an access key: (cookie, CSRF token)."""
    body = json.dumps({"accessKeyId": credentials["aws_access_key_id"],
                       "secretAccessKey": credentials["aws_secret_access_key"]}).encode()
    request = urllib.request.Request(server.endpoint + "/console/api/session", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
        return cookie, json.loads(response.read())["csrfToken"]


def test_a_console_iam_call_is_recorded_as_the_console_user(trail):
    name, credentials = new_user(trail, policy(allow("iam:*")))
    cookie, csrf = console_session(trail, credentials)
    created = unique("from-console")
    request = urllib.request.Request(
        trail.endpoint + "/console/api/iam", data=f"Action=CreateUser&UserName={created}".encode(), method="POST",
        headers={"Cookie": cookie, "X-Halyard-Csrf": csrf, "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        call_id = response.headers["x-amzn-RequestId"]
    [record] = wait_for_records(trail, [call_id])
    assert record["eventSource"] == "iam.amazonaws.com" and record["eventName"] == "CreateUser"
    assert record["requestParameters"] == {"userName": created}
    assert "errorCode" not in record
    assert record["userIdentity"]["type"] == "IAMUser" and record["userIdentity"]["userName"] == name
    assert record["userIdentity"]["accessKeyId"] == credentials["aws_access_key_id"]
    assert service(trail, "iam").get_user(UserName=created)["User"]["UserName"] == created
