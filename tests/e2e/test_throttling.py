"""Provisioned throughput enforced as DynamoDB does: token buckets per table
and global index with 300 seconds of burst capacity, charged the capacity
ReturnConsumedCapacity reports; ProvisionedThroughputExceededException with
ThrottlingReasons; batches return throttled requests unprocessed;
transactions are cancelled with ThrottlingError.

The tests assert outcomes and retry counts, never timings. Each uses a
table of its own with 1 unit per second, and a margin of several seconds
between what it spends and what accrues while it runs."""

import os
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, create_table
from harness import CREDENTIALS, REGION, SINGLE_ATTEMPT

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("HALYARD_TEST_ENDPOINT")), reason="DynamoDB Local does not throttle"
)

TABLE_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)


def item(pk, units, **extra):
    """An item that costs exactly `units` write units (1 KB each)."""
    # Attribute names and values count: "pk" + pk + "data" + the padding.
    padding = units * 1024 - 512 - len(pk) - 6
    return {"pk": {"S": pk}, "data": {"S": "x" * padding}, **extra}


def provisioned(client, name, read=1, write=1, **extra):
    create_table(
        client, name, BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write}, **extra,
    )
    return client.describe_table(TableName=name)["Table"]


def put_units(client, table, pk, units, **extra):
    response = client.put_item(TableName=table, Item=item(pk, units, **extra), ReturnConsumedCapacity="TOTAL")
    assert response["ConsumedCapacity"]["CapacityUnits"] == units
    return response


def throttled(excinfo, code="ProvisionedThroughputExceededException"):
    error = excinfo.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error


def spend_burst(client, table):
    """Spends 294 of a 1-unit table's 300 burst units: 6 are left."""
    put_units(client, table, "burst", 294)


@pytest.fixture
def once(server):
    """A client that sends each request once (no retries)."""
    return server.client(retries=SINGLE_ATTEMPT)


def test_a_spent_table_is_throttled_with_reasons(once, table_name):
    table = provisioned(once, table_name)
    spend_burst(once, table_name)
    with pytest.raises(ClientError) as excinfo:
        once.put_item(TableName=table_name, Item=item("next", 12))
    error = throttled(excinfo)
    assert error["Error"]["Message"] == TABLE_MESSAGE
    assert error["ThrottlingReasons"] == [
        {"reason": "TableWriteProvisionedThroughputExceeded", "resource": table["TableArn"]}
    ]
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    # Reads have their own capacity.
    assert once.get_item(TableName=table_name, Key={"pk": {"S": "burst"}})["Item"]["pk"] == {"S": "burst"}


def test_the_sdk_retries_a_throttled_request_until_it_succeeds(server, once, table_name):
    provisioned(once, table_name)
    spend_burst(once, table_name)
    # botocore's retry policy for DynamoDB: 10 attempts, 50 ms doubling
    # back-off (25 s in all; the request needs 6 s). Its newer "standard"
    # mode, the default, stops after 3 attempts and 0 to 3 s of random
    # back-off, too short to wait out a deficit of seconds.
    sdk = boto3.client(
        "dynamodb", endpoint_url=server.endpoint, region_name=REGION,
        config=Config(retries={"mode": "legacy"}), **CREDENTIALS,
    )
    response = sdk.put_item(TableName=table_name, Item=item("retried", 12))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RetryAttempts"] >= 1
    assert once.get_item(TableName=table_name, Key={"pk": {"S": "retried"}})["Item"]["pk"] == {"S": "retried"}


def test_unused_capacity_accrues_for_a_burst(once, table_name):
    provisioned(once, table_name)
    # A new table starts with 300 seconds of capacity: 294 units at once.
    spend_burst(once, table_name)
    with pytest.raises(ClientError) as excinfo:
        once.put_item(TableName=table_name, Item=item("too-soon", 12))
    throttled(excinfo)
    # Idle for long enough to accrue 12 units at 1 a second: they are
    # spent in one request.
    time.sleep(13)
    put_units(once, table_name, "after-idle", 12)


def test_a_spent_global_index_throttles_table_writes(once, table_name):
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
    once.create_table(
        TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=definitions,
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        }],
    )
    index_arn = once.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]["IndexArn"]
    response = once.put_item(
        TableName=table_name, Item=item("first", 293, g={"S": "a"}), ReturnConsumedCapacity="INDEXES",
    )
    assert response["ConsumedCapacity"]["GlobalSecondaryIndexes"]["by-g"]["CapacityUnits"] == 293
    with pytest.raises(ClientError) as excinfo:
        once.put_item(TableName=table_name, Item=item("second", 12, g={"S": "b"}))
    error = throttled(excinfo)
    assert error["ThrottlingReasons"] == [{"reason": "IndexWriteProvisionedThroughputExceeded", "resource": index_arn}]
    assert "global secondary indexes" in error["Error"]["Message"]
    assert "Item" not in once.get_item(TableName=table_name, Key={"pk": {"S": "second"}})
    # A write the index does not hold is not throttled by it.
    put_units(once, table_name, "unindexed", 12)


def test_raising_provisioned_throughput_unthrottles_at_once(once, table_name):
    provisioned(once, table_name)
    spend_burst(once, table_name)
    with pytest.raises(ClientError) as excinfo:
        once.put_item(TableName=table_name, Item=item("next", 12))
    throttled(excinfo)
    once.update_table(TableName=table_name, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 100})
    put_units(once, table_name, "next", 12)


def test_reads_are_throttled_per_table_and_per_index(once, table_name):
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]
    once.create_table(
        TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=definitions,
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1000},
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1000},
        }],
    )
    description = once.describe_table(TableName=table_name)["Table"]
    once.put_item(TableName=table_name, Item=item("big", 390, g={"S": "a"}))
    # A strongly consistent read of a 390 KB item costs 98 units: the
    # fourth spends the last of the burst and leaves a debt.
    reads = 0
    with pytest.raises(ClientError) as excinfo:
        for _ in range(10):
            once.get_item(TableName=table_name, Key={"pk": {"S": "big"}}, ConsistentRead=True)
            reads += 1
    assert reads == 4
    assert throttled(excinfo)["ThrottlingReasons"][0]["reason"] == "TableReadProvisionedThroughputExceeded"
    with pytest.raises(ClientError) as excinfo:
        once.scan(TableName=table_name)
    throttled(excinfo)
    # The index has its own read capacity.
    queried = 0
    with pytest.raises(ClientError) as excinfo:
        for _ in range(10):
            once.query(TableName=table_name, IndexName="by-g", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "a"}})
            queried += 1
    assert queried >= 1
    assert throttled(excinfo)["ThrottlingReasons"] == [
        {"reason": "IndexReadProvisionedThroughputExceeded", "resource": description["GlobalSecondaryIndexes"][0]["IndexArn"]}
    ]


def spend_into_debt(client, table):
    """A 390-unit write on a 1-unit table: about 90 seconds of debt."""
    put_units(client, table, "debt", 390)


def test_batch_write_returns_throttled_requests_unprocessed(once, table_name):
    throttled_table, free_table = table_name + "-p", table_name + "-f"
    provisioned(once, throttled_table)
    create_table(once, free_table)
    spend_into_debt(once, throttled_table)
    response = once.batch_write_item(RequestItems={
        throttled_table: [{"PutRequest": {"Item": item("a", 1)}}, {"DeleteRequest": {"Key": {"pk": {"S": "debt"}}}}],
        free_table: [{"PutRequest": {"Item": item("b", 1)}}],
    })
    assert response["UnprocessedItems"] == {
        throttled_table: [{"PutRequest": {"Item": item("a", 1)}}, {"DeleteRequest": {"Key": {"pk": {"S": "debt"}}}}],
    }
    assert "Item" in once.get_item(TableName=free_table, Key={"pk": {"S": "b"}})
    assert "Item" not in once.get_item(TableName=throttled_table, Key={"pk": {"S": "a"}})
    # When every request is throttled, the whole call is.
    with pytest.raises(ClientError) as excinfo:
        once.batch_write_item(RequestItems={throttled_table: [{"PutRequest": {"Item": item("c", 1)}}]})
    throttled(excinfo)


def test_batch_get_returns_throttled_keys_unprocessed(once, table_name):
    throttled_table, free_table = table_name + "-p", table_name + "-f"
    provisioned(once, throttled_table, read=1, write=1000)
    create_table(once, free_table)
    once.put_item(TableName=throttled_table, Item=item("big", 390))
    once.put_item(TableName=free_table, Item={"pk": {"S": "x"}})
    with pytest.raises(ClientError):
        for _ in range(10):
            once.get_item(TableName=throttled_table, Key={"pk": {"S": "big"}}, ConsistentRead=True)
    response = once.batch_get_item(RequestItems={
        throttled_table: {"Keys": [{"pk": {"S": "big"}}]},
        free_table: {"Keys": [{"pk": {"S": "x"}}]},
    })
    assert response["Responses"][free_table] == [{"pk": {"S": "x"}}]
    assert response["UnprocessedKeys"][throttled_table]["Keys"] == [{"pk": {"S": "big"}}]
    with pytest.raises(ClientError) as excinfo:
        once.batch_get_item(RequestItems={throttled_table: {"Keys": [{"pk": {"S": "big"}}]}})
    throttled(excinfo)


def test_transactions_on_a_spent_table_are_cancelled(once, table_name):
    throttled_table, free_table = table_name + "-p", table_name + "-f"
    provisioned(once, throttled_table)
    create_table(once, free_table)
    spend_into_debt(once, throttled_table)
    with pytest.raises(ClientError) as excinfo:
        once.transact_write_items(TransactItems=[
            {"Put": {"TableName": free_table, "Item": {"pk": {"S": "f"}}}},
            {"Put": {"TableName": throttled_table, "Item": {"pk": {"S": "p"}}}},
        ])
    error = excinfo.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ThrottlingError"]
    assert error["CancellationReasons"][1]["Message"] == TABLE_MESSAGE
    assert "Item" not in once.get_item(TableName=free_table, Key={"pk": {"S": "f"}})


def test_transact_get_on_a_spent_table_is_cancelled(once, table_name):
    provisioned(once, table_name, read=1, write=1000)
    once.put_item(TableName=table_name, Item=item("big", 390))
    with pytest.raises(ClientError):
        for _ in range(10):
            once.get_item(TableName=table_name, Key={"pk": {"S": "big"}}, ConsistentRead=True)
    with pytest.raises(ClientError) as excinfo:
        once.transact_get_items(TransactItems=[{"Get": {"TableName": table_name, "Key": {"pk": {"S": "big"}}}}])
    error = excinfo.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["ThrottlingError"]


def test_on_demand_maximum_throttles(once, table_name):
    create_table(once, table_name, OnDemandThroughput={"MaxWriteRequestUnits": 1})
    arn = once.describe_table(TableName=table_name)["Table"]["TableArn"]
    # A request larger than the maximum runs once, then the table waits it out.
    put_units(once, table_name, "big", 12)
    with pytest.raises(ClientError) as excinfo:
        once.put_item(TableName=table_name, Item={"pk": {"S": "small"}})
    # An on-demand maximum is a ThrottlingException, not a provisioned-capacity error (the developer
    # guide's "Diagnosing throttling", example 2), whose member is throttlingReasons (botocore's model).
    error = throttled(excinfo, "ThrottlingException")
    assert error["Error"]["Message"] == "Throughput exceeds the maximum OnDemandThroughput configured on table or index"
    assert error["throttlingReasons"] == [{"reason": "TableWriteMaxOnDemandThroughputExceeded", "resource": arn}]
    # Removing the maximum ends the throttling at once.
    once.update_table(TableName=table_name, OnDemandThroughput={"MaxWriteRequestUnits": -1})
    once.put_item(TableName=table_name, Item={"pk": {"S": "small"}})


def test_on_demand_tables_without_maximums_are_never_throttled(once, table_name):
    create_table(once, table_name)
    for n in range(5):
        put_units(once, table_name, f"big-{n}", 390)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_throttling_can_be_switched_off(workdir, table_name, how):
    if how == "flag":
        instance = Server(workdir / f"off-{table_name}", "--throttling", "off")
    else:
        instance = Server(workdir / f"off-{table_name}", env={**os.environ, "HALYARD_THROTTLING": "off"})
    instance.start()
    try:
        client = instance.client(retries=SINGLE_ATTEMPT)
        provisioned(client, table_name)
        for n in range(3):
            put_units(client, table_name, f"big-{n}", 390)
    finally:
        instance.stop()
