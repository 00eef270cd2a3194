"""Data plane: PutItem, GetItem, DeleteItem, Scan; every attribute type."""

from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary

from conftest import create_table
from helpers import expect_error

EVERY_TYPE = {
    "pk": {"S": "every-type"},
    "s": {"S": "héllo wörld ✓"},
    "empty_s": {"S": ""},
    "n": {"N": "-12.5"},
    "b": {"B": b"\x00\x01\xfe\xff"},
    "empty_b": {"B": b""},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "z": {"NULL": True},
    "m": {"M": {"inner": {"L": [{"S": "a"}, {"N": "1"}, {"M": {}}]}, "deep": {"M": {"x": {"NULL": True}}}}},
    "l": {"L": [{"BOOL": True}, {"L": []}]},
    "ss": {"SS": ["a", "b", "c"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x01", b"\x02\x03"]},
}


def normalise_sets(item):
    """Sets have no order in DynamoDB."""
    out = {}
    for name, value in item.items():
        (kind, content), = value.items()
        if kind in ("SS", "NS", "BS"):
            content = sorted(content)
        elif kind == "M":
            content = normalise_sets(content)
        out[name] = {kind: content}
    return out


@pytest.fixture
def table(client, table_name):
    create_table(client, table_name)
    return table_name


@pytest.fixture
def range_table(client, table_name):
    create_table(client, table_name, range_key=("sk", "N"))
    return table_name


def test_every_attribute_type_round_trips(client, table):
    client.put_item(TableName=table, Item=EVERY_TYPE)
    item = client.get_item(TableName=table, Key={"pk": {"S": "every-type"}}, ConsistentRead=True)["Item"]
    assert normalise_sets(item) == normalise_sets(EVERY_TYPE)


def test_binary_is_base64_on_the_wire(server, client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "bin"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"hi"]}})
    status, _, body = server.raw("GetItem", {"TableName": table, "Key": {"pk": {"S": "bin"}}})
    assert status == 200
    assert body["Item"]["b"] == {"B": "AP8="}
    assert body["Item"]["bs"] == {"BS": ["aGk="]}


def test_binary_keys(client, table_name):
    create_table(client, table_name, hash_key=("pk", "B"), range_key=("sk", "B"))
    for sk in [b"\x00", b"\x00\x00", b"\x01", b"\xff"]:
        client.put_item(TableName=table_name, Item={"pk": {"B": b"\x00k"}, "sk": {"B": sk}})
    got = client.get_item(TableName=table_name, Key={"pk": {"B": b"\x00k"}, "sk": {"B": b"\x00\x00"}})["Item"]
    assert got["sk"]["B"] == b"\x00\x00"
    assert len(client.scan(TableName=table_name)["Items"]) == 4


@pytest.mark.parametrize("given,returned", [
    ("1.0", "1"), ("100", "100"), ("1e2", "100"), ("1E+2", "100"), ("0.00100", "0.001"), ("-0", "0"),
    ("000123", "123"), ("1.23e5", "123000"), ("-1.5e-3", "-0.0015"), (".5", "0.5"), ("+7", "7"),
    ("1e125", "1" + "0" * 125), ("1e-130", "0." + "0" * 129 + "1"),
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("9.9999999999999999999999999999999999999E+125", "9" * 38 + "0" * 88),
])
def test_numbers_come_back_canonical(client, table, given, returned):
    client.put_item(TableName=table, Item={"pk": {"S": "num"}, "n": {"N": given}, "ns": {"NS": [given]}})
    item = client.get_item(TableName=table, Key={"pk": {"S": "num"}})["Item"]
    assert item["n"] == {"N": returned}
    assert item["ns"] == {"NS": [returned]}


def test_number_keys_are_exact(client, range_table):
    for sk in ["1", "1.0000000000000000000000000000000000001", "-1e-100", "1e100"]:
        client.put_item(TableName=range_table, Item={"pk": {"S": "p"}, "sk": {"N": sk}, "orig": {"S": sk}})
    # "1" and "1.0" name the same item; the long one is distinct.
    client.put_item(TableName=range_table, Item={"pk": {"S": "p"}, "sk": {"N": "1.0"}, "orig": {"S": "1.0"}})
    assert client.get_item(TableName=range_table, Key={"pk": {"S": "p"}, "sk": {"N": "1"}})["Item"]["orig"] == {"S": "1.0"}
    long = client.get_item(TableName=range_table, Key={"pk": {"S": "p"}, "sk": {"N": "1.0000000000000000000000000000000000001"}})
    assert long["Item"]["orig"]["S"] == "1.0000000000000000000000000000000000001"
    assert client.scan(TableName=range_table)["Count"] == 4


def test_put_overwrites_and_return_values(client, table):
    assert "Attributes" not in client.put_item(TableName=table, Item={"pk": {"S": "k"}, "v": {"N": "1"}})
    old = client.put_item(TableName=table, Item={"pk": {"S": "k"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert old["Attributes"] == {"pk": {"S": "k"}, "v": {"N": "1"}}
    none = client.put_item(TableName=table, Item={"pk": {"S": "k"}, "w": {"S": "x"}}, ReturnValues="NONE")
    assert "Attributes" not in none
    # Put replaces the whole item.
    assert client.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"] == {"pk": {"S": "k"}, "w": {"S": "x"}}
    expect_error(client.put_item, "ValidationException", "ReturnValues can only be ALL_OLD or NONE",
                 TableName=table, Item={"pk": {"S": "k"}}, ReturnValues="ALL_NEW")


def test_get_missing_item_returns_no_item(client, table):
    response = client.get_item(TableName=table, Key={"pk": {"S": "absent"}})
    assert "Item" not in response


def test_delete_item_and_return_values(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "d"}, "a": {"S": "x"}})
    deleted = client.delete_item(TableName=table, Key={"pk": {"S": "d"}}, ReturnValues="ALL_OLD")
    assert deleted["Attributes"] == {"pk": {"S": "d"}, "a": {"S": "x"}}
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "d"}})
    again = client.delete_item(TableName=table, Key={"pk": {"S": "d"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in again
    expect_error(client.delete_item, "ValidationException", "ReturnValues can only be ALL_OLD or NONE",
                 TableName=table, Key={"pk": {"S": "d"}}, ReturnValues="UPDATED_NEW")


def test_projection_expression_and_attributes_to_get(client, table):
    client.put_item(TableName=table, Item={
        "pk": {"S": "p"}, "a": {"S": "A"}, "name": {"S": "N"},
        "b": {"M": {"c": {"N": "1"}, "d": {"N": "2"}}}, "l": {"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]},
    })
    key = {"pk": {"S": "p"}}
    got = client.get_item(TableName=table, Key=key, ProjectionExpression="a, b.c, l[2], #n",
                          ExpressionAttributeNames={"#n": "name"})["Item"]
    assert got == {"a": {"S": "A"}, "b": {"M": {"c": {"N": "1"}}}, "l": {"L": [{"S": "z"}]}, "name": {"S": "N"}}
    got = client.get_item(TableName=table, Key=key, AttributesToGet=["a", "missing"])["Item"]
    assert got == {"a": {"S": "A"}}
    # A repeated name is refused (dynalite's suites, written against the service).
    expect_error(client.get_item, "ValidationException",
                 "One or more parameter values were invalid: Duplicate value in attribute name: a",
                 TableName=table, Key=key, AttributesToGet=["a", "a", "missing"])
    assert client.get_item(TableName=table, Key=key, ProjectionExpression="nothing_here")["Item"] == {}

    expect_error(client.get_item, "ValidationException",
                 "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name",
                 TableName=table, Key=key, ProjectionExpression="name")
    expect_error(client.get_item, "ValidationException",
                 "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [b], path two: [b, c]",
                 TableName=table, Key=key, ProjectionExpression="b, b.c")
    expect_error(client.get_item, "ValidationException",
                 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","',
                 TableName=table, Key=key, ProjectionExpression="a,")
    expect_error(client.get_item, "ValidationException",
                 "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
                 TableName=table, Key=key, ProjectionExpression="#x")
    expect_error(client.get_item, "ValidationException",
                 "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}",
                 TableName=table, Key=key, ProjectionExpression="a", ExpressionAttributeNames={"#u": "x"})
    expect_error(client.get_item, "ValidationException",
                 "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
                 TableName=table, Key=key, ProjectionExpression="a", AttributesToGet=["a"])


def test_resource_api_round_trip(server, table):
    dynamodb_table = server.resource().Table(table)
    dynamodb_table.put_item(Item={"pk": "r", "count": 3, "price": Decimal("19.99"), "tags": {"x", "y"},
                                  "blob": Binary(b"\x01\x02"), "nested": {"list": [1, "two", None, True]}})
    item = dynamodb_table.get_item(Key={"pk": "r"})["Item"]
    assert item == {"pk": "r", "count": Decimal(3), "price": Decimal("19.99"), "tags": {"x", "y"},
                    "blob": Binary(b"\x01\x02"), "nested": {"list": [Decimal(1), "two", None, True]}}
    dynamodb_table.delete_item(Key={"pk": "r"})
    assert "Item" not in dynamodb_table.get_item(Key={"pk": "r"})


def test_scan_pages_through_everything(client, range_table):
    for i in range(57):
        client.put_item(TableName=range_table, Item={"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)}, "v": {"N": str(i)}})
    first = client.scan(TableName=range_table, Limit=10)
    assert first["Count"] == 10 and first["ScannedCount"] == 10
    assert set(first["LastEvaluatedKey"]) == {"pk", "sk"}
    seen = []
    for page in client.get_paginator("scan").paginate(TableName=range_table, PaginationConfig={"PageSize": 7}):
        seen.extend(int(item["v"]["N"]) for item in page["Items"])
    assert sorted(seen) == list(range(57))
    count = client.scan(TableName=range_table, Select="COUNT")
    assert count["Count"] == 57 and "Items" not in count
    projected = client.scan(TableName=range_table, ProjectionExpression="v", Limit=3)["Items"]
    assert all(set(item) == {"v"} for item in projected)


def test_scan_stops_at_one_megabyte(client, table):
    big = "x" * 100_000
    for i in range(25):
        client.put_item(TableName=table, Item={"pk": {"S": f"big{i:02d}"}, "data": {"S": big}})
    page = client.scan(TableName=table)
    assert 10 <= page["Count"] < 25
    assert "LastEvaluatedKey" in page
    total = page["Count"]
    while "LastEvaluatedKey" in page:
        page = client.scan(TableName=table, ExclusiveStartKey=page["LastEvaluatedKey"])
        total += page["Count"]
    assert total == 25
