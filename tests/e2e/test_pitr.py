"""Point-in-time recovery (issue 17): UpdateContinuousBackups /
DescribeContinuousBackups and RestoreTableToPointInTime, with boto3 and the
AWS CLI. A restore to a time between two writes gives exactly the state
after the first; to the latest time, the table as it is. Retention is
tested on a server whose "day" is two seconds. DynamoDB Local has none of
these operations (see ORACLE_NOTES.md). Waits poll with a generous deadline
and assert nothing about timing."""

import json
import time
import uuid
from datetime import datetime, timezone

import pytest

from conftest import Server, create_table
from harness import aws, scan_all
from helpers import expect_error
from test_backups import by_colour, indexed_table, key_sorted, put_items, wait_for, wait_table_active


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def pitr_description(client, table):
    return client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"
    ]


def enable(client, table, **extra):
    spec = {"PointInTimeRecoveryEnabled": True, **extra}
    client.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification=spec)
    return wait_for(
        lambda: (lambda d: d if "LatestRestorableDateTime" in d else None)(pitr_description(client, table)),
        f"the first snapshot of {table}",
    )


def pause():
    """Lets the clock move on by more than DynamoDB's millisecond precision."""
    time.sleep(0.05)


def moment():
    pause()
    now = datetime.now(timezone.utc)
    pause()
    return now


def by_pk(items):
    return sorted(items, key=lambda item: item["pk"]["S"])


def test_enable_describe_and_disable(client):
    table = unique("pitr-d")
    create_table(client, table)
    assert pitr_description(client, table) == {"PointInTimeRecoveryStatus": "DISABLED"}
    described = enable(client, table)
    assert described["PointInTimeRecoveryStatus"] == "ENABLED"
    assert described["RecoveryPeriodInDays"] == 35
    assert described["EarliestRestorableDateTime"] <= described["LatestRestorableDateTime"]
    continuous = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert continuous["ContinuousBackupsStatus"] == "ENABLED"
    changed = client.update_continuous_backups(
        TableName=table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    )["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert changed["RecoveryPeriodInDays"] == 7
    # The history is kept when only the period changes.
    assert changed["EarliestRestorableDateTime"] == described["EarliestRestorableDateTime"]
    disabled = client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )["ContinuousBackupsDescription"]
    assert disabled["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    expect_error(
        client.restore_table_to_point_in_time,
        "PointInTimeRecoveryUnavailableException",
        SourceTableName=table,
        TargetTableName=unique("pitr-t"),
        UseLatestRestorableTime=True,
    )


def test_restore_between_two_writes_gives_the_state_after_the_first(client):
    source = unique("pitr-src")
    indexed_table(client, source)
    put_items(client, source, 30, "red")
    enable(client, source)
    # The first write after the snapshot, then more that must not be restored.
    client.put_item(TableName=source, Item={"pk": S("p1"), "sk": N(1000), "colour": S("red"), "rank": N(5)})
    after_first = key_sorted(scan_all(client, source))
    between = moment()
    client.put_item(TableName=source, Item={"pk": S("p2"), "sk": N(1001), "colour": S("blue"), "rank": N(6)})
    client.delete_item(TableName=source, Key={"pk": S("p0"), "sk": N(0)})
    client.update_item(
        TableName=source,
        Key={"pk": S("p1"), "sk": N(1)},
        UpdateExpression="SET colour = :b",
        ExpressionAttributeValues={":b": S("blue")},
    )
    latest_state = key_sorted(scan_all(client, source))

    target = unique("pitr-mid")
    restored = client.restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, RestoreDateTime=between
    )["TableDescription"]
    assert restored["TableStatus"] in ("CREATING", "ACTIVE")
    summary = restored["RestoreSummary"]
    assert summary["SourceTableArn"].endswith(f"table/{source}")
    assert "SourceBackupArn" not in summary
    assert abs(summary["RestoreDateTime"].timestamp() - between.timestamp()) < 0.002
    wait_table_active(client, target)
    assert key_sorted(scan_all(client, target)) == after_first
    assert by_colour(client, target, "blue") == []
    assert len(by_colour(client, target, "red")) == 31

    latest = unique("pitr-latest")
    client.restore_table_to_point_in_time(
        SourceTableArn=f"arn:aws:dynamodb:us-east-1:000000000000:table/{source}",
        TargetTableName=latest,
        UseLatestRestorableTime=True,
    )
    table = wait_table_active(client, latest)
    assert table["ItemCount"] == len(latest_state)
    assert key_sorted(scan_all(client, latest)) == latest_state
    assert [item["sk"]["N"] for item in by_colour(client, latest, "blue")] == ["1", "1001"]
    # The restored tables have no point-in-time recovery of their own.
    assert pitr_description(client, latest)["PointInTimeRecoveryStatus"] == "DISABLED"


def test_replay_of_many_writes_and_overwrites(client):
    source = unique("pitr-many")
    create_table(client, source)
    enable(client, source)
    for round_ in range(3):
        requests = [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "round": N(round_)}}} for i in range(300)]
        for start in range(0, 300, 25):
            client.batch_write_item(RequestItems={source: requests[start : start + 25]})
        if round_ == 1:
            after_second = by_pk(scan_all(client, source))
            between = moment()
    target = unique("pitr-many-t")
    client.restore_table_to_point_in_time(SourceTableName=source, TargetTableName=target, RestoreDateTime=between)
    assert wait_table_active(client, target)["ItemCount"] == 300
    assert by_pk(scan_all(client, target)) == after_second


def test_bad_requests_get_dynamodbs_errors(client, server):
    table = unique("pitr-err")
    create_table(client, table)
    expect_error(
        client.update_continuous_backups,
        "TableNotFoundException",
        TableName=unique("pitr-none"),
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    expect_error(client.describe_continuous_backups, "TableNotFoundException", TableName=unique("pitr-none"))
    expect_error(
        client.restore_table_to_point_in_time,
        "PointInTimeRecoveryUnavailableException",
        SourceTableName=table,
        TargetTableName=unique("pitr-t"),
        UseLatestRestorableTime=True,
    )
    expect_error(
        client.restore_table_to_point_in_time,
        "TableNotFoundException",
        SourceTableName=unique("pitr-none"),
        TargetTableName=unique("pitr-t"),
        UseLatestRestorableTime=True,
    )
    status, _, body = server.raw(
        "UpdateContinuousBackups",
        {"TableName": table, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36}},
    )
    assert status == 400 and "recoveryPeriodInDays" in body["message"] and "35" in body["message"], body
    status, _, body = server.raw("UpdateContinuousBackups", {"TableName": table})
    assert status == 400 and "pointInTimeRecoverySpecification" in body["message"], body
    described = enable(client, table)
    expect_error(
        client.restore_table_to_point_in_time,
        "InvalidRestoreTimeException",
        SourceTableName=table,
        TargetTableName=unique("pitr-t"),
        RestoreDateTime=described["EarliestRestorableDateTime"].timestamp() - 60,
    )
    expect_error(
        client.restore_table_to_point_in_time,
        "TableAlreadyExistsException",
        f"Table already exists: {table}",
        SourceTableName=table,
        TargetTableName=table,
        UseLatestRestorableTime=True,
    )
    expect_error(
        client.restore_table_to_point_in_time,
        "ValidationException",
        SourceTableName=table,
        SourceTableArn=f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}",
        TargetTableName=unique("pitr-t"),
        UseLatestRestorableTime=True,
    )
    expect_error(
        client.restore_table_to_point_in_time,
        "ValidationException",
        SourceTableName=table,
        TargetTableName=unique("pitr-t"),
    )


def test_aws_cli_update_and_describe_continuous_backups(server):
    client = server.client()
    table = unique("pitr-cli")
    create_table(client, table)
    updated = json.loads(
        aws(
            server,
            "update-continuous-backups",
            "--table-name",
            table,
            "--point-in-time-recovery-specification",
            "PointInTimeRecoveryEnabled=true,RecoveryPeriodInDays=3",
        ).stdout
    )
    pitr = updated["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED" and pitr["RecoveryPeriodInDays"] == 3
    enable(client, table)
    client.put_item(TableName=table, Item={"pk": S("a")})
    target = unique("pitr-cli-t")
    restored = json.loads(
        aws(
            server,
            "restore-table-to-point-in-time",
            "--source-table-name",
            table,
            "--target-table-name",
            target,
            "--use-latest-restorable-time",
        ).stdout
    )
    assert restored["TableDescription"]["RestoreSummary"]["RestoreInProgress"] is True or restored[
        "TableDescription"
    ]["TableStatus"] == "ACTIVE"
    wait_table_active(client, target)
    assert scan_all(client, target) == [{"pk": S("a")}]


def test_history_survives_a_restart_and_retention_ages_it_out(workdir):
    # A "day" of two seconds, and a snapshot every second.
    server = Server(workdir / f"data-{uuid.uuid4().hex[:8]}", "--pitr-day", "2", "--pitr-snapshot-interval", "1")
    server.start()
    try:
        client = server.client()
        table = unique("pitr-ret")
        create_table(client, table)
        first = enable(client, table, RecoveryPeriodInDays=1)
        client.put_item(TableName=table, Item={"pk": S("a"), "v": N(1)})
        between = moment()
        client.put_item(TableName=table, Item={"pk": S("a"), "v": N(2)})
        server.kill()
        server.start()
        client = server.client()
        target = unique("pitr-ret-t")
        client.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target, RestoreDateTime=between)
        wait_table_active(client, target)
        assert scan_all(client, target) == [{"pk": S("a"), "v": N(1)}]
        # The window moves on: the earliest restorable time follows it, and
        # older times are refused.
        wait_for(
            lambda: pitr_description(client, table)["EarliestRestorableDateTime"].timestamp() > between.timestamp() + 1,
            "the window to move on",
        )
        expect_error(
            client.restore_table_to_point_in_time,
            "InvalidRestoreTimeException",
            SourceTableName=table,
            TargetTableName=unique("pitr-ret-old"),
            RestoreDateTime=first["EarliestRestorableDateTime"],
        )
        latest = unique("pitr-ret-latest")
        client.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=latest, UseLatestRestorableTime=True)
        wait_table_active(client, latest)
        assert scan_all(client, latest) == [{"pk": S("a"), "v": N(2)}]
    finally:
        server.stop()
