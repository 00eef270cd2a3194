"""Query: key conditions on every sort-key type, ordering, pagination, the
boto3 condition builders, filters, Select, projections, the legacy
KeyConditions/QueryFilter parameters, ConsumedCapacity and the exact
validation errors.

Checked against DynamoDB Local; see ORACLE_NOTES.md for known differences."""

from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key

from conftest import create_table
from helpers import expect_error

VE = "ValidationException"
NUMBERS = ["-100", "-10.5", "-1", "-0.001", "0", "0.001", "0.5", "1", "2", "10", "10.25", "100", "1e3"]


@pytest.fixture
def ntable(client, table_name):
    """pk S, sk N; partition "a" holds sk 0..9 with x = sk % 3, partition "b" one item."""
    create_table(client, table_name, range_key=("sk", "N"))
    for i in range(10):
        client.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "sk": {"N": str(i)}, "x": {"N": str(i % 3)},
                                                    "data": {"S": f"d{i}"}, "m": {"M": {"i": {"N": str(i)}, "j": {"S": "j"}}}})
    client.put_item(TableName=table_name, Item={"pk": {"S": "b"}, "sk": {"N": "0"}})
    return table_name


def query(client, table, condition, values, names=None, **extra):
    kwargs = {"TableName": table, "KeyConditionExpression": condition, "ExpressionAttributeValues": values, **extra}
    if names:
        kwargs["ExpressionAttributeNames"] = names
    return client.query(**kwargs)


def sort_keys(response, kind="N"):
    return [item["sk"][kind] for item in response["Items"]]


A = {":p": {"S": "a"}}


# ------------------------------------------------------- key conditions

def test_partition_only(client, ntable):
    response = query(client, ntable, "pk = :p", A)
    assert sort_keys(response) == [str(i) for i in range(10)]
    assert response["Count"] == response["ScannedCount"] == 10
    assert "LastEvaluatedKey" not in response
    assert query(client, ntable, "pk = :p", {":p": {"S": "b"}})["Count"] == 1
    assert query(client, ntable, "pk = :p", {":p": {"S": "nobody"}})["Items"] == []


@pytest.mark.parametrize("condition,values,expected", [
    ("sk = :v", {":v": {"N": "3"}}, ["3"]),
    ("sk = :v", {":v": {"N": "3.00"}}, ["3"]),
    ("sk < :v", {":v": {"N": "3"}}, ["0", "1", "2"]),
    ("sk <= :v", {":v": {"N": "3"}}, ["0", "1", "2", "3"]),
    ("sk > :v", {":v": {"N": "7"}}, ["8", "9"]),
    ("sk >= :v", {":v": {"N": "7"}}, ["7", "8", "9"]),
    ("sk BETWEEN :lo AND :hi", {":lo": {"N": "2"}, ":hi": {"N": "4"}}, ["2", "3", "4"]),
    ("sk BETWEEN :lo AND :hi", {":lo": {"N": "4"}, ":hi": {"N": "4"}}, ["4"]),
    ("sk > :v", {":v": {"N": "9"}}, []),
    ("sk < :v", {":v": {"N": "-1"}}, []),
])
def test_sort_key_conditions(client, ntable, condition, values, expected):
    response = query(client, ntable, "pk = :p AND " + condition, A | values)
    assert sort_keys(response) == expected
    assert response["Count"] == response["ScannedCount"] == len(expected)


def test_key_condition_forms(client, ntable):
    assert sort_keys(query(client, ntable, "sk = :v AND pk = :p", A | {":v": {"N": "1"}})) == ["1"]
    assert sort_keys(query(client, ntable, ":p = pk", A))[:2] == ["0", "1"]
    assert sort_keys(query(client, ntable, "(pk = :p) AND (sk > :v)", A | {":v": {"N": "7"}})) == ["8", "9"]
    assert sort_keys(query(client, ntable, "#k = :p and #s <= :v", A | {":v": {"N": "1"}}, {"#k": "pk", "#s": "sk"})) == ["0", "1"]
    assert sort_keys(query(client, ntable, "pk = :p AND :v > sk", A | {":v": {"N": "2"}})) == ["0", "1"]


def test_number_sort_key_order_with_negatives_and_decimals(client, table_name):
    create_table(client, table_name, range_key=("sk", "N"))
    for n in reversed(NUMBERS):
        client.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"N": n}})
    values = [Decimal(item["sk"]["N"]) for item in query(client, table_name, "pk = :p", {":p": {"S": "p"}})["Items"]]
    assert values == sorted(Decimal(n) for n in NUMBERS)
    backwards = query(client, table_name, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False)["Items"]
    assert [Decimal(i["sk"]["N"]) for i in backwards] == sorted((Decimal(n) for n in NUMBERS), reverse=True)
    between = query(client, table_name, "pk = :p AND sk BETWEEN :lo AND :hi",
                    {":p": {"S": "p"}, ":lo": {"N": "-10.5"}, ":hi": {"N": "0.001"}})
    assert [i["sk"]["N"] for i in between["Items"]] == ["-10.5", "-1", "-0.001", "0", "0.001"]
    assert [i["sk"]["N"] for i in query(client, table_name, "pk = :p AND sk > :v",
                                         {":p": {"S": "p"}, ":v": {"N": "10"}})["Items"]] == ["10.25", "100", "1000"]


def test_string_sort_key(client, table_name):
    create_table(client, table_name, range_key=("sk", "S"))
    keys = ["a", "a#1", "a#2", "ab", "b", "B", "é", "a#10", "Z"]
    for sk in keys:
        client.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    p = {":p": {"S": "p"}}
    # UTF-8 byte order
    assert [i["sk"]["S"] for i in query(client, table_name, "pk = :p", p)["Items"]] == sorted(keys, key=lambda s: s.encode())
    assert [i["sk"]["S"] for i in query(client, table_name, "pk = :p AND begins_with(sk, :b)", p | {":b": {"S": "a#"}})["Items"]] \
        == ["a#1", "a#10", "a#2"]
    assert [i["sk"]["S"] for i in query(client, table_name, "pk = :p AND begins_with(sk, :b)", p | {":b": {"S": "a"}},
                                         ScanIndexForward=False)["Items"]] == ["ab", "a#2", "a#10", "a#1", "a"]
    assert [i["sk"]["S"] for i in query(client, table_name, "pk = :p AND sk BETWEEN :lo AND :hi",
                                         p | {":lo": {"S": "a#"}, ":hi": {"S": "a#2"}})["Items"]] == ["a#1", "a#10", "a#2"]
    assert [i["sk"]["S"] for i in query(client, table_name, "pk = :p AND sk < :v", p | {":v": {"S": "a"}})["Items"]] == ["B", "Z"]


def test_binary_sort_key(client, table_name):
    create_table(client, table_name, range_key=("sk", "B"))
    keys = [b"\x00", b"\x00\x01", b"\x01", b"\x01\x02", b"\x01\x02\x03", b"\x7f", b"\x80", b"\xff"]
    for sk in reversed(keys):
        client.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"B": sk}})
    p = {":p": {"S": "p"}}
    assert [i["sk"]["B"] for i in query(client, table_name, "pk = :p", p)["Items"]] == keys
    assert [i["sk"]["B"] for i in query(client, table_name, "pk = :p AND begins_with(sk, :b)", p | {":b": {"B": b"\x01\x02"}})["Items"]] \
        == [b"\x01\x02", b"\x01\x02\x03"]
    assert [i["sk"]["B"] for i in query(client, table_name, "pk = :p AND sk > :v", p | {":v": {"B": b"\x7f"}})["Items"]] \
        == [b"\x80", b"\xff"]


def test_binary_partition_key(client, table_name):
    create_table(client, table_name, hash_key=("pk", "B"))
    client.put_item(TableName=table_name, Item={"pk": {"B": b"\x00\x01"}, "v": {"N": "1"}})
    assert query(client, table_name, "pk = :p", {":p": {"B": b"\x00\x01"}})["Items"] == [{"pk": {"B": b"\x00\x01"}, "v": {"N": "1"}}]


def test_hash_only_table(client, table_name):
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "x"}, "v": {"N": "1"}})
    response = query(client, table_name, "pk = :p", {":p": {"S": "x"}})
    assert response["Items"] == [{"pk": {"S": "x"}, "v": {"N": "1"}}]


def test_scan_index_forward_false(client, ntable):
    response = query(client, ntable, "pk = :p AND sk >= :v", A | {":v": {"N": "5"}}, ScanIndexForward=False)
    assert sort_keys(response) == ["9", "8", "7", "6", "5"]


# ------------------------------------------------------------- pagination

@pytest.mark.parametrize("forward", [True, False])
def test_limit_and_exclusive_start_key(client, ntable, forward):
    seen, start, pages = [], None, 0
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        response = query(client, ntable, "pk = :p", A, Limit=3, ScanIndexForward=forward, **extra)
        pages += 1
        seen += sort_keys(response)
        assert response["Count"] <= 3
        start = response.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
        assert start == {"pk": {"S": "a"}, "sk": response["Items"][-1]["sk"]}
    expected = [str(i) for i in range(10)]
    assert seen == (expected if forward else expected[::-1])
    # 10 items in pages of 3: the 4th page is short, so no LastEvaluatedKey follows it
    assert pages == 4


def test_limit_equal_to_remaining_items_still_returns_last_evaluated_key(client, ntable):
    response = query(client, ntable, "pk = :p AND sk >= :v", A | {":v": {"N": "8"}}, Limit=2)
    assert sort_keys(response) == ["8", "9"]
    assert response["LastEvaluatedKey"] == {"pk": {"S": "a"}, "sk": {"N": "9"}}
    after = query(client, ntable, "pk = :p AND sk >= :v", A | {":v": {"N": "8"}}, Limit=2,
                  ExclusiveStartKey=response["LastEvaluatedKey"])
    assert after["Items"] == [] and after["Count"] == 0 and "LastEvaluatedKey" not in after


def test_exclusive_start_key_need_not_exist(client, ntable):
    response = query(client, ntable, "pk = :p", A, ExclusiveStartKey={"pk": {"S": "a"}, "sk": {"N": "4.5"}})
    assert sort_keys(response) == ["5", "6", "7", "8", "9"]


def test_paginator_over_many_pages(client, table_name):
    create_table(client, table_name, range_key=("sk", "N"))
    for i in range(57):
        client.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    paginator = client.get_paginator("query")
    pages = list(paginator.paginate(TableName=table_name, KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues={":p": {"S": "p"}}, PaginationConfig={"PageSize": 5}))
    assert len(pages) == 12
    assert [int(i["sk"]["N"]) for page in pages for i in page["Items"]] == list(range(57))
    built = paginator.paginate(TableName=table_name, KeyConditionExpression="pk = :p",
                               ExpressionAttributeValues={":p": {"S": "p"}}, PaginationConfig={"PageSize": 10}).build_full_result()
    assert built["Count"] == 57 and len(built["Items"]) == 57


# ------------------------------------------------ boto3 resource and builders

def test_resource_with_key_and_attr_builders(server, ntable):
    table = server.resource().Table(ntable)
    items = table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").between(3, 6))["Items"]
    assert [i["sk"] for i in items] == [3, 4, 5, 6]
    items = table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").lt(2), ScanIndexForward=False)["Items"]
    assert [i["sk"] for i in items] == [1, 0]
    response = table.query(KeyConditionExpression=Key("pk").eq("a"), FilterExpression=Attr("x").eq(0))
    assert [i["sk"] for i in response["Items"]] == [0, 3, 6, 9]
    assert response["Count"] == 4 and response["ScannedCount"] == 10
    response = table.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").gte(5),
                           FilterExpression=Attr("x").is_in([1, 2]) & Attr("data").begins_with("d") & Attr("m.j").exists())
    assert [i["sk"] for i in response["Items"]] == [5, 7, 8]
    response = table.query(KeyConditionExpression=Key("pk").eq("a"),
                           FilterExpression=Attr("x").ne(0) & ~Attr("sk_copy").exists() | Attr("data").contains("9"))
    assert [i["sk"] for i in response["Items"]] == [1, 2, 4, 5, 7, 8, 9]
    assert items and isinstance(response["Items"][0]["sk"], Decimal)


def test_resource_scan_with_attr(server, ntable):
    table = server.resource().Table(ntable)
    items = table.scan(FilterExpression=Attr("x").gt(1) & Attr("m.i").lt(6))["Items"]
    assert sorted(i["sk"] for i in items) == [2, 5]
    items = table.scan(FilterExpression=Attr("data").not_exists())["Items"]
    assert items == [{"pk": "b", "sk": 0}]
    items = table.scan(FilterExpression=Attr("data").size().eq(2) & Attr("x").attribute_type("N"))["Items"]
    assert len(items) == 10


# ----------------------------------------------------------------- filters

def test_filter_expression_count_and_scanned_count(client, ntable):
    response = query(client, ntable, "pk = :p", A | {":one": {"N": "1"}}, FilterExpression="x = :one")
    assert sort_keys(response) == ["1", "4", "7"]
    assert response["Count"] == 3 and response["ScannedCount"] == 10


def test_filter_applies_after_limit(client, ntable):
    response = query(client, ntable, "pk = :p", A | {":one": {"N": "1"}}, FilterExpression="x = :one", Limit=4)
    assert sort_keys(response) == ["1"]
    assert response["Count"] == 1 and response["ScannedCount"] == 4
    assert response["LastEvaluatedKey"] == {"pk": {"S": "a"}, "sk": {"N": "3"}}
    response = query(client, ntable, "pk = :p", A | {":v": {"N": "7"}}, FilterExpression="x = :v", Limit=2)
    assert response["Items"] == [] and response["Count"] == 0 and response["ScannedCount"] == 2
    assert "LastEvaluatedKey" in response


def test_filter_on_nested_and_missing_attributes(client, ntable):
    response = query(client, ntable, "pk = :p", A | {":v": {"N": "8"}}, FilterExpression="m.i >= :v")
    assert sort_keys(response) == ["8", "9"]
    response = query(client, ntable, "pk = :p", {":p": {"S": "b"}}, FilterExpression="attribute_not_exists(m)")
    assert response["Count"] == 1


def test_filter_on_key_attributes_is_an_error(lax, ntable):
    expect_error(lax.query, VE, "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
                 TableName=ntable, KeyConditionExpression="pk = :p", FilterExpression="sk = :s",
                 ExpressionAttributeValues=A | {":s": {"N": "1"}})
    expect_error(lax.query, VE, "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk",
                 TableName=ntable, KeyConditionExpression="pk = :p", FilterExpression="pk = :p",
                 ExpressionAttributeValues=A)


def test_filter_expression_errors(lax, ntable):
    expect_error(lax.query, VE, 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "="',
                 TableName=ntable, KeyConditionExpression="pk = :p", FilterExpression="x =", ExpressionAttributeValues=A)
    expect_error(lax.query, VE, "Invalid FilterExpression: The expression can not be empty;",
                 TableName=ntable, KeyConditionExpression="pk = :p", FilterExpression="", ExpressionAttributeValues=A)
    expect_error(lax.query, VE, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
                 TableName=ntable, KeyConditionExpression="pk = :p", FilterExpression="x = :v",
                 ExpressionAttributeValues=A | {":v": {"N": "1"}, ":w": {"N": "1"}})


# ------------------------------------------------------ Select, projection

def test_select_count(client, ntable):
    response = query(client, ntable, "pk = :p", A, Select="COUNT")
    assert response["Count"] == 10 and response["ScannedCount"] == 10
    assert "Items" not in response
    response = query(client, ntable, "pk = :p", A | {":z": {"N": "0"}}, Select="COUNT", FilterExpression="x = :z")
    assert response["Count"] == 4 and response["ScannedCount"] == 10 and "Items" not in response


def test_select_all_and_specific_attributes(client, ntable):
    everything = query(client, ntable, "pk = :p AND sk = :s", A | {":s": {"N": "1"}}, Select="ALL_ATTRIBUTES")["Items"]
    assert set(everything[0]) == {"pk", "sk", "x", "data", "m"}
    specific = query(client, ntable, "pk = :p AND sk = :s", A | {":s": {"N": "1"}}, Select="SPECIFIC_ATTRIBUTES",
                     ProjectionExpression="#d, x", ExpressionAttributeNames={"#d": "data"})["Items"]
    assert specific == [{"data": {"S": "d1"}, "x": {"N": "1"}}]


def test_projection_expression(client, ntable):
    items = query(client, ntable, "pk = :p AND sk = :s", A | {":s": {"N": "2"}}, ProjectionExpression="sk, m.j, nothing_here")["Items"]
    assert items == [{"sk": {"N": "2"}, "m": {"M": {"j": {"S": "j"}}}}]
    items = query(client, ntable, "pk = :p AND sk = :s", A | {":s": {"N": "2"}}, ProjectionExpression="nothing_here")["Items"]
    assert items == [{}]


@pytest.mark.parametrize("extra,message", [
    ({"Select": "SPECIFIC_ATTRIBUTES"},
     "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
    ({"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "x"},
     "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"),
    ({"Select": "COUNT", "ProjectionExpression": "x"},
     "Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ({"Select": "ALL_PROJECTED_ATTRIBUTES"},
     "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"),
    ({"AttributesToGet": ["x"]},
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {AttributesToGet} Expression parameters: {KeyConditionExpression}"),
    ({"ProjectionExpression": "name"},
     "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"),
    ({"ProjectionExpression": "x, x"},
     "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "
     "path one: [x], path two: [x]"),
])
def test_select_and_projection_errors(lax, ntable, extra, message):
    expect_error(lax.query, VE, message, TableName=ntable, KeyConditionExpression="pk = :p", ExpressionAttributeValues=A, **extra)


def test_invalid_select_value(lax, ntable):
    # DynamoDB Local: "Select must be ALL_ATTRIBUTES, ..."; the service reports an
    # enum constraint violation. Only the type is pinned.
    expect_error(lax.query, VE, TableName=ntable, KeyConditionExpression="pk = :p", ExpressionAttributeValues=A, Select="SOME")


# ------------------------------------------------- legacy KeyConditions

def test_legacy_key_conditions_and_query_filter(client, ntable):
    response = client.query(TableName=ntable, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "8"}]},
    }, QueryFilter={"x": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "2"}]}})
    assert sort_keys(response) == ["2", "5", "8"]
    assert response["Count"] == 3 and response["ScannedCount"] == 7


def test_legacy_key_conditions_operators(client, ntable):
    def keys(op, *values):
        return sort_keys(client.query(TableName=ntable, KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
            "sk": {"ComparisonOperator": op, "AttributeValueList": [{"N": v} for v in values]}}))
    assert keys("EQ", "4") == ["4"]
    assert keys("LT", "2") == ["0", "1"]
    assert keys("LE", "1") == ["0", "1"]
    assert keys("GT", "8") == ["9"]
    assert keys("GE", "8") == ["8", "9"]


def test_legacy_query_filter_with_conditional_operator(client, ntable):
    response = client.query(TableName=ntable, KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}},
                            QueryFilter={"x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "2"}]},
                                         "data": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "d0"}]}},
                            ConditionalOperator="OR")
    assert sort_keys(response) == ["0", "2", "5", "8"]


def test_legacy_parameter_errors(lax, ntable):
    eq_a = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}
    expect_error(lax.query, VE, "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk",
                 TableName=ntable, KeyConditions=eq_a,
                 QueryFilter={"sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "3"}]}})
    expect_error(lax.query, VE, "Query key condition not supported", TableName=ntable,
                 KeyConditions={"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}})
    expect_error(lax.query, VE,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}",
                 TableName=ntable, KeyConditionExpression="pk = :p", ExpressionAttributeValues=A, KeyConditions=eq_a)
    expect_error(lax.query, VE,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}",
                 TableName=ntable, KeyConditionExpression="pk = :p", ExpressionAttributeValues=A,
                 QueryFilter={"x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})
    expect_error(lax.query, VE, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
                 TableName=ntable)


# ---------------------------------------------------- key condition errors

def kc_error(lax, table, message, condition, values, contains=None, **extra):
    return expect_error(lax.query, VE, message, contains=contains, TableName=table, KeyConditionExpression=condition,
                        ExpressionAttributeValues=values, **extra)


def test_missing_partition_key_condition(lax, ntable):
    # DynamoDB Local omits the ": pk" suffix.
    kc_error(lax, ntable, "Query condition missed key schema element: pk", "sk = :s", {":s": {"N": "1"}})
    kc_error(lax, ntable, "Query condition missed key schema element: pk", "x = :s", {":s": {"N": "1"}})


def test_condition_on_non_key_attribute(lax, ntable):
    # pk is covered, the other condition names no key element: the sort key is reported missing.
    # DynamoDB Local omits the ": sk" suffix.
    kc_error(lax, ntable, "Query condition missed key schema element: sk", "pk = :p AND x = :s", A | {":s": {"N": "1"}})


@pytest.mark.parametrize("condition,operator", [
    ("pk = :p OR sk = :s", "OR"),
    ("NOT pk = :p", "NOT"),
    ("pk = :p AND sk <> :s", "<>"),
    ("pk = :p AND sk IN (:s)", "IN"),
    ("pk = :p AND attribute_exists(sk)", "attribute_exists"),
])
def test_invalid_operators_in_key_condition(lax, ntable, condition, operator):
    values = A | ({":s": {"N": "1"}} if ":s" in condition else {})
    kc_error(lax, ntable, f"Invalid operator used in KeyConditionExpression: {operator}", condition, values)


@pytest.mark.parametrize("condition", ["pk < :p", "begins_with(pk, :p)", "pk BETWEEN :p AND :q", "pk >= :p"])
def test_invalid_operator_on_partition_key(lax, ntable, condition):
    values = A | ({":q": {"S": "b"}} if ":q" in condition else {})
    kc_error(lax, ntable, "Query key condition not supported", condition, values)


def test_key_condition_type_mismatch(lax, ntable):
    kc_error(lax, ntable, "One or more parameter values were invalid: Condition parameter type does not match schema type",
             "pk = :p AND sk = :s", A | {":s": {"S": "1"}})
    kc_error(lax, ntable, "One or more parameter values were invalid: Condition parameter type does not match schema type",
             "pk = :p", {":p": {"N": "1"}})


def test_begins_with_on_number_sort_key(lax, ntable):
    kc_error(lax, ntable,
             "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
             "pk = :p AND begins_with(sk, :s)", A | {":s": {"N": "1"}})


def test_more_than_one_condition_per_key(lax, ntable):
    kc_error(lax, ntable, "KeyConditionExpressions must only contain one condition per key", "pk = :p AND pk = :p", A)
    kc_error(lax, ntable, "KeyConditionExpressions must only contain one condition per key",
             "pk = :p AND sk > :s AND sk < :s", A | {":s": {"N": "1"}})


def test_nested_operations_and_paths_in_key_condition(lax, ntable):
    kc_error(lax, ntable, "KeyConditionExpressions cannot contain nested operations", "size(pk) = :p", {":p": {"N": "1"}})
    kc_error(lax, ntable, "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
             "pk.x = :p", A)


def test_key_condition_syntax_error(lax, ntable):
    kc_error(lax, ntable, 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "= "', "pk = ", A)


def test_limit_zero(lax, ntable):
    # DynamoDB Local: "Limit must be greater than or equal to 1"; the service:
    # "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: ..."
    kc_error(lax, ntable, None, "pk = :p", A, contains="greater than or equal to 1", Limit=0)


def test_exclusive_start_key_not_matching_schema(lax, ntable):
    # DynamoDB Local words these differently ("Exclusive Start Key must have same
    # size as table's key schema", "Type mismatch for attribute to update").
    kc_error(lax, ntable, None, "pk = :p", A, contains="The provided starting key is invalid",
             ExclusiveStartKey={"pk": {"S": "a"}})
    kc_error(lax, ntable, None, "pk = :p", A, contains="The provided starting key is invalid",
             ExclusiveStartKey={"pk": {"S": "a"}, "sk": {"S": "x"}})


def test_exclusive_start_key_outside_the_queried_range(lax, ntable):
    kc_error(lax, ntable, "The provided starting key does not match the range key predicate", "pk = :p", A,
             ExclusiveStartKey={"pk": {"S": "b"}, "sk": {"N": "1"}})


def test_query_on_missing_table(lax):
    expect_error(lax.query, "ResourceNotFoundException", "Requested resource not found", TableName="no-such-table-anywhere",
                 KeyConditionExpression="pk = :p", ExpressionAttributeValues=A)


# ------------------------------------------------------ ConsumedCapacity

def test_query_consumed_capacity(client, ntable):
    response = query(client, ntable, "pk = :p", A, ReturnConsumedCapacity="TOTAL")
    capacity = response["ConsumedCapacity"]
    assert capacity["TableName"] == ntable
    assert capacity["CapacityUnits"] > 0
    response = query(client, ntable, "pk = :p", A, ReturnConsumedCapacity="INDEXES")
    assert response["ConsumedCapacity"]["TableName"] == ntable
    assert response["ConsumedCapacity"]["Table"]["CapacityUnits"] > 0
    response = query(client, ntable, "pk = :p", A, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in response


def test_item_operation_consumed_capacity(client, table_name):
    create_table(client, table_name)
    key = {"pk": {"S": "small"}}
    put = client.put_item(TableName=table_name, Item=key | {"v": {"S": "x"}}, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"] == {"TableName": table_name, "CapacityUnits": 1.0}
    eventual = client.get_item(TableName=table_name, Key=key, ReturnConsumedCapacity="TOTAL")
    assert eventual["ConsumedCapacity"] == {"TableName": table_name, "CapacityUnits": 0.5}
    strong = client.get_item(TableName=table_name, Key=key, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert strong["ConsumedCapacity"] == {"TableName": table_name, "CapacityUnits": 1.0}
    updated = client.update_item(TableName=table_name, Key=key, UpdateExpression="SET v = :v",
                                 ExpressionAttributeValues={":v": {"S": "y"}}, ReturnConsumedCapacity="TOTAL")
    assert updated["ConsumedCapacity"]["TableName"] == table_name and updated["ConsumedCapacity"]["CapacityUnits"] > 0
    scan = client.scan(TableName=table_name, ReturnConsumedCapacity="TOTAL")
    assert scan["ConsumedCapacity"]["TableName"] == table_name and scan["ConsumedCapacity"]["CapacityUnits"] > 0
