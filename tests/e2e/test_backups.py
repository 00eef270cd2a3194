"""On-demand backups (issue 17): CreateBackup, DescribeBackup, ListBackups,
DeleteBackup and RestoreTableFromBackup with boto3 and the AWS CLI, and the
operator's `halyard backup` / `halyard restore` of the whole server. A
backup is the table as it was when CreateBackup answered, items and
indexes; a restore makes a new table (CREATING, then ACTIVE) with a
RestoreSummary. DynamoDB Local has none of these operations (see
ORACLE_NOTES.md): the documentation is the spec. Waits poll with a generous
deadline and assert nothing about timing."""

import json
import os
import subprocess
import time
import uuid

import pytest

from conftest import Server, create_table, sqlite_only
from harness import BINARY, CREDENTIALS, aws, scan_all
from helpers import expect_error

DEADLINE = 60


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(predicate, what):
    deadline = time.time() + DEADLINE
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_backup_available(client, arn):
    return wait_for(
        lambda: client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
        == "AVAILABLE",
        f"backup {arn}",
    )


def wait_table_active(client, name):
    def active():
        table = client.describe_table(TableName=name)["Table"]
        return table if table["TableStatus"] == "ACTIVE" else None

    return wait_for(active, f"table {name}")


def indexed_table(client, name):
    """A table with a global and a local index."""
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "colour", "AttributeType": "S"},
            {"AttributeName": "rank", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_rank",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "rank", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def put_items(client, table, count, colour, start=0):
    for i in range(start, start + count):
        client.put_item(
            TableName=table,
            Item={"pk": S(f"p{i % 7}"), "sk": N(i), "colour": S(colour), "rank": N(1000 - i), "payload": S("x" * 50)},
        )


def by_colour(client, table, colour):
    items = []
    for page in client.get_paginator("query").paginate(
        TableName=table,
        IndexName="by_colour",
        KeyConditionExpression="colour = :c",
        ExpressionAttributeValues={":c": S(colour)},
    ):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: int(item["sk"]["N"]))


def key_sorted(items):
    return sorted(items, key=lambda item: (item["pk"]["S"], int(item["sk"]["N"])))


def test_backup_write_more_restore_gives_the_snapshot_with_its_indexes(client):
    source, target = unique("bk-src"), unique("bk-dst")
    indexed_table(client, source)
    put_items(client, source, 600, "red")
    before = key_sorted(scan_all(client, source))

    details = client.create_backup(TableName=source, BackupName="before-blue")["BackupDetails"]
    assert details["BackupStatus"] in ("CREATING", "AVAILABLE")
    assert details["BackupType"] == "USER"
    assert details["BackupName"] == "before-blue"
    assert details["BackupArn"].startswith(f"arn:aws:dynamodb:us-east-1:000000000000:table/{source}/backup/")
    # Written after the backup: not in it.
    put_items(client, source, 50, "blue", start=600)
    client.delete_item(TableName=source, Key={"pk": S("p0"), "sk": N(0)})
    client.update_item(
        TableName=source,
        Key={"pk": S("p1"), "sk": N(1)},
        UpdateExpression="SET colour = :b",
        ExpressionAttributeValues={":b": S("blue")},
    )
    wait_backup_available(client, details["BackupArn"])

    restored = client.restore_table_from_backup(TargetTableName=target, BackupArn=details["BackupArn"])[
        "TableDescription"
    ]
    assert restored["TableName"] == target
    assert restored["TableStatus"] in ("CREATING", "ACTIVE")
    assert restored["RestoreSummary"]["SourceBackupArn"] == details["BackupArn"]
    assert restored["RestoreSummary"]["SourceTableArn"].endswith(f"table/{source}")
    table = wait_table_active(client, target)
    assert table["RestoreSummary"]["RestoreInProgress"] is False
    assert table["ItemCount"] == 600
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {"by_colour"}
    assert {index["IndexName"] for index in table["LocalSecondaryIndexes"]} == {"by_rank"}

    assert key_sorted(scan_all(client, target)) == before
    # The indexes are rebuilt: the global index answers as the source's did
    # at the backup, and the local one holds every item.
    red = by_colour(client, target, "red")
    assert red == sorted(before, key=lambda item: int(item["sk"]["N"]))
    assert by_colour(client, target, "blue") == []
    local = scan_all(client, target, IndexName="by_rank")
    assert len(local) == 600
    # The restored table takes writes once ACTIVE.
    client.put_item(TableName=target, Item={"pk": S("new"), "sk": N(1), "colour": S("green"), "rank": N(1)})
    assert len(by_colour(client, target, "green")) == 1


def test_describe_list_and_delete_backups(client):
    table = unique("bk-list")
    create_table(client, table)
    client.put_item(TableName=table, Item={"pk": S("a"), "n": N(1)})
    arns = []
    for name in ("first", "second", "third"):
        arns.append(client.create_backup(TableName=table, BackupName=name)["BackupDetails"]["BackupArn"])
    for arn in arns:
        wait_backup_available(client, arn)

    description = client.describe_backup(BackupArn=arns[0])["BackupDescription"]
    assert description["BackupDetails"]["BackupName"] == "first"
    assert description["BackupDetails"]["BackupSizeBytes"] > 0
    source = description["SourceTableDetails"]
    assert source["TableName"] == table
    assert source["ItemCount"] == 1
    assert source["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert source["BillingMode"] == "PAY_PER_REQUEST"

    summaries = client.list_backups(TableName=table)["BackupSummaries"]
    assert [s["BackupArn"] for s in summaries] == arns
    assert all(s["BackupStatus"] == "AVAILABLE" and s["BackupType"] == "USER" for s in summaries)
    # Paging, by the last ARN of a page.
    page = client.list_backups(TableName=table, Limit=2)
    assert [s["BackupArn"] for s in page["BackupSummaries"]] == arns[:2]
    assert page["LastEvaluatedBackupArn"] == arns[1]
    rest = client.list_backups(TableName=table, Limit=2, ExclusiveStartBackupArn=page["LastEvaluatedBackupArn"])
    assert [s["BackupArn"] for s in rest["BackupSummaries"]] == arns[2:]
    assert "LastEvaluatedBackupArn" not in rest
    # Filters: type and time range.
    assert client.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"] == []
    assert len(client.list_backups(TableName=table, BackupType="ALL")["BackupSummaries"]) == 3
    created = [s["BackupCreationDateTime"] for s in summaries]
    window = client.list_backups(TableName=table, TimeRangeLowerBound=created[1])["BackupSummaries"]
    assert [s["BackupArn"] for s in window] == arns[1:]
    assert client.list_backups(TableName=table, TimeRangeUpperBound=created[0])["BackupSummaries"] == []
    # Paging over all tables with the paginator.
    listed = [s["BackupArn"] for page in client.get_paginator("list_backups").paginate() for s in page["BackupSummaries"]]
    assert set(arns) <= set(listed)

    deleted = client.delete_backup(BackupArn=arns[1])["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    assert [s["BackupArn"] for s in client.list_backups(TableName=table)["BackupSummaries"]] == [arns[0], arns[2]]
    expect_error(client.describe_backup, "BackupNotFoundException", BackupArn=arns[1])
    expect_error(client.delete_backup, "BackupNotFoundException", BackupArn=arns[1])
    # A backup outlives its table.
    client.delete_table(TableName=table)
    assert client.describe_backup(BackupArn=arns[0])["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"


def test_restore_overrides(client):
    source, target = unique("bk-ovr"), unique("bk-ovr-dst")
    indexed_table(client, source)
    put_items(client, source, 20, "red")
    arn = client.create_backup(TableName=source, BackupName="ovr")["BackupDetails"]["BackupArn"]
    wait_backup_available(client, arn)
    client.restore_table_from_backup(
        TargetTableName=target,
        BackupArn=arn,
        BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
        GlobalSecondaryIndexOverride=[],
        LocalSecondaryIndexOverride=[
            {
                "IndexName": "by_rank",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "rank", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        SSESpecificationOverride={"Enabled": False},
    )
    table = wait_table_active(client, target)
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert "GlobalSecondaryIndexes" not in table
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["by_rank"]
    assert {d["AttributeName"] for d in table["AttributeDefinitions"]} == {"pk", "sk", "rank"}
    assert table["ItemCount"] == 20


def test_bad_requests_get_dynamodbs_errors(client):
    table = unique("bk-err")
    create_table(client, table)
    missing = f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/backup/01700000000000-0123abcd"
    expect_error(client.create_backup, "TableNotFoundException", TableName=unique("bk-none"), BackupName="x-1")
    expect_error(client.describe_backup, "BackupNotFoundException", f"Backup not found: {missing}", BackupArn=missing)
    expect_error(client.delete_backup, "BackupNotFoundException", BackupArn=missing)
    expect_error(
        client.restore_table_from_backup, "BackupNotFoundException", TargetTableName=unique("bk-t"), BackupArn=missing
    )
    arn = client.create_backup(TableName=table, BackupName="bk-ok")["BackupDetails"]["BackupArn"]
    wait_backup_available(client, arn)
    expect_error(
        client.restore_table_from_backup,
        "TableAlreadyExistsException",
        f"Table already exists: {table}",
        TargetTableName=table,
        BackupArn=arn,
    )
    expect_error(
        client.restore_table_from_backup,
        "ValidationException",
        contains="does not exist in the source table",
        TargetTableName=unique("bk-t"),
        BackupArn=arn,
        GlobalSecondaryIndexOverride=[
            {
                "IndexName": "nope",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    expect_error(
        client.list_backups,
        "ValidationException",
        contains="TimeRangeUpperBound",
        TimeRangeLowerBound=2000000000,
        TimeRangeUpperBound=1000000000,
    )


def test_bad_requests_constraints(server):
    status, _, body = server.raw("CreateBackup", {"TableName": "ab", "BackupName": "b"})
    assert status == 400
    assert body["__type"].endswith("ValidationException")
    assert "2 validation errors detected" in body["message"], body
    status, _, body = server.raw("ListBackups", {"Limit": 0, "BackupType": "BOGUS"})
    assert status == 400 and "2 validation errors detected" in body["message"], body
    status, _, body = server.raw("DescribeBackup", {"BackupArn": "short"})
    assert status == 400 and "backupArn" in body["message"], body


def test_aws_cli_create_backup_and_restore(server):
    client = server.client()
    source, target = unique("bk-cli"), unique("bk-cli-dst")
    create_table(client, source)
    for i in range(10):
        client.put_item(TableName=source, Item={"pk": S(f"k{i}"), "v": N(i)})
    created = json.loads(aws(server, "create-backup", "--table-name", source, "--backup-name", "cli-backup").stdout)
    arn = created["BackupDetails"]["BackupArn"]
    wait_backup_available(client, arn)
    listed = json.loads(aws(server, "list-backups", "--table-name", source).stdout)
    assert [s["BackupArn"] for s in listed["BackupSummaries"]] == [arn]
    restored = json.loads(
        aws(server, "restore-table-from-backup", "--target-table-name", target, "--backup-arn", arn).stdout
    )
    assert restored["TableDescription"]["TableName"] == target
    wait_table_active(client, target)
    assert sorted(scan_all(client, target), key=lambda i: i["pk"]["S"]) == sorted(
        scan_all(client, source), key=lambda i: i["pk"]["S"]
    )
    aws(server, "delete-backup", "--backup-arn", arn)


def test_kill_during_backup_leaves_the_table_whole_and_the_backup_available_or_absent(workdir):
    server = Server(workdir / f"data-{uuid.uuid4().hex[:8]}").start()
    client = server.client()
    table = unique("bk-kill")
    create_table(client, table)
    payload = "y" * 2000
    requests = [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "payload": S(payload)}}} for i in range(6000)]
    for start in range(0, len(requests), 25):
        client.batch_write_item(RequestItems={table: requests[start : start + 25]})
    arn = client.create_backup(TableName=table, BackupName="killed")["BackupDetails"]["BackupArn"]
    server.kill()

    server.start()
    client = server.client()
    try:
        assert client.describe_table(TableName=table)["Table"]["ItemCount"] == 6000
        assert len(scan_all(client, table)) == 6000
        try:
            status = client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"]
        except client.exceptions.BackupNotFoundException:
            status = None
        # Either the copy finished before the kill, or the interrupted copy was removed.
        assert status in ("AVAILABLE", None)
        assert [s["BackupArn"] for s in client.list_backups(TableName=table)["BackupSummaries"]] == (
            [arn] if status else []
        )
        if status:
            target = unique("bk-kill-dst")
            client.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
            assert wait_table_active(client, target)["ItemCount"] == 6000
        # A new backup after the restart completes.
        again = client.create_backup(TableName=table, BackupName="again")["BackupDetails"]["BackupArn"]
        wait_backup_available(client, again)
        assert client.describe_backup(BackupArn=again)["BackupDescription"]["SourceTableDetails"]["ItemCount"] == 6000
    finally:
        server.stop()


def halyard(*args, check=True):
    """Runs the halyard binary (a CLI command), signing with the root's credentials."""
    env = {
        **os.environ,
        "HALYARD_ROOT_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "HALYARD_ROOT_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }
    result = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


PLAINTEXT = ("--encryption", "off")
SECRET = "kestrel-SECRET-7731"


@sqlite_only("`halyard backup` copies the SQLite store (PostgreSQL is backed up with its own tools)")
@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plaintext"])
def test_halyard_backup_and_restore_round_trip(workdir, encrypted):
    base = workdir / f"store-{uuid.uuid4().hex[:8]}"
    base.mkdir()
    # An encrypted store's root key is generated beside its data directory;
    # restoring takes it as serve does (the backup holds the keyring only).
    keys = ("--root-key-file", base / "data.root-key") if encrypted else PLAINTEXT
    server = Server(base / "data", *(() if encrypted else PLAINTEXT)).start()
    try:
        client = server.client()
        table = unique("bk-store")
        indexed_table(client, table)
        put_items(client, table, 200, "red")
        client.put_item(TableName=table, Item={"pk": S(SECRET), "sk": N(-1), "colour": S("green"), "rank": N(0)})
        before = key_sorted(scan_all(client, table))
        # Online, while the server serves.
        halyard("backup", base / "online", "--endpoint", server.endpoint)
        put_items(client, table, 10, "blue", start=200)
        # Not into a directory that holds something.
        refused = halyard("backup", base / "online", "--endpoint", server.endpoint, check=False)
        assert refused.returncode != 0 and "not empty" in refused.stderr
    finally:
        server.stop()
    # Offline, from the stopped server's data directory.
    halyard("backup", base / "offline", "--data-dir", base / "data", *keys)
    for copy in ("online", "offline"):
        manifest = (base / copy / "MANIFEST").read_text()
        assert sorted(os.listdir(base / copy)) == (["MANIFEST", "halyard.db", "keyring"] if encrypted
                                                   else ["MANIFEST", "halyard.db"])
        assert ("file keyring " in manifest) == encrypted
        store = (base / copy / "halyard.db").read_bytes()
        assert (SECRET.encode() in store) != encrypted
        assert store.startswith(b"SQLite format 3") != encrypted
    if encrypted:
        # The root key never travels; without it, or with another, nothing is written.
        for wrong in ((), ("--root-key-file", write_key(base / "other.key"))):
            refused = halyard("restore", base / "online", "--data-dir", base / "nokey", *wrong, check=False)
            assert refused.returncode != 0 and "root key" in refused.stderr, refused.stderr
            assert not (base / "nokey").exists()
        refused = halyard("restore", base / "online", "--data-dir", base / "nokey", *PLAINTEXT, check=False)
        assert refused.returncode != 0 and "copy of an encrypted store" in refused.stderr
    else:
        refused = halyard("restore", base / "online", "--data-dir", base / "nokey", check=False)
        assert refused.returncode != 0 and "copy of a plaintext store" in refused.stderr
    assert not (base / "nokey").exists()

    restored = halyard("restore", base / "online", "--data-dir", base / "restored", *keys)
    assert "restored" in restored.stdout
    refused = halyard("restore", base / "online", "--data-dir", base / "data", *keys, check=False)
    assert refused.returncode != 0 and "already holds a database" in refused.stderr
    server = Server(base / "restored", *keys).start()
    try:
        client = server.client()
        assert key_sorted(scan_all(client, table)) == before
        assert len(by_colour(client, table, "red")) == 200
        assert by_colour(client, table, "blue") == []
    finally:
        server.stop()
    halyard("check", "--data-dir", base / "restored", *keys)

    halyard("restore", base / "offline", "--data-dir", base / "restored-offline", *keys)
    server = Server(base / "restored-offline", *keys).start()
    try:
        assert len(by_colour(server.client(), table, "blue")) == 10
    finally:
        server.stop()

    # A damaged backup is refused, and leaves no database behind.
    store = base / "offline" / "halyard.db"
    data = bytearray(store.read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(bytes(data))
    damaged = halyard("restore", base / "offline", "--data-dir", base / "restored-damaged", *keys, check=False)
    assert damaged.returncode != 0 and "does not match" in damaged.stderr
    assert not (base / "restored-damaged" / "halyard.db").exists()

    # A copy cut short (no MANIFEST, as a kill during `halyard backup` leaves it) is refused.
    (base / "online" / "MANIFEST").unlink()
    cut = halyard("restore", base / "online", "--data-dir", base / "restored-cut", *keys, check=False)
    assert cut.returncode != 0 and "not a complete Halyard backup" in cut.stderr
    assert not (base / "restored-cut" / "halyard.db").exists()


def write_key(path):
    path.write_text(os.urandom(32).hex() + "\n")
    path.chmod(0o600)
    return path
