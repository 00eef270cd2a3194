"""DynamoDB Streams end to end with boto3's `dynamodbstreams` client and the
AWS CLI: stream specifications, every view type, every iterator type,
shard roll-over and lineage, every write path, no records for no-op
writes, retention, restarts and kill -9."""

import json
import time

import os

import botocore.exceptions
import pytest

from conftest import create_table
from test_cli import aws
from test_durability import kill_during_writes

KEY = {"AttributeName": "pk", "AttributeType": "S"}
# DynamoDB Local (the oracle) predates AT_TIMESTAMP and fails on some
# inputs (tests/e2e/ORACLE_NOTES.md): those checks run against Halyard only.
AGAINST_LOCAL = bool(os.environ.get("HALYARD_TEST_ENDPOINT"))


def stream_table(client, name, view_type="NEW_AND_OLD_IMAGES", **extra):
    create_table(client, name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type}, **extra)
    return client.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def shards(streams, arn):
    """Every shard of a stream, across DescribeStream pages."""
    found, start = [], None
    while True:
        kwargs = {"ExclusiveStartShardId": start} if start else {}
        description = streams.describe_stream(StreamArn=arn, **kwargs)["StreamDescription"]
        found.extend(description["Shards"])
        start = description.get("LastEvaluatedShardId")
        if not start:
            return found


def read_shard(streams, arn, shard_id, iterator_type="TRIM_HORIZON", **kwargs):
    """Records of one shard from an iterator, following NextShardIterator
    until it ends (closed shard) or a read comes back empty (open shard)."""
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id, ShardIteratorType=iterator_type, **kwargs)["ShardIterator"]
    records = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator)
        records.extend(page["Records"])
        iterator = page.get("NextShardIterator")
        if not page["Records"]:
            break
    return records


def read_stream(streams, arn):
    """Every record of a stream, parents before children."""
    records = []
    for shard in shards(streams, arn):
        records.extend(read_shard(streams, arn, shard["ShardId"]))
    return records


def summary(records):
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records]


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**kwargs)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.fixture
def streams(server):
    return server.streams(parameter_validation=False)


def test_stream_specification_lifecycle(client, streams, table_name):
    create_table(client, table_name)
    table = client.describe_table(TableName=table_name)["Table"]
    assert "StreamSpecification" not in table and "LatestStreamArn" not in table
    assert error_of(client.update_table, TableName=table_name, StreamSpecification={"StreamEnabled": True}) == (
        "ValidationException",
        "Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.")
    assert error_of(client.update_table, TableName=table_name,
                    StreamSpecification={"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}) == (
        "ValidationException",
        "Invalid StreamViewType: Stream StreamEnabled was false but a StreamViewType was present.")
    assert error_of(client.update_table, TableName=table_name, StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException", "Table has no stream to disable")

    enabled = client.update_table(TableName=table_name,
                                  StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    first = enabled["TableDescription"]
    assert first["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert first["LatestStreamArn"] == f"{first['TableArn']}/stream/{first['LatestStreamLabel']}"
    assert error_of(client.update_table, TableName=table_name,
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}) == (
        "ValidationException", "Table already has an enabled stream")

    client.put_item(TableName=table_name, Item={"pk": {"S": "before-disable"}})
    disabled = client.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
    table = disabled["TableDescription"]
    assert "StreamSpecification" not in table
    assert table["LatestStreamArn"] == first["LatestStreamArn"]
    # A disabled stream stays readable, its shard closed.
    description = streams.describe_stream(StreamArn=first["LatestStreamArn"])["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in description["Shards"])
    assert summary(read_stream(streams, first["LatestStreamArn"])) == [("INSERT", "before-disable")]
    client.put_item(TableName=table_name, Item={"pk": {"S": "while-disabled"}})

    # Enabling again makes a new stream.
    again = client.update_table(TableName=table_name,
                                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    second = again["TableDescription"]["LatestStreamArn"]
    assert second != first["LatestStreamArn"]
    client.put_item(TableName=table_name, Item={"pk": {"S": "after"}})
    assert summary(read_stream(streams, second)) == [("INSERT", "after")]
    listed = streams.list_streams(TableName=table_name)["Streams"]
    # Newest first.
    assert [s["StreamArn"] for s in listed] == [second, first["LatestStreamArn"]]
    assert all(s["TableName"] == table_name for s in listed)


def test_create_table_stream_specification_is_validated(client, table_name):
    base = dict(TableName=table_name, AttributeDefinitions=[KEY],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    assert error_of(client.create_table, **base, StreamSpecification={"StreamEnabled": True}) == (
        "ValidationException",
        "Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.")
    assert error_of(client.create_table, **base,
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": "ALL"}) == (
        "ValidationException", "Invalid StreamViewType: ALL")
    # A disabled specification creates no stream.
    client.create_table(**base, StreamSpecification={"StreamEnabled": False})
    assert "LatestStreamArn" not in client.describe_table(TableName=table_name)["Table"]


@pytest.mark.parametrize("view_type,new,old", [
    ("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False),
    ("OLD_IMAGE", False, True), ("NEW_AND_OLD_IMAGES", True, True),
])
def test_every_view_type_holds_its_images(client, streams, table_name, view_type, new, old):
    arn = stream_table(client, table_name, view_type)
    client.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    client.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"N": "2"}})
    client.delete_item(TableName=table_name, Key={"pk": {"S": "a"}})
    records = read_stream(streams, arn)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    images = [({"pk": {"S": "a"}, "v": {"N": "1"}}, None),
              ({"pk": {"S": "a"}, "v": {"N": "2"}}, {"pk": {"S": "a"}, "v": {"N": "1"}}),
              (None, {"pk": {"S": "a"}, "v": {"N": "2"}})]
    sequence_numbers = []
    for record, (new_image, old_image) in zip(records, images):
        change = record["dynamodb"]
        assert record["eventVersion"] == "1.1" and record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == arn.split(":")[3] and len(record["eventID"]) == 36
        assert change["Keys"] == {"pk": {"S": "a"}}
        assert change["StreamViewType"] == view_type
        assert change.get("NewImage") == (new_image if new else None)
        assert change.get("OldImage") == (old_image if old else None)
        size = 3 + (6 if new and new_image else 0) + (6 if old and old_image else 0)
        assert change["SizeBytes"] == size
        assert abs(change["ApproximateCreationDateTime"].timestamp() - time.time()) < 120
        sequence_numbers.append(change["SequenceNumber"])
    assert all(len(n) == 21 and n.isdigit() for n in sequence_numbers)
    assert sequence_numbers == sorted(sequence_numbers) and len(set(sequence_numbers)) == 3


def test_every_write_path_records_in_order_and_no_op_writes_do_not(client, streams, table_name):
    arn = stream_table(client, table_name, range_key=("sk", "N"))
    key = lambda pk: {"pk": {"S": pk}, "sk": {"N": "1"}}  # noqa: E731
    client.put_item(TableName=table_name, Item={**key("put"), "v": {"S": "x"}})
    client.put_item(TableName=table_name, Item={**key("put"), "v": {"S": "x"}})  # same item: no record
    client.update_item(TableName=table_name, Key=key("put"), UpdateExpression="SET v = :v",
                       ExpressionAttributeValues={":v": {"S": "x"}})  # changes nothing: no record
    client.update_item(TableName=table_name, Key=key("update"), UpdateExpression="SET v = :v",
                       ExpressionAttributeValues={":v": {"S": "y"}})
    client.delete_item(TableName=table_name, Key=key("missing"))  # deletes nothing: no record
    with pytest.raises(botocore.exceptions.ClientError):
        client.put_item(TableName=table_name, Item=key("put"), ConditionExpression="attribute_not_exists(pk)")
    client.batch_write_item(RequestItems={table_name: [
        {"PutRequest": {"Item": key("batch-1")}},
        {"PutRequest": {"Item": key("batch-2")}},
        {"DeleteRequest": {"Key": key("put")}},
    ]})
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": table_name, "Item": key("tx-put")}},
        {"Update": {"TableName": table_name, "Key": key("update"), "UpdateExpression": "SET w = :w",
                    "ExpressionAttributeValues": {":w": {"N": "1"}}}},
        {"Delete": {"TableName": table_name, "Key": key("batch-1")}},
        {"ConditionCheck": {"TableName": table_name, "Key": key("batch-2"),
                            "ConditionExpression": "attribute_exists(pk)"}},
    ])
    # A cancelled transaction records nothing.
    with pytest.raises(botocore.exceptions.ClientError):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": key("never")}},
            {"ConditionCheck": {"TableName": table_name, "Key": key("missing"),
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert summary(read_stream(streams, arn)) == [
        ("INSERT", "put"), ("INSERT", "update"),
        ("INSERT", "batch-1"), ("INSERT", "batch-2"), ("REMOVE", "put"),
        ("INSERT", "tx-put"), ("MODIFY", "update"), ("REMOVE", "batch-1"),
    ]


def test_iterator_types(client, streams, table_name):
    arn = stream_table(client, table_name)
    for pk in "abc":
        client.put_item(TableName=table_name, Item={"pk": {"S": pk}})
    shard = shards(streams, arn)[0]["ShardId"]
    everything = read_shard(streams, arn, shard)
    numbers = [r["dynamodb"]["SequenceNumber"] for r in everything]
    assert summary(everything) == [("INSERT", "a"), ("INSERT", "b"), ("INSERT", "c")]
    assert summary(read_shard(streams, arn, shard, "AT_SEQUENCE_NUMBER", SequenceNumber=numbers[1])) == [
        ("INSERT", "b"), ("INSERT", "c")]
    assert summary(read_shard(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[1])) == [
        ("INSERT", "c")]
    if not AGAINST_LOCAL:
        created = everything[0]["dynamodb"]["ApproximateCreationDateTime"]
        assert summary(read_shard(streams, arn, shard, "AT_TIMESTAMP", Timestamp=created)) == summary(everything)
        future = time.time() + 3600
        assert read_shard(streams, arn, shard, "AT_TIMESTAMP", Timestamp=future) == []

    # LATEST sees only what comes after it; an open shard always has a next iterator.
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    empty = streams.get_records(ShardIterator=latest)
    assert empty["Records"] == [] and empty["NextShardIterator"]
    client.put_item(TableName=table_name, Item={"pk": {"S": "d"}})
    page = streams.get_records(ShardIterator=empty["NextShardIterator"])
    assert summary(page["Records"]) == [("INSERT", "d")]

    # Limit pages through the records.
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = streams.get_records(ShardIterator=iterator, Limit=2)
    second = streams.get_records(ShardIterator=first["NextShardIterator"], Limit=2)
    assert summary(first["Records"] + second["Records"]) == [("INSERT", pk) for pk in "abcd"]


def test_stream_api_errors(client, streams, table_name):
    arn = stream_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
    shard = shards(streams, arn)[0]["ShardId"]
    sequence = read_shard(streams, arn, shard)[0]["dynamodb"]["SequenceNumber"]
    get_iterator = streams.get_shard_iterator
    assert error_of(get_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER") == (
        "ValidationException", "One or more parameter values were invalid: Invalid SequenceNumber")
    assert error_of(get_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON",
                    SequenceNumber=sequence) == (
        "ValidationException",
        "One or more parameter values were invalid: SequenceNumber should not be passed for this iterator type")
    beyond = "9" * 21 if not AGAINST_LOCAL else "000000000000000000099"
    assert error_of(get_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                    SequenceNumber=beyond) == ("ValidationException", "Invalid SequenceNumber for the shard")
    assert error_of(get_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                    SequenceNumber="1") == (
        "ValidationException", "1 validation error detected: Value '1' at 'sequenceNumber' failed to satisfy "
        "constraint: Member must have length greater than or equal to 21")
    assert error_of(get_iterator, StreamArn=arn, ShardId=shard[:-1] + "x", ShardIteratorType="LATEST")[0] == (
        "ResourceNotFoundException")
    assert error_of(get_iterator, StreamArn=arn[:-3] + "999", ShardId=shard, ShardIteratorType="LATEST")[0] == (
        "ResourceNotFoundException")
    assert error_of(get_iterator, StreamArn=arn, ShardId=shard, ShardIteratorType="BOGUS") == (
        "ValidationException", "Invalid ShardIteratorType.")
    assert error_of(streams.get_records, ShardIterator="garbage") == ("ValidationException", "Invalid ShardIterator")
    iterator = get_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    assert error_of(streams.get_records, ShardIterator=iterator, Limit=0) == (
        "ValidationException", "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1")
    assert error_of(streams.get_records, ShardIterator=iterator, Limit=1001) == (
        "ValidationException", "One or more parameter values were invalid: Limit should be less than or equal to 1000")
    missing = arn[:-3] + "999"
    assert error_of(streams.describe_stream, StreamArn=missing) == (
        "ResourceNotFoundException", f"Requested resource not found: Stream: {missing} not found")
    assert error_of(streams.describe_stream, StreamArn=arn, Limit=101) == (
        "ValidationException", "One or more parameter values were invalid: Limit cannot be greater than the maximum: 100")
    assert error_of(streams.list_streams, Limit=101) == (
        "ValidationException",
        "One or more parameter values were invalid: Limit cannot be greater than the maximum allowed size: 100")
    assert streams.list_streams(TableName="no-such-table")["Streams"] == []


def test_list_streams_pages(client, streams, table_name):
    arns = [stream_table(client, f"{table_name}-{i}") for i in range(3)]
    seen, start = [], None
    while True:
        kwargs = {"ExclusiveStartStreamArn": start} if start else {}
        page = streams.list_streams(Limit=1, **kwargs)
        seen.extend(s["StreamArn"] for s in page["Streams"])
        start = page.get("LastEvaluatedStreamArn")
        if not start:
            break
    assert set(arns) <= set(seen) and len(seen) == len(set(seen))


def test_shards_roll_over_and_consumers_follow_lineage(fresh_server):
    server = fresh_server
    server.extra_args = ["--stream-shard-interval", "0.5"]
    server.start()
    client, streams = server.client(), server.streams()
    arn = stream_table(client, "rolling")
    written = []
    for i in range(8):
        client.put_item(TableName="rolling", Item={"pk": {"S": f"k{i}"}})
        written.append(("INSERT", f"k{i}"))
        time.sleep(0.3)
    found = shards(streams, arn)
    assert len(found) >= 3
    # One lineage: each shard's parent is the one before; only the last is open.
    assert "ParentShardId" not in found[0]
    for parent, child in zip(found, found[1:]):
        assert child["ParentShardId"] == parent["ShardId"]
        assert int(parent["SequenceNumberRange"]["EndingSequenceNumber"]) < int(
            child["SequenceNumberRange"]["StartingSequenceNumber"])
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in found[:-1])
    assert "EndingSequenceNumber" not in found[-1]["SequenceNumberRange"]
    children = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS",
                                                                   "ShardId": found[0]["ShardId"]})
    assert [s["ShardId"] for s in children["StreamDescription"]["Shards"]] == [found[1]["ShardId"]]
    # A closed shard's reader comes to its end: no next iterator.
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=found[0]["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = streams.get_records(ShardIterator=iterator)
    assert page["Records"] and "NextShardIterator" not in page
    assert summary(read_stream(streams, arn)) == written
    # DescribeStream pages through the shards.
    first_page = streams.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]
    assert len(first_page["Shards"]) == 1 and first_page["LastEvaluatedShardId"] == found[0]["ShardId"]


def test_records_age_out_after_retention(fresh_server):
    server = fresh_server
    server.extra_args = ["--stream-retention", "1"]
    server.start()
    client, streams = server.client(), server.streams()
    arn = stream_table(client, "aging")
    client.put_item(TableName="aging", Item={"pk": {"S": "old"}})
    shard = shards(streams, arn)[0]["ShardId"]
    old = read_shard(streams, arn, shard)[0]["dynamodb"]["SequenceNumber"]
    stale = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                       SequenceNumber=old)["ShardIterator"]
    deadline = time.time() + 30
    while read_shard(streams, arn, shard) and time.time() < deadline:
        time.sleep(0.5)
    assert read_shard(streams, arn, shard) == []
    assert error_of(streams.get_records, ShardIterator=stale)[0] == "TrimmedDataAccessException"
    assert error_of(streams.get_shard_iterator, StreamArn=arn, ShardId=shard,
                    ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=old)[0] == "TrimmedDataAccessException"
    client.put_item(TableName="aging", Item={"pk": {"S": "new"}})
    assert summary(read_shard(streams, arn, shard)) == [("INSERT", "new")]
    # A deleted table's stream goes once its retention has passed.
    client.delete_table(TableName="aging")
    deadline = time.time() + 30
    while streams.list_streams(TableName="aging")["Streams"] and time.time() < deadline:
        time.sleep(0.5)
    assert streams.list_streams(TableName="aging")["Streams"] == []
    assert error_of(streams.describe_stream, StreamArn=arn)[0] == "ResourceNotFoundException"


def test_deleted_tables_leave_a_readable_disabled_stream(client, streams, table_name):
    arn = stream_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
    deleted = client.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["LatestStreamArn"] == arn
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED" and description["TableName"] == table_name
    assert summary(read_stream(streams, arn)) == [("INSERT", "a")]


def test_streams_survive_restarts_and_sequence_numbers_keep_growing(fresh_server):
    server = fresh_server.start()
    client = server.client()
    arn = stream_table(client, "durable")
    client.put_item(TableName="durable", Item={"pk": {"S": "before"}})
    server.stop()
    server.start()
    client, streams = server.client(), server.streams()
    client.put_item(TableName="durable", Item={"pk": {"S": "after"}})
    records = read_stream(streams, arn)
    assert summary(records) == [("INSERT", "before"), ("INSERT", "after")]
    first, second = (int(r["dynamodb"]["SequenceNumber"]) for r in records)
    assert second > first


def test_every_acknowledged_write_has_exactly_one_record_across_kill_9(fresh_server):
    server = fresh_server.start()
    arn = stream_table(server.client(), "crashing", "KEYS_ONLY", range_key=("sk", "N"))

    def put(client, writer_id, seq):
        client.put_item(TableName="crashing", Item={"pk": {"S": f"w{writer_id}"}, "sk": {"N": str(seq)}})
        return seq

    acknowledged = kill_during_writes(server, put, writers=4, minimum=200)
    server.start()
    client, streams = server.client(), server.streams()
    records = read_stream(streams, arn)
    recorded = [(r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["Keys"]["sk"]["N"])) for r in records]
    assert len(recorded) == len(set(recorded)), "a write has two records"
    stored = set()
    for page in client.get_paginator("scan").paginate(TableName="crashing", ConsistentRead=True):
        stored.update((item["pk"]["S"], int(item["sk"]["N"])) for item in page["Items"])
    # Every acknowledged write has its record, and every record its write.
    assert {(f"w{writer}", seq) for writer, seq in acknowledged} <= set(recorded)
    assert set(recorded) == stored
    # Per item, in commit order: each writer's sequence numbers grow with its writes.
    for writer in {pk for pk, _ in recorded}:
        mine = [seq for pk, seq in recorded if pk == writer]
        assert mine == sorted(mine)


def test_the_aws_cli_reads_a_stream(server, client, table_name):
    def cli(*args):
        return json.loads(aws(server, *args, service="dynamodbstreams").stdout)

    arn = stream_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "cli"}})
    listed = cli("list-streams", "--table-name", table_name)
    assert [s["StreamArn"] for s in listed["Streams"]] == [arn]
    shard = cli("describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]
    iterator = cli("get-shard-iterator", "--stream-arn", arn, "--shard-id", shard["ShardId"],
                   "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    records = cli("get-records", "--shard-iterator", iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in records] == [("INSERT", {"pk": {"S": "cli"}})]


def test_time_to_live_deletes_are_recorded_as_the_service(fresh_server):
    server = fresh_server
    server.extra_args = ["--ttl-interval", "0.2"]
    server.start()
    client, streams = server.client(), server.streams()
    arn = stream_table(client, "expiring")
    client.update_time_to_live(TableName="expiring",
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    past = str(int(time.time()) - 60)
    client.put_item(TableName="expiring", Item={"pk": {"S": "gone"}, "expires": {"N": past}})
    client.delete_item(TableName="expiring", Key={"pk": {"S": "kept"}})
    client.put_item(TableName="expiring", Item={"pk": {"S": "kept"}})
    client.delete_item(TableName="expiring", Key={"pk": {"S": "kept"}})
    deadline = time.time() + 60
    while len(read_stream(streams, arn)) < 4 and time.time() < deadline:
        time.sleep(0.2)
    records = read_stream(streams, arn)
    # DynamoDB orders a stream per item; when the sweep deletes "gone"
    # against the writes of "kept" depends on the machine's speed.
    assert len(records) == 4
    assert [r for r in summary(records) if r[1] == "gone"] == [("INSERT", "gone"), ("REMOVE", "gone")]
    assert [r for r in summary(records) if r[1] == "kept"] == [("INSERT", "kept"), ("REMOVE", "kept")]
    by_service = [r for r in records if "userIdentity" in r]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in by_service] == ["gone"]
    assert by_service[0]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert by_service[0]["dynamodb"]["OldImage"] == {"pk": {"S": "gone"}, "expires": {"N": past}}
