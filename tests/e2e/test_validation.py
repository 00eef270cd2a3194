"""Bad input gets DynamoDB's answer: type, message and status; nothing written."""

import pytest

from conftest import create_table
from helpers import expect_error


@pytest.fixture
def table(client, table_name):
    create_table(client, table_name, range_key=("sk", "S"))
    return table_name


KEY = {"pk": {"S": "p"}, "sk": {"S": "s"}}

ITEM_ERRORS = [
    ({"sk": {"S": "s"}}, "One or more parameter values were invalid: Missing the key pk in the item"),
    ({"pk": {"S": "p"}}, "One or more parameter values were invalid: Missing the key sk in the item"),
    ({"pk": {"N": "1"}, "sk": {"S": "s"}}, "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
    ({"pk": {"S": "p"}, "sk": {"SS": ["s"]}}, "One or more parameter values were invalid: Type mismatch for key sk expected: S actual: SS"),
    ({"pk": {"S": ""}, "sk": {"S": "s"}},
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
    ({"pk": {"S": "p"}, "sk": {"S": ""}},
     "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: sk"),
    ({"pk": {"S": "x" * 2049}, "sk": {"S": "s"}},
     "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"),
    ({"pk": {"S": "p"}, "sk": {"S": "x" * 1025}},
     "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"),
    ({**KEY, "a": {"SS": []}}, "One or more parameter values were invalid: An string set  may not be empty"),
    ({**KEY, "a": {"NS": []}}, "One or more parameter values were invalid: An number set  may not be empty"),
    ({**KEY, "a": {"BS": []}}, "One or more parameter values were invalid: Binary sets should not be empty"),
    ({**KEY, "a": {"SS": ["x", "x"]}}, "One or more parameter values were invalid: Input collection [x, x] contains duplicates."),
    ({**KEY, "a": {"NS": ["1", "1.0"]}}, "Input collection contains duplicates"),
    ({**KEY, "a": {"BS": [b"x", b"x"]}}, "One or more parameter values were invalid: Input collection of type BS contains duplicates."),
    ({**KEY, "a": {"N": "1" * 39}}, "Attempting to store more than 38 significant digits in a Number"),
    ({**KEY, "a": {"N": "1e126"}}, "Number overflow. Attempting to store a number with magnitude larger than supported range"),
    ({**KEY, "a": {"N": "1e-131"}}, "Number underflow. Attempting to store a number with magnitude smaller than supported range"),
    ({**KEY, "a": {"N": "abc"}}, "The parameter cannot be converted to a numeric value: abc"),
    ({**KEY, "a": {"N": ""}}, "The parameter cannot be converted to a numeric value: "),
    ({**KEY, "a": {"N": "0x10"}}, "The parameter cannot be converted to a numeric value: 0x10"),
    ({**KEY, "a": {}}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
    ({**KEY, "a": {"S": "x", "N": "1"}},
     "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
    ({**KEY, "a": {"NULL": False}}, "One or more parameter values were invalid: Null attribute value types must have the value of true"),
    ({**KEY, "": {"S": "x"}}, "Empty attribute name"),
    ({**KEY, "a": {"M": {"deep": {"SS": []}}}}, "One or more parameter values were invalid: An string set  may not be empty"),
]


@pytest.mark.parametrize("item,message", ITEM_ERRORS)
def test_put_item_validation(lax, table, item, message):
    expect_error(lax.put_item, "ValidationException", message, TableName=table, Item=item)
    assert lax.scan(TableName=table)["Count"] == 0, "a rejected write must write nothing"


def test_key_size_limits_are_inclusive(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "x" * 2048}, "sk": {"S": "y" * 1024}})
    client.put_item(TableName=table, Item={"pk": {"S": "é" * 1024}, "sk": {"S": "s"}})  # 2048 UTF-8 bytes
    expect_error(client.put_item, "ValidationException",
                 "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
                 TableName=table, Item={"pk": {"S": "é" * 1024 + "x"}, "sk": {"S": "s"}})


def test_item_size_limit(client, table):
    # Item size = names + values: "pk"+"p" + "sk"+"s" + "data" + payload.
    overhead = 3 + 3 + 4
    client.put_item(TableName=table, Item={**KEY, "data": {"S": "x" * (400 * 1024 - overhead)}})
    expect_error(client.put_item, "ValidationException", "Item size has exceeded the maximum allowed size",
                 TableName=table, Item={**KEY, "data": {"S": "x" * (400 * 1024 - overhead + 1)}})
    assert len(client.get_item(TableName=table, Key=KEY)["Item"]["data"]["S"]) == 400 * 1024 - overhead
    expect_error(client.put_item, "ValidationException", "Item size has exceeded the maximum allowed size",
                 TableName=table, Item={**KEY, "data": {"B": b"x" * 500_000}})


@pytest.mark.parametrize("key", [
    {"pk": {"S": "p"}},
    {"pk": {"S": "p"}, "sk": {"S": "s"}, "extra": {"S": "x"}},
    {"pk": {"N": "1"}, "sk": {"S": "s"}},
    {"pk": {"S": "p"}, "other": {"S": "s"}},
])
def test_key_must_match_schema(lax, table, key):
    for call in (lax.get_item, lax.delete_item):
        expect_error(call, "ValidationException", "The provided key element does not match the schema",
                     TableName=table, Key=key)


def test_empty_key_value_in_get(lax, table):
    expect_error(lax.get_item, "ValidationException",
                 "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
                 TableName=table, Key={"pk": {"S": ""}, "sk": {"S": "s"}})


def test_required_members(lax, table):
    expect_error(lax.put_item, "ValidationException",
                 "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null",
                 TableName=table)
    expect_error(lax.get_item, "ValidationException",
                 "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null",
                 TableName=table)
    expect_error(lax.get_item, "ValidationException",
                 "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
                 Key=KEY)
    expect_error(lax.put_item, "ValidationException",
                 "1 validation error detected: Value 'FOO' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]",
                 TableName=table, Item=KEY, ReturnValues="FOO")


def test_wrong_json_types_are_serialization_errors(server, table):
    for body, message in [
        ({"TableName": 5, "Key": KEY}, "NUMBER_VALUE cannot be converted to String"),
        ({"TableName": table, "Key": {"pk": {"S": 5}, "sk": {"S": "s"}}}, "NUMBER_VALUE cannot be converted to String"),
        ({"TableName": table, "Key": KEY, "ConsistentRead": "yes"}, "STRING_VALUE cannot be converted to Boolean"),
        ({"TableName": table, "Key": "x"}, None),
        ({"TableName": table, "Key": {"pk": {"B": "not base64!"}, "sk": {"S": "s"}}}, None),
    ]:
        status, _, error = server.raw("GetItem", body)
        assert status == 400, body
        assert error["__type"] == "com.amazon.coral.service#SerializationException", error
        if message:
            assert error["message"] == message


def test_attributes_to_get_empty_or_repeated(lax, table):
    # The API model's AttributeNameList has at least one member: an empty list is a member
    # constraint. A repeated name: dynalite's suites, written against the service. DynamoDB
    # Local words both its own way ("AttributesToGet cannot be empty", "Cannot have two
    # attributes with the same name"; ORACLE_NOTES.md).
    expect_error(lax.get_item, "ValidationException",
                 "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: "
                 "Member must have length greater than or equal to 1",
                 TableName=table, Key=KEY, AttributesToGet=[])
    expect_error(lax.query, "ValidationException",
                 "One or more parameter values were invalid: Duplicate value in attribute name: a",
                 TableName=table, KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
                 AttributesToGet=["a", "b", "a"])
    expect_error(lax.batch_get_item, "ValidationException",
                 f"1 validation error detected: Value '[]' at 'requestItems.{table}.member.attributesToGet' failed to "
                 "satisfy constraint: Member must have length greater than or equal to 1",
                 RequestItems={table: {"Keys": [KEY], "AttributesToGet": []}})
