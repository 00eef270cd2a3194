"""Random and malformed requests to every operation: always a DynamoDB
client error (4xx with a __type), never a 500 or a dead server."""

import json
import random

import pytest

from conftest import create_table

OPERATIONS = [
    "CreateTable", "DescribeTable", "ListTables", "DeleteTable", "UpdateTable", "PutItem", "GetItem", "DeleteItem",
    "UpdateItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
]

MEMBERS = [
    "TableName", "Item", "Key", "KeySchema", "AttributeDefinitions", "ConditionExpression", "UpdateExpression",
    "KeyConditionExpression", "FilterExpression", "ProjectionExpression", "ExpressionAttributeNames",
    "ExpressionAttributeValues", "Limit", "ExclusiveStartKey", "Select", "ReturnValues", "RequestItems",
    "TransactItems", "IndexName", "Segment", "TotalSegments", "Expected", "AttributeUpdates", "GlobalSecondaryIndexes",
    "BillingMode", "ProvisionedThroughput", "ScanIndexForward", "ConsistentRead", "ReturnConsumedCapacity",
]

EXPRESSION_PIECES = ["a", "#n", ":v", "(", ")", "=", "<>", " AND ", " OR ", "NOT ", "size(", "SET ", "REMOVE ",
                     "ADD ", ",", ".", "[1]", "begins_with(", "BETWEEN", " IN ", "if_not_exists(", "+", "9" * 30]


def random_value(rng, depth=0):
    choice = rng.randrange(12 if depth < 3 else 8)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 10**30, 1.5, 101, 1_000_001])
    if choice == 3:
        return rng.choice(["", "x", "t" * 300, "ALL_NEW", "PAY_PER_REQUEST", "HASH", "S", "COUNT", "\u0000"])
    if choice in (4, 5):
        return "".join(rng.choice(EXPRESSION_PIECES) for _ in range(rng.randrange(1, 12)))
    if choice == 6:
        return {rng.choice(["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL", "X"]):
                rng.choice(["1", "abc", "", [], ["1", "1"], {}, True, 5])}
    if choice == 7:
        return {"pk": {"S": "k"}, "sk": {"N": rng.choice(["1", "x"])}}
    if choice in (8, 9):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {rng.choice(MEMBERS + [":v", "#n", "pk", "t"]): random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


@pytest.fixture
def target_table(client, table_name):
    create_table(client, table_name, range_key=("sk", "N"))
    return table_name


def test_random_requests_never_fail_internally(server, target_table):
    rng = random.Random(20261125)
    for _ in range(1500):
        operation = rng.choice(OPERATIONS)
        body = {member: random_value(rng) for member in rng.sample(MEMBERS, rng.randrange(0, 6))}
        if rng.random() < 0.7:
            body["TableName"] = target_table
        status, _, response = server.raw(operation, json.dumps(body))
        assert status < 500, (operation, body, response)
        if status >= 400:
            assert response.get("__type", "").rsplit("#", 1)[-1].endswith(("Exception", "Error", "TooLarge")), response
    # Still alive and answering (a random DeleteTable may have dropped the table).
    assert "TableNames" in server.client().list_tables()


def test_garbage_bodies(server):
    rng = random.Random(7)
    for _ in range(200):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
        status, _, response = server.raw(rng.choice(OPERATIONS), body)
        assert status == 400, (body, response)
        assert response["__type"].endswith("SerializationException"), response
