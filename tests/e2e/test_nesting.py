"""DynamoDB's 32-level limit on document nesting, on every path that can
nest: an item is level 1 and each map or list adds one, so an attribute
holds at most 31 maps and lists. Messages as DynamoDB (and DynamoDB Local)
answer them; nothing deeper is ever stored, however it is built."""

import botocore.exceptions
import pytest

from conftest import create_table
from helpers import expect_error, hkey

ITEM_TOO_DEEP = ("Nesting Levels have exceeded supported limits: "
                 "Attributes in the item have nested levels beyond supported limit")
VALUE_TOO_DEEP = "Nesting Levels have exceeded supported limits"


def nested(containers, innermost=None, kind="M"):
    value = innermost or {"S": "x"}
    for level in range(containers):
        use_map = kind == "M" or (kind == "mixed" and level % 2 == 0)
        value = {"M": {"a": value}} if use_map else {"L": [value]}
    return value


def depth(value):
    """Maps and lists in a wire attribute value, counted without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        value, level = stack.pop()
        (type_name, content), = value.items()
        if type_name == "M":
            stack.extend((child, level + 1) for child in content.values())
            level += not content
        elif type_name == "L":
            stack.extend((child, level + 1) for child in content)
            level += not content
        deepest = max(deepest, level)
    return deepest


@pytest.fixture
def table(client, table_name):
    create_table(client, table_name)
    return table_name


@pytest.mark.parametrize("kind", ["M", "L", "mixed"])
def test_put_item_accepts_31_levels_and_refuses_32(client, table, kind):
    client.put_item(TableName=table, Item={**hkey("ok"), "v": nested(31, kind=kind)})
    stored = client.get_item(TableName=table, Key=hkey("ok"), ConsistentRead=True)["Item"]["v"]
    assert stored == nested(31, kind=kind)
    expect_error(client.put_item, "ValidationException", ITEM_TOO_DEEP,
                 TableName=table, Item={**hkey("deep"), "v": nested(32, kind=kind)})
    assert "Item" not in client.get_item(TableName=table, Key=hkey("deep"), ConsistentRead=True)


def test_an_empty_map_or_list_is_a_level(client, table):
    client.put_item(TableName=table, Item={**hkey("ok"), "v": nested(30, {"M": {}})})
    for empty in ({"M": {}}, {"L": []}):
        expect_error(client.put_item, "ValidationException", ITEM_TOO_DEEP,
                     TableName=table, Item={**hkey("deep"), "v": nested(31, empty)})


def test_batch_and_transaction_puts_are_refused_whole(client, table):
    expect_error(client.batch_write_item, "ValidationException", ITEM_TOO_DEEP, RequestItems={table: [
        {"PutRequest": {"Item": {**hkey("fine"), "v": {"S": "x"}}}},
        {"PutRequest": {"Item": {**hkey("deep"), "v": nested(32)}}},
    ]})
    expect_error(client.transact_write_items, "ValidationException", ITEM_TOO_DEEP, TransactItems=[
        {"Put": {"TableName": table, "Item": {**hkey("fine"), "v": {"S": "x"}}}},
        {"Put": {"TableName": table, "Item": {**hkey("deep"), "v": nested(32)}}},
    ])
    assert client.scan(TableName=table)["Count"] == 0


def test_deep_expression_values_are_refused(client, table):
    expect_error(client.update_item, "ValidationException", VALUE_TOO_DEEP, TableName=table, Key=hkey("k"),
                 UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": nested(32)})
    expect_error(client.transact_write_items, "ValidationException", VALUE_TOO_DEEP, TransactItems=[
        {"Update": {"TableName": table, "Key": hkey("k"), "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": nested(32)}}}])
    expect_error(client.put_item, "ValidationException", VALUE_TOO_DEEP, TableName=table, Item=hkey("k"),
                 ConditionExpression="v = :v", ExpressionAttributeValues={":v": nested(32)})
    expect_error(client.scan, "ValidationException", VALUE_TOO_DEEP, TableName=table,
                 FilterExpression="v = :v", ExpressionAttributeValues={":v": nested(32)})
    expect_error(client.update_item, "ValidationException", VALUE_TOO_DEEP, TableName=table, Key=hkey("k"),
                 AttributeUpdates={"v": {"Value": nested(32), "Action": "PUT"}})
    expect_error(client.get_item, "ValidationException", ITEM_TOO_DEEP,
                 TableName=table, Key={**hkey("k"), "v": nested(32)})
    client.update_item(TableName=table, Key=hkey("k"), UpdateExpression="SET v = :v",
                       ExpressionAttributeValues={":v": nested(31)})


def test_self_nesting_updates_stop_at_the_limit(client, table):
    """`SET m.a = m` nests the item one level deeper each time: the update
    that would pass the limit is refused, and the item stays as it was."""
    client.put_item(TableName=table, Item={**hkey("k"), "m": {"M": {"a": {"S": "x"}}}})
    refused_at = None
    for attempt in range(1, 200):
        try:
            client.update_item(TableName=table, Key=hkey("k"), UpdateExpression="SET m.a = m")
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "ValidationException"
            assert error.response["Error"]["Message"] == ITEM_TOO_DEEP
            refused_at = attempt
            break
    assert refused_at == 31, refused_at
    item = client.get_item(TableName=table, Key=hkey("k"), ConsistentRead=True)["Item"]
    assert depth(item["m"]) == 31
    # The issue's `SET m.a.a...a = m`: each accepted step more than doubles.
    expect_error(client.update_item, "ValidationException", ITEM_TOO_DEEP, TableName=table, Key=hkey("k"),
                 UpdateExpression="SET m.a.a.a = m")
    client.put_item(TableName=table, Item={**hkey("k"), "after": {"S": "the writer still serves"}})


def test_bodies_nested_far_past_the_limit_are_refused_cheaply(server, table):
    for levels in (40, 100, 5000):
        # Built as text: json.dumps would itself recurse too deeply.
        value = '{"M": {"a": ' * levels + '{"S": "x"}' + "}}" * levels
        body = f'{{"TableName": "{table}", "Item": {{"pk": {{"S": "k"}}, "v": {value}}}}}'
        status, _, payload = server.raw("PutItem", body)
        assert status == 400, payload
        assert payload["__type"].endswith(("ValidationException", "SerializationException")), payload
    status, _, _ = server.raw("PutItem", {"TableName": table, "Item": {**hkey("k"), "v": {"S": "x"}}})
    assert status == 200
