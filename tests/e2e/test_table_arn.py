"""A table's ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME, as DescribeTable
returns it) is accepted wherever a TableName is: the item operations, Query
and Scan, DescribeTable, UpdateTable and DeleteTable, the RequestItems keys of
the batch operations, and transactions. Responses name the table as the request
did (ConsumedCapacity: "If you had specified the ARN of a table in the input,
you'll see the table ARN in the response"; batch Responses are keyed by the
RequestItems keys).

DynamoDB Local 1.25.1 refuses every ARN as an invalid table name; see
ORACLE_NOTES.md."""

import pytest

from helpers import expect_error

VE = "ValidationException"


def S(v):
    return {"S": v}


@pytest.fixture
def table(client, table_name):
    client.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    arn = client.describe_table(TableName=table_name)["Table"]["TableArn"]
    assert arn.endswith(f":table/{table_name}")
    return table_name, arn


def test_item_operations_query_and_scan_by_arn(client, table):
    name, arn = table
    consumed = client.put_item(TableName=arn, Item={"pk": S("a"), "sk": S("1"), "v": S("x")},
                               ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert consumed == {"TableName": arn, "CapacityUnits": 1.0}
    # The item is the table's, whichever way it is named.
    assert client.get_item(TableName=name, Key={"pk": S("a"), "sk": S("1")})["Item"]["v"] == S("x")
    got = client.get_item(TableName=arn, Key={"pk": S("a"), "sk": S("1")}, ReturnConsumedCapacity="TOTAL")
    assert got["Item"]["v"] == S("x")
    assert got["ConsumedCapacity"]["TableName"] == arn
    updated = client.update_item(TableName=arn, Key={"pk": S("a"), "sk": S("1")}, UpdateExpression="SET v = :v",
                                 ExpressionAttributeValues={":v": S("y")}, ReturnValues="ALL_NEW",
                                 ReturnConsumedCapacity="INDEXES")
    assert updated["Attributes"]["v"] == S("y")
    assert updated["ConsumedCapacity"]["TableName"] == arn
    client.put_item(TableName=name, Item={"pk": S("a"), "sk": S("2")})
    page = client.query(TableName=arn, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": S("a")},
                        ReturnConsumedCapacity="TOTAL")
    assert [i["sk"]["S"] for i in page["Items"]] == ["1", "2"]
    assert page["ConsumedCapacity"]["TableName"] == arn
    page = client.scan(TableName=arn, ReturnConsumedCapacity="TOTAL")
    assert page["Count"] == 2 and page["ConsumedCapacity"]["TableName"] == arn
    # Without ReturnConsumedCapacity the name does not matter.
    client.delete_item(TableName=arn, Key={"pk": S("a"), "sk": S("2")})
    assert client.scan(TableName=name)["Count"] == 1


def test_table_operations_by_arn(client, table):
    name, arn = table
    described = client.describe_table(TableName=arn)["Table"]
    assert described["TableName"] == name and described["TableArn"] == arn
    updated = client.update_table(TableName=arn, DeletionProtectionEnabled=True)["TableDescription"]
    assert updated["TableName"] == name and updated["DeletionProtectionEnabled"] is True
    expect_error(client.delete_table, VE, TableName=arn, contains="protected against deletion")
    # Time to Live and the backup status take the ARN too.
    client.update_time_to_live(TableName=arn, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert client.describe_time_to_live(TableName=arn)["TimeToLiveDescription"]["AttributeName"] == "exp"
    assert client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]["AttributeName"] == "exp"
    backups = client.describe_continuous_backups(TableName=arn)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    client.update_table(TableName=arn, DeletionProtectionEnabled=False)
    deleted = client.delete_table(TableName=arn)["TableDescription"]
    assert deleted["TableName"] == name
    expect_error(client.describe_table, "ResourceNotFoundException", TableName=arn,
                 message=f"Requested resource not found: Table: {name} not found")


def test_batches_by_arn(client, table):
    name, arn = table
    written = client.batch_write_item(RequestItems={arn: [{"PutRequest": {"Item": {"pk": S("b"), "sk": S(str(i))}}}
                                                          for i in range(3)]},
                                      ReturnConsumedCapacity="TOTAL")
    assert written["UnprocessedItems"] == {}
    assert written["ConsumedCapacity"] == [{"TableName": arn, "CapacityUnits": 3.0}]
    keys = [{"pk": S("b"), "sk": S(str(i))} for i in range(3)]
    got = client.batch_get_item(RequestItems={arn: {"Keys": keys}}, ReturnConsumedCapacity="TOTAL")
    # Responses are keyed by the RequestItems key, here the ARN.
    assert set(got["Responses"]) == {arn}
    assert sorted(i["sk"]["S"] for i in got["Responses"][arn]) == ["0", "1", "2"]
    assert got["UnprocessedKeys"] == {}
    assert got["ConsumedCapacity"] == [{"TableName": arn, "CapacityUnits": 1.5}]
    # The same item named once by name and once by ARN is one item.
    expect_error(client.batch_write_item, VE, RequestItems={
        arn: [{"DeleteRequest": {"Key": keys[0]}}], name: [{"DeleteRequest": {"Key": keys[0]}}]},
        message="Provided list of item keys contains duplicates")


def test_transactions_by_arn(client, table):
    name, arn = table
    written = client.transact_write_items(TransactItems=[
        {"Put": {"TableName": arn, "Item": {"pk": S("t"), "sk": S("1")}}},
        {"Update": {"TableName": arn, "Key": {"pk": S("t"), "sk": S("2")}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": S("x")}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert [c["TableName"] for c in written["ConsumedCapacity"]] == [arn]
    got = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": arn, "Key": {"pk": S("t"), "sk": S("1")}}},
        {"Get": {"TableName": name, "Key": {"pk": S("t"), "sk": S("2")}}},
    ])
    assert [r["Item"]["sk"]["S"] for r in got["Responses"]] == ["1", "2"]
    # One item, once by ARN and once by name, is two operations on one item.
    error = expect_error(client.transact_write_items, VE, TransactItems=[
        {"Delete": {"TableName": arn, "Key": {"pk": S("t"), "sk": S("1")}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": S("t"), "sk": S("1")},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ])
    assert "multiple operations on one item" in error["Error"]["Message"]
    # A condition on a table named by ARN is checked like any other.
    error = expect_error(client.transact_write_items, "TransactionCanceledException", TransactItems=[
        {"ConditionCheck": {"TableName": arn, "Key": {"pk": S("t"), "sk": S("9")},
                            "ConditionExpression": "attribute_exists(pk)"}}])
    assert error["CancellationReasons"] == [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]


def other(arn, position, value):
    parts = arn.split(":")
    parts[position] = value
    return ":".join(parts)


def test_refused_arns(client, lax, table):
    name, arn = table
    key = {"pk": S("a"), "sk": S("1")}
    invalid = [
        arn + "/index/by_x",             # an index, not a table
        arn.replace(":table/", ":stream/"),
        arn.replace(":dynamodb:", ":s3:"),
        arn[: arn.index(":table/")] + ":table/",  # no name
        arn[: arn.index(":table/")] + ":table/a;b",
        "arn:aws:dynamodb",
        "arn:",
        other(arn, 3, "eu-west-3"),      # another region
    ]
    for bad in invalid:
        for call, kwargs in [(client.get_item, {"Key": key}), (client.describe_table, {})]:
            expect_error(call, VE, TableName=bad, message=f"Invalid TableArn: Invalid ResourceArn provided as input {bad}",
                         **kwargs)
    # A table of another account: access is denied (no resource-based policy grants it).
    foreign = other(arn, 4, "123456789012")
    error = expect_error(client.get_item, "AccessDeniedException", TableName=foreign, Key=key)
    assert error["Error"]["Message"].endswith(
        f"is not authorized to perform: dynamodb:GetItem on resource: {foreign} because no resource-based policy "
        f"allows the dynamodb:GetItem action")
    expect_error(client.batch_get_item, "AccessDeniedException", RequestItems={foreign: {"Keys": [key]}},
                 contains="dynamodb:BatchGetItem")
    # An ARN of this region and account naming no table.
    missing = arn.replace(f"table/{name}", f"table/{name}-gone")
    expect_error(client.get_item, "ResourceNotFoundException", TableName=missing, Key=key,
                 message="Requested resource not found")
    expect_error(client.describe_table, "ResourceNotFoundException", TableName=missing,
                 message=f"Requested resource not found: Table: {name}-gone not found")
    # As an ARN a TableName may be up to 1024 characters (a name stays at most 255).
    long = arn + "x" * (1025 - len(arn))
    expect_error(lax.get_item, VE, TableName=long, Key=key,
                 message=f"1 validation error detected: Value '{long}' at 'tableName' failed to satisfy constraint: "
                         f"Member must have length less than or equal to 1024")
    within = arn + "x" * (1024 - len(arn))
    expect_error(lax.get_item, VE, TableName=within, Key=key,
                 message=f"Invalid TableArn: Invalid ResourceArn provided as input {within}")
    expect_error(lax.describe_table, VE, TableName="x" * 256, contains="have length less than or equal to 255")
