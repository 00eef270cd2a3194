"""Control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable."""

from conftest import create_table
from helpers import expect_error


def test_create_describe_delete_with_client(client, table_name):
    created = create_table(client, table_name, range_key=("sk", "N"), BillingMode="PROVISIONED",
                           ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
                           Tags=[{"Key": "team", "Value": "core"}])["TableDescription"]
    assert created["TableName"] == table_name
    assert created["TableStatus"] in ("CREATING", "ACTIVE")
    assert created["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]

    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    table = client.describe_table(TableName=table_name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}"
    assert len(table["TableId"]) == 36
    assert table["ItemCount"] == 0 and table["TableSizeBytes"] == 0
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}]
    assert table["CreationDateTime"].year >= 2024

    deleted = client.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["TableName"] == table_name
    client.get_waiter("table_not_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    expect_error(client.describe_table, "ResourceNotFoundException",
                 f"Requested resource not found: Table: {table_name} not found", TableName=table_name)


def test_item_count_and_size_are_tracked(client, table_name):
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "v": {"S": "12345"}})
    client.put_item(TableName=table_name, Item={"pk": {"S": "b"}})
    client.put_item(TableName=table_name, Item={"pk": {"S": "b"}, "x": {"N": "1"}})
    table = client.describe_table(TableName=table_name)["Table"]
    assert table["ItemCount"] == 2
    # sizes by DynamoDB's rules: name bytes + value bytes
    assert table["TableSizeBytes"] == (2 + 1 + 1 + 5) + (2 + 1 + 1 + 2)
    client.delete_item(TableName=table_name, Key={"pk": {"S": "a"}})
    assert client.describe_table(TableName=table_name)["Table"]["ItemCount"] == 1


def test_pay_per_request_and_update_table(client, table_name):
    create_table(client, table_name)
    table = client.describe_table(TableName=table_name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 0

    expect_error(client.update_table, "ValidationException",
                 "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                 TableName=table_name, BillingMode="PROVISIONED")
    updated = client.update_table(TableName=table_name, BillingMode="PROVISIONED",
                                  ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})["TableDescription"]
    assert updated["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert updated["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    expect_error(client.update_table, "ValidationException", contains="The requested value equals the current value",
                 TableName=table_name, ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    client.update_table(TableName=table_name, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 4})
    table = client.describe_table(TableName=table_name)["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
    assert table["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 1
    assert "LastDecreaseDateTime" in table["ProvisionedThroughput"]
    client.update_table(TableName=table_name, BillingMode="PAY_PER_REQUEST")
    assert client.describe_table(TableName=table_name)["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    expect_error(client.update_table, "ValidationException", contains="At least one of ProvisionedThroughput",
                 TableName=table_name)
    expect_error(client.update_table, "ResourceNotFoundException", TableName=table_name + "-missing",
                 BillingMode="PAY_PER_REQUEST")


def test_list_tables_paginates(server):
    client = server.client()
    prefix = "list-" + __import__("uuid").uuid4().hex[:6]
    names = sorted(f"{prefix}-{i:02d}" for i in range(7))
    for name in names:
        create_table(client, name)
    listed = [n for n in client.list_tables(Limit=100)["TableNames"] if n.startswith(prefix)]
    assert listed == names

    page = client.list_tables(ExclusiveStartTableName=names[0], Limit=3)
    assert page["TableNames"] == names[1:4]
    assert page["LastEvaluatedTableName"] == names[3]

    paged = []
    for response in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        paged.extend(n for n in response["TableNames"] if n.startswith(prefix))
    assert paged == names
    lax = server.client(parameter_validation=False)
    expect_error(lax.list_tables, "ValidationException",
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
                 Limit=0)
    expect_error(lax.list_tables, "ValidationException",
                 "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
                 Limit=101)


def test_resource_api_create_and_wait(server, table_name):
    dynamodb = server.resource()
    table = dynamodb.create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "employee_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "employee_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table.wait_until_exists()
    assert table.table_status == "ACTIVE"
    assert table.key_schema == [{"AttributeName": "employee_id", "KeyType": "HASH"}]
    assert table_name in [t.name for t in dynamodb.tables.all()]
    table.delete()
    table.wait_until_not_exists()


def test_create_table_validation(server, table_name):
    client = server.client(parameter_validation=False)
    key = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    ppr = {"BillingMode": "PAY_PER_REQUEST"}
    cases = [
        (dict(TableName="ab", KeySchema=key, AttributeDefinitions=attrs, **ppr),
         "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"),
        (dict(TableName="x" * 256, KeySchema=key, AttributeDefinitions=attrs, **ppr),
         f"1 validation error detected: Value '{'x' * 256}' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255"),
        (dict(TableName="bad name!", KeySchema=key, AttributeDefinitions=attrs, **ppr),
         "1 validation error detected: Value 'bad name!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
        (dict(TableName=table_name, AttributeDefinitions=attrs, **ppr),
         "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null"),
        (dict(TableName=table_name, KeySchema=key * 2, AttributeDefinitions=attrs, **ppr),
         "Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key"),
        (dict(TableName=table_name, KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}], AttributeDefinitions=attrs, **ppr),
         "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key"),
        (dict(TableName=table_name, KeySchema=[{"AttributeName": "other", "KeyType": "HASH"}], AttributeDefinitions=attrs, **ppr),
         "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [other], AttributeDefinitions: [pk]"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=attrs + [{"AttributeName": "extra", "AttributeType": "S"}], **ppr),
         "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=attrs * 2, **ppr),
         "Cannot have two attributes with the same name"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}], **ppr),
         "1 validation error detected: Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [S, N, B]"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=attrs),
         "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST",
              ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
         "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=attrs,
              ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}),
         "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        (dict(TableName=table_name, KeySchema=key, AttributeDefinitions=attrs, BillingMode="FOO"),
         "1 validation error detected: Value 'FOO' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"),
    ]
    for request, message in cases:
        expect_error(client.create_table, "ValidationException", message, **request)
    assert table_name not in client.list_tables()["TableNames"]

    create_table(client, table_name)
    expect_error(client.create_table, "ResourceInUseException", f"Table already exists: {table_name}",
                 TableName=table_name, KeySchema=key, AttributeDefinitions=attrs, **ppr)


def test_missing_tables(client, table_name):
    expect_error(client.delete_table, "ResourceNotFoundException",
                 f"Requested resource not found: Table: {table_name} not found", TableName=table_name)
    expect_error(client.put_item, "ResourceNotFoundException", "Requested resource not found",
                 TableName=table_name, Item={"pk": {"S": "x"}})
    expect_error(client.get_item, "ResourceNotFoundException", "Requested resource not found",
                 TableName=table_name, Key={"pk": {"S": "x"}})
    expect_error(client.delete_item, "ResourceNotFoundException", "Requested resource not found",
                 TableName=table_name, Key={"pk": {"S": "x"}})
    expect_error(client.scan, "ResourceNotFoundException", "Requested resource not found", TableName=table_name)


def test_recreated_table_starts_empty(client, table_name):
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "old"}})
    client.delete_table(TableName=table_name)
    create_table(client, table_name, hash_key=("id", "N"))
    assert client.scan(TableName=table_name)["Items"] == []
    assert client.describe_table(TableName=table_name)["Table"]["ItemCount"] == 0
