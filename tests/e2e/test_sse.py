"""Tables under KMS keys (SSESpecification / SSEDescription), with boto3 and
the AWS CLI: the service's own key by default (no SSEDescription), the AWS
managed key, customer managed keys by id, ARN and alias; DynamoDB's
validation errors; a disabled key or one pending deletion makes the table
INACCESSIBLE_ENCRYPTION_CREDENTIALS with its data-plane requests refused,
and enabling the key restores every item; UpdateTable changing the key;
restores with SSESpecificationOverride; a restart and `halyard rekey
--new-root-key-file` with full read-back, and the raw bytes of the data
directory.

DynamoDB Local ignores SSESpecification (it never reports an SSEDescription),
so these follow DynamoDB's documentation; see ORACLE_NOTES.md."""

import json
import os
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import BINARY, Server, create_table, sqlite_only
from harness import CREDENTIALS, REGION, aws

ACCOUNT = "000000000000"
SECRET_VALUE = "sse-OCELOT-value-7731"
KEY_VALUE = "sse-PANGOLIN-key"


def kms_client(server):
    return boto3.client("kms", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}), **CREDENTIALS)


@pytest.fixture
def kms(server):
    return kms_client(server)


@pytest.fixture
def name():
    return f"sse{uuid.uuid4().hex[:10]}"


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def new_key(kms):
    return kms.create_key(Description="table key")["KeyMetadata"]


def kms_table(client, name, key_id=None, **extra):
    spec = {"Enabled": True, "SSEType": "KMS"}
    if key_id:
        spec["KMSMasterKeyId"] = key_id
    return create_table(client, name, SSESpecification=spec, **extra)


def fill(client, name, count):
    for i in range(count):
        client.put_item(TableName=name, Item={"pk": {"S": f"{KEY_VALUE}-{i}"}, "secret": {"S": f"{SECRET_VALUE}-{i}"}})


def read_all(client, name, count):
    items, kwargs = [], {"TableName": name, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert sorted(item["secret"]["S"] for item in items) == sorted(f"{SECRET_VALUE}-{i}" for i in range(count))
    for i in range(count):
        got = client.get_item(TableName=name, Key={"pk": {"S": f"{KEY_VALUE}-{i}"}}, ConsistentRead=True)
        assert got["Item"]["secret"] == {"S": f"{SECRET_VALUE}-{i}"}


def wait_for(condition, what):
    deadline = time.time() + 30
    while not condition():
        assert time.time() < deadline, what
        time.sleep(0.05)


def wait_active(client, name):
    """A restored table is CREATING until its items are in."""
    wait_for(lambda: status_of(client, name) == "ACTIVE", f"{name} did not become ACTIVE")


def status_of(client, name):
    return client.describe_table(TableName=name)["Table"]["TableStatus"]


def test_sse_description_as_dynamodb_reports_it(server, client, kms, name):
    # The service's own key: no SSEDescription, with or without Enabled false.
    for suffix, extra in (("a", {}), ("b", {"SSESpecification": {"Enabled": False}})):
        created = create_table(client, name + suffix, **extra)
        assert "SSEDescription" not in created["TableDescription"]
        assert "SSEDescription" not in client.describe_table(TableName=name + suffix)["Table"]

    # Enabled with no key: the AWS managed key alias/aws/dynamodb.
    managed = kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    for suffix, spec in (("c", {"Enabled": True}), ("d", {"Enabled": True, "SSEType": "KMS"})):
        created = create_table(client, name + suffix, SSESpecification=spec)["TableDescription"]
        expected = {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": managed["Arn"]}
        assert created["SSEDescription"] == expected
        assert client.describe_table(TableName=name + suffix)["Table"]["SSEDescription"] == expected

    # A customer managed key by id, key ARN, alias name and alias ARN.
    key = new_key(kms)
    alias = f"alias/{name}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"
    for suffix, key_id in (("e", key["KeyId"]), ("f", key["Arn"]), ("g", alias), ("h", alias_arn)):
        kms_table(client, name + suffix, key_id)
        described = client.describe_table(TableName=name + suffix)["Table"]
        assert described["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key["Arn"]}
        assert described["TableStatus"] == "ACTIVE"

    # The AWS CLI shows the same.
    shown = json.loads(aws(server, "describe-table", "--table-name", name + "e").stdout)
    assert shown["Table"]["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]


def test_sse_specification_errors(client, kms, name):
    def refused(spec):
        return error_of(create_table, client, name, SSESpecification=spec)

    status, code, message = refused({"Enabled": True, "SSEType": "AES256"})
    assert (status, code) == (400, "ValidationException")
    assert message == "One or more parameter values were invalid: SSEType AES256 is not supported"
    status, code, message = refused({"Enabled": True, "KMSMasterKeyId": "alias/whatever"})
    assert (code, message) == ("ValidationException", "SSEType KMS is required if KMSMasterKeyId is specified")

    unknown = str(uuid.uuid4())
    status, code, message = refused({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": unknown})
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: "
        f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{unknown}' does not exist (Service: AWSKMS; Status Code: 400; "
        "Error Code: NotFoundException; Request ID: "
    ), message
    status, code, message = refused({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": f"alias/{name}-none"})
    assert code == "ValidationException" and "NotFoundException: Alias" in message and "is not found." in message

    key = new_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    status, code, message = refused({"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["KeyId"]})
    assert code == "ValidationException"
    assert f"DisabledException: {key['Arn']} is disabled." in message and "Error Code: DisabledException" in message
    # Nothing was created by the refusals.
    assert name not in client.list_tables()["TableNames"]

    # An SSEType outside the enum fails its constraint (the SDK would refuse
    # it before sending; the raw call shows DynamoDB's wording).
    raw = boto3.client("dynamodb", endpoint_url=client.meta.endpoint_url, region_name=REGION,
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}), **CREDENTIALS)
    status, code, message = error_of(create_table, raw, name, SSESpecification={"Enabled": True, "SSEType": "DES"})
    assert code == "ValidationException"
    assert message == ("1 validation error detected: Value 'DES' at 'sSESpecification.sSEType' failed to satisfy "
                       "constraint: Member must satisfy enum value set: [AES256, KMS]")


def refusals(client, name):
    """Every data-plane call on the table, each refused: their errors."""
    key = {"pk": {"S": f"{KEY_VALUE}-0"}}
    calls = [
        lambda: client.get_item(TableName=name, Key=key),
        lambda: client.put_item(TableName=name, Item={"pk": {"S": "new"}}),
        lambda: client.update_item(TableName=name, Key=key, UpdateExpression="SET n = :n",
                                   ExpressionAttributeValues={":n": {"N": "1"}}),
        lambda: client.delete_item(TableName=name, Key=key),
        lambda: client.query(TableName=name, KeyConditionExpression="pk = :k",
                             ExpressionAttributeValues={":k": key["pk"]}),
        lambda: client.scan(TableName=name),
        lambda: client.batch_get_item(RequestItems={name: {"Keys": [key]}}),
        lambda: client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "b"}}}}]}),
        lambda: client.transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": key}}]),
        lambda: client.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {"pk": {"S": "t"}}}}]),
        lambda: client.execute_statement(Statement=f'SELECT * FROM "{name}"'),
    ]
    return [error_of(call) for call in calls]


def test_a_disabled_or_deleted_key_makes_the_table_inaccessible_until_it_is_usable(server, client, kms, name):
    key = new_key(kms)
    kms_table(client, name, key["KeyId"])
    other = name + "x"
    create_table(client, other)
    fill(client, name, 30)

    kms.disable_key(KeyId=key["KeyId"])
    described = client.describe_table(TableName=name)["Table"]
    assert described["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert described["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    detected = described["SSEDescription"]["InaccessibleEncryptionDateTime"]
    for status, code, message in refusals(client, name):
        assert (status, code) == (400, "AccessDeniedException")
        assert message.startswith(
            f"KMS key access denied error: com.amazonaws.services.kms.model.DisabledException: {key['Arn']} is disabled."
            " (Service: AWSKMS; Status Code: 400; Error Code: DisabledException; Request ID: "
        ), message
    # Other tables, and the control plane, are unaffected.
    client.put_item(TableName=other, Item={"pk": {"S": "fine"}})
    assert status_of(client, other) == "ACTIVE"
    cli = json.loads(aws(server, "describe-table", "--table-name", name).stdout)
    assert cli["Table"]["TableStatus"] == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    # The time it was first found inaccessible stays until it is accessible.
    again = client.describe_table(TableName=name)["Table"]["SSEDescription"]
    assert again["InaccessibleEncryptionDateTime"] == detected

    kms.enable_key(KeyId=key["KeyId"])
    described = client.describe_table(TableName=name)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert "InaccessibleEncryptionDateTime" not in described["SSEDescription"]
    read_all(client, name, 30)

    # Pending deletion too; cancelling leaves the key disabled, as KMS does.
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert status_of(client, name) == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    status, code, message = error_of(client.get_item, TableName=name, Key={"pk": {"S": f"{KEY_VALUE}-0"}})
    assert code == "AccessDeniedException"
    assert f"KMSInvalidStateException: {key['Arn']} is pending deletion." in message
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert status_of(client, name) == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    kms.enable_key(KeyId=key["KeyId"])
    assert status_of(client, name) == "ACTIVE"
    read_all(client, name, 30)
    client.put_item(TableName=name, Item={"pk": {"S": "after"}})


def test_update_table_changes_the_key(client, kms, name):
    first, second = new_key(kms), new_key(kms)
    kms_table(client, name, first["KeyId"])
    fill(client, name, 10)

    updated = client.update_table(TableName=name, SSESpecification={
        "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": second["Arn"]})["TableDescription"]
    assert updated["SSEDescription"] == {"Status": "UPDATING", "SSEType": "KMS", "KMSMasterKeyArn": second["Arn"]}
    described = client.describe_table(TableName=name)["Table"]
    assert described["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": second["Arn"]}
    # The old key no longer matters; the new one does.
    kms.disable_key(KeyId=first["KeyId"])
    read_all(client, name, 10)
    kms.disable_key(KeyId=second["KeyId"])
    assert status_of(client, name) == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    # Moving away from an unusable key needs it (its data key is unwrapped).
    status, code, message = error_of(client.update_table, TableName=name, SSESpecification={
        "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": first["KeyId"]})
    assert code == "ValidationException" and "DisabledException" in message
    kms.enable_key(KeyId=second["KeyId"])
    read_all(client, name, 10)

    # Back to the service's own key, and on to the AWS managed key.
    updated = client.update_table(TableName=name, SSESpecification={"Enabled": False})["TableDescription"]
    assert "SSEDescription" not in updated
    kms.disable_key(KeyId=second["KeyId"])
    assert "SSEDescription" not in client.describe_table(TableName=name)["Table"]
    read_all(client, name, 10)
    client.update_table(TableName=name, SSESpecification={"Enabled": True})
    managed = kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]["Arn"]
    assert client.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == managed
    read_all(client, name, 10)


def test_restores_take_an_sse_override(client, kms, name):
    key = new_key(kms)
    kms_table(client, name, key["KeyId"])
    fill(client, name, 5)
    backup = client.create_backup(TableName=name, BackupName="bak")["BackupDetails"]["BackupArn"]
    wait_for(lambda: client.describe_backup(BackupArn=backup)["BackupDescription"]["BackupDetails"]["BackupStatus"]
             == "AVAILABLE", "the backup did not become AVAILABLE")
    restored = client.restore_table_from_backup(
        TargetTableName=name + "r", BackupArn=backup,
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["Arn"]},
    )["TableDescription"]
    assert restored["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    plain = client.restore_table_from_backup(TargetTableName=name + "p", BackupArn=backup)["TableDescription"]
    assert "SSEDescription" not in plain
    for target in (name + "r", name + "p"):
        wait_active(client, target)
        read_all(client, target, 5)
    kms.disable_key(KeyId=key["KeyId"])
    assert status_of(client, name + "r") == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert status_of(client, name + "p") == "ACTIVE"
    kms.enable_key(KeyId=key["KeyId"])


def markers_on_disk(directory, markers):
    found = set()
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found |= {marker for marker in markers if marker.encode() in data}
    return found


@sqlite_only("`halyard rekey` re-keys the SQLite store (PostgreSQL storage runs with --encryption off)")
def test_restart_and_new_root_key_keep_kms_tables_readable(tmp_path):
    data = tmp_path / "data"
    old_key = tmp_path / "old.key"
    new_key_file = tmp_path / "new.key"
    for path in (old_key, new_key_file):
        path.write_text(os.urandom(32).hex() + "\n")
        path.chmod(0o600)
    table = "sseRekeyTable"
    server = Server(data, "--root-key-file", str(old_key)).start()
    client, kms = server.client(), kms_client(server)
    key = new_key(kms)
    kms_table(client, table, key["KeyId"])
    fill(client, table, 40)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"sealed-before-rekey")["CiphertextBlob"]
    server.stop()
    assert markers_on_disk(data, [SECRET_VALUE, KEY_VALUE, table]) == set()

    server = Server(data, "--root-key-file", str(old_key)).start()
    client = server.client()
    read_all(client, table, 40)
    server.stop()

    result = subprocess.run(
        [str(BINARY), "rekey", "--data-dir", str(data), "--root-key-file", str(old_key),
         "--new-root-key-file", str(new_key_file)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    # The key service's key and the AWS managed key are re-sealed with the keyring.
    assert "KMS key versions" in result.stdout, result.stdout

    server = Server(data, "--root-key-file", str(new_key_file)).start()
    client, kms = server.client(), kms_client(server)
    assert "cannot be used" not in server.read_log()
    assert status_of(client, table) == "ACTIVE"
    read_all(client, table, 40)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sealed-before-rekey"
    kms.disable_key(KeyId=key["KeyId"])
    assert status_of(client, table) == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    kms.enable_key(KeyId=key["KeyId"])
    read_all(client, table, 40)
    server.stop()
    assert markers_on_disk(data, [SECRET_VALUE, KEY_VALUE, table]) == set()


SEALED_VALUE = "seal-MARMOSET-cmk"
PLAIN_VALUE = "seal-QUOKKA-owned"


def store_bytes(data):
    """The raw bytes SQLite holds: the database, its WAL and shared memory."""
    return b"".join(path.read_bytes() for path in data.glob("halyard.db*") if path.is_file())


def sealed_table(client, name, key_id=None):
    """A table with a GSI and an LSI projecting every attribute, a stream of
    both images, and point-in-time recovery: every stored form of its items."""
    spec = {"Enabled": True, "SSEType": "KMS"}
    if key_id:
        spec["KMSMasterKeyId"] = key_id
    extra = {"SSESpecification": spec} if key_id else {}
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "colour")],
        GlobalSecondaryIndexes=[{"IndexName": "byColour", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}]}],
        LocalSecondaryIndexes=[{"IndexName": "byPkColour", "Projection": {"ProjectionType": "ALL"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "colour", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        **extra,
    )
    client.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})


def put_marked(client, name, marker, count):
    for i in range(count):
        client.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": f"{i:03}"}, "colour": {"S": "red"},
                                              "secret": {"S": f"{marker}-{i}"}})
    # An update: the stream and the change log hold both images.
    client.update_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "000"}},
                       UpdateExpression="SET secret = :s",
                       ExpressionAttributeValues={":s": {"S": f"{marker}-updated"}})


def expected_secrets(marker, count):
    return sorted([f"{marker}-updated"] + [f"{marker}-{i}" for i in range(1, count)])


def secrets_of(items):
    return sorted(item["secret"]["S"] for item in items)


def read_every_way(server, client, name, marker, count):
    """The items through the table, both indexes and the stream."""
    expected = expected_secrets(marker, count)
    assert secrets_of(client.scan(TableName=name, ConsistentRead=True)["Items"]) == expected
    got = client.get_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "000"}}, ConsistentRead=True)
    assert got["Item"]["secret"]["S"] == f"{marker}-updated"
    by_colour = client.query(TableName=name, IndexName="byColour", KeyConditionExpression="colour = :c",
                             ExpressionAttributeValues={":c": {"S": "red"}})["Items"]
    assert secrets_of(by_colour) == expected
    local = client.query(TableName=name, IndexName="byPkColour", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}}, ConsistentRead=True)["Items"]
    assert secrets_of(local) == expected
    streams = boto3.client("dynamodbstreams", endpoint_url=server.endpoint, region_name=REGION,
                           config=Config(retries={"max_attempts": 1}), **CREDENTIALS)
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    images = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            images.append(record["dynamodb"]["NewImage"]["secret"]["S"])
            if "OldImage" in record["dynamodb"]:
                assert record["dynamodb"]["OldImage"]["secret"]["S"] == f"{marker}-0"
    assert sorted(images) == sorted([f"{marker}-{i}" for i in range(count)] + [f"{marker}-updated"])


@sqlite_only("the raw bytes are SQLite's; PostgreSQL's are the database server's")
def test_items_of_a_customer_key_table_are_sealed_in_every_stored_form(tmp_path):
    # Plaintext SQLite: only the table's own seal can keep the values out of the file.
    data = tmp_path / "data"
    server = Server(data, "--encryption", "off", "--pitr-snapshot-interval", "1").start()
    client, kms = server.client(), kms_client(server)
    key = new_key(kms)
    sealed, plain, managed = "sealCmkTable", "sealOwnedTable", "sealManagedTable"
    sealed_table(client, sealed, key["KeyId"])
    sealed_table(client, plain)
    kms_table(client, managed)
    count = 12
    put_marked(client, sealed, SEALED_VALUE, count)
    put_marked(client, plain, PLAIN_VALUE, count)
    client.put_item(TableName=managed, Item={"pk": {"S": "m"}, "secret": {"S": "seal-WALLABY-managed"}})
    backup = client.create_backup(TableName=sealed, BackupName="sealed")["BackupDetails"]["BackupArn"]
    wait_for(lambda: client.describe_backup(BackupArn=backup)["BackupDescription"]["BackupDetails"]["BackupStatus"]
             == "AVAILABLE", "the backup did not become AVAILABLE")
    time.sleep(2.5)  # a point-in-time snapshot of each table is taken
    read_every_way(server, client, sealed, SEALED_VALUE, count)
    # Killed: the newest pages are still in the WAL.
    server.kill()
    raw = store_bytes(data)
    assert SEALED_VALUE.encode() not in raw
    # The same search finds the owned-key and AWS managed key tables' values: it can fail.
    assert PLAIN_VALUE.encode() in raw and b"seal-WALLABY-managed" in raw

    server = Server(data, "--encryption", "off", "--pitr-snapshot-interval", "1").start()
    client, kms = server.client(), kms_client(server)
    kms.disable_key(KeyId=key["KeyId"])
    assert status_of(client, sealed) == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    assert error_of(client.scan, TableName=sealed)[1] == "AccessDeniedException"
    kms.enable_key(KeyId=key["KeyId"])
    read_every_way(server, client, sealed, SEALED_VALUE, count)

    # Restores re-seal under the target's key, or store plainly under the owned key.
    other = new_key(kms)
    override = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": other["KeyId"]}
    client.restore_table_from_backup(TargetTableName="sealFromBackupCmk", BackupArn=backup,
                                     SSESpecificationOverride=override)
    client.restore_table_from_backup(TargetTableName="sealFromBackupOwned", BackupArn=backup)
    client.restore_table_to_point_in_time(SourceTableName=sealed, TargetTableName="sealFromPitrCmk",
                                          UseLatestRestorableTime=True, SSESpecificationOverride=override)
    client.restore_table_to_point_in_time(SourceTableName=sealed, TargetTableName="sealFromPitrOwned",
                                          UseLatestRestorableTime=True)
    for target in ("sealFromBackupCmk", "sealFromBackupOwned", "sealFromPitrCmk", "sealFromPitrOwned"):
        wait_active(client, target)
        assert secrets_of(client.scan(TableName=target, ConsistentRead=True)["Items"]) == \
            expected_secrets(SEALED_VALUE, count), target
    # The restored tables answer to their own keys, not the source's.
    kms.disable_key(KeyId=key["KeyId"])
    assert status_of(client, "sealFromBackupCmk") == "ACTIVE"
    assert len(client.scan(TableName="sealFromPitrOwned")["Items"]) == count
    kms.disable_key(KeyId=other["KeyId"])
    assert status_of(client, "sealFromPitrCmk") == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
    kms.enable_key(KeyId=other["KeyId"])
    kms.enable_key(KeyId=key["KeyId"])
    # The AWS CLI reads the sealed table back too.
    scanned = json.loads(aws(server, "scan", "--table-name", "sealFromPitrCmk").stdout)
    assert secrets_of(scanned["Items"]) == expected_secrets(SEALED_VALUE, count)
    server.stop()


def user_clients(server, user, policy):
    """A DynamoDB client of a new IAM user whose only policy is `policy`."""
    iam = boto3.client("iam", endpoint_url=server.endpoint, region_name=REGION, **CREDENTIALS)
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return iam, boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                             config=Config(retries={"max_attempts": 1}),
                             aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


def test_the_caller_needs_the_key_policy_and_dynamodbs_use_is_audited(server, client, kms, name):
    key = new_key(kms)
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    dynamodb_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}
    iam, user = user_clients(server, name, dynamodb_only)
    spec = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key["KeyId"]}
    # DynamoDB asks KMS, as the caller, to describe the key first: refused.
    status, code, message = error_of(create_table, user, name, SSESpecification=spec)
    assert (status, code) == (400, "ValidationException")
    assert message.startswith(
        "KMS validation error: com.amazonaws.services.kms.model.AccessDeniedException: "
        f"User: {user_arn} is not authorized to perform: kms:DescribeKey on resource: {key['Arn']} "
        "because no identity-based policy allows the kms:DescribeKey action (Service: AWSKMS; Status Code: 400; "
        "Error Code: AccessDeniedException; Request ID: "), message
    assert name not in client.list_tables()["TableNames"]
    # The owned key and the AWS managed key need no KMS permission.
    create_table(user, name + "o")
    create_table(user, name + "m", SSESpecification={"Enabled": True})

    # KMS permissions, only through DynamoDB (kms:ViaService), as DynamoDB documents them.
    via = {"StringEquals": {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}}
    iam.put_user_policy(UserName=name, PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": key["Arn"], "Condition": via,
                                                "Action": ["kms:DescribeKey", "kms:CreateGrant",
                                                           "kms:GenerateDataKey", "kms:Decrypt"]}]}))
    kms_table(user, name, key["KeyId"])
    user.put_item(TableName=name, Item={"pk": {"S": "k"}, "secret": {"S": SECRET_VALUE}})
    # Moving the table to a key the caller may not use is refused, and so is restoring to it.
    other = new_key(kms)
    status, code, message = error_of(user.update_table, TableName=name, SSESpecification={
        "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": other["Arn"]})
    assert code == "ValidationException" and f"kms:DescribeKey on resource: {other['Arn']}" in message
    backup = client.create_backup(TableName=name, BackupName="bak")["BackupDetails"]["BackupArn"]
    wait_for(lambda: client.describe_backup(BackupArn=backup)["BackupDescription"]["BackupDetails"]["BackupStatus"]
             == "AVAILABLE", "the backup did not become AVAILABLE")
    status, code, message = error_of(user.restore_table_from_backup, TargetTableName=name + "r", BackupArn=backup,
                                     SSESpecificationOverride={"Enabled": True, "SSEType": "KMS",
                                                               "KMSMasterKeyId": other["KeyId"]})
    assert code == "ValidationException" and "AccessDeniedException" in message
    # A key policy Deny wins over the IAM policy's Allow.
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    policy["Statement"].append({"Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": "kms:CreateGrant",
                                "Resource": "*"})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    status, code, message = error_of(create_table, user, name + "d", SSESpecification=spec)
    assert code == "ValidationException" and "kms:CreateGrant" in message and "explicit deny" in message

    # DynamoDB's own uses of the key are KMS events, invoked by DynamoDB.
    cloudtrail = boto3.client("cloudtrail", endpoint_url=server.endpoint, region_name=REGION, **CREDENTIALS)

    def uses():
        events = cloudtrail.lookup_events(LookupAttributes=[
            {"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}], MaxResults=50)["Events"]
        records = [json.loads(event["CloudTrailEvent"]) for event in events]
        return [r for r in records if r["userIdentity"].get("invokedBy") == "dynamodb.amazonaws.com"
                and r["requestParameters"]["encryptionContext"]["aws:dynamodb:tableName"] == name]

    wait_for(lambda: {"GenerateDataKey", "Decrypt"} <= {r["eventName"] for r in uses()},
             "DynamoDB's GenerateDataKey and Decrypt of the table key were not recorded")
    record = next(r for r in uses() if r["eventName"] == "Decrypt")
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["userIdentity"] == {"type": "AWSService", "invokedBy": "dynamodb.amazonaws.com"}
    assert record["requestParameters"]["keyId"] == key["Arn"]
    assert record["resources"][0]["ARN"] == key["Arn"]
