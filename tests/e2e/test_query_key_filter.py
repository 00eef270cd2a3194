"""A Query's filter may not name the key attributes of what it reads: the
queried index's key for an index Query (the table's key attributes are then
ordinary attributes, as single-table designs use them), the table's key
otherwise. Checked against DynamoDB Local for FilterExpression and
QueryFilter, GSIs and LSIs, partition and sort keys."""

import uuid

import pytest

from helpers import expect_error

VE = "ValidationException"


@pytest.fixture(scope="module")
def indexed(server):
    """pk/sk table with a GSI on gpk/gsk and an LSI on pk/lsk, and two items
    of one GSI partition."""
    client = server.client()
    name = f"kf-{uuid.uuid4().hex[:10]}"
    strings = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gpk", "gsk", "lsk")]
    client.create_table(
        TableName=name,
        AttributeDefinitions=strings,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g",
            "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}, {"AttributeName": "gsk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        LocalSecondaryIndexes=[{
            "IndexName": "by-l",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    for pk, sk, gsk in (("USER#1", "PROFILE", "2024"), ("USER#2", "ORDER#9", "2025")):
        client.put_item(TableName=name, Item={
            "pk": {"S": pk}, "sk": {"S": sk}, "gpk": {"S": "ORG#1"}, "gsk": {"S": gsk},
            "lsk": {"S": gsk}, "v": {"S": "x"},
        })
    yield name
    client.delete_table(TableName=name)


def s(value):
    return {"S": value}


def eq(value):
    return {"ComparisonOperator": "EQ", "AttributeValueList": [s(value)]}


@pytest.mark.parametrize("filter_expression, expected_pks", [
    ("pk = :v", ["USER#1"]),
    ("begins_with(sk, :o)", ["USER#2"]),
    ("sk = :o OR pk = :v", ["USER#1"]),
])
def test_gsi_query_filtered_on_the_table_key(client, indexed, filter_expression, expected_pks):
    values = {":g": s("ORG#1"), ":v": s("USER#1"), ":o": s("ORDER#")}
    used = {k: v for k, v in values.items() if k in filter_expression or k == ":g"}
    page = client.query(TableName=indexed, IndexName="by-g", KeyConditionExpression="gpk = :g",
                        FilterExpression=filter_expression, ExpressionAttributeValues=used)
    assert [item["pk"]["S"] for item in page["Items"]] == expected_pks
    assert page["ScannedCount"] == 2


@pytest.mark.parametrize("filter_expression, refused", [
    ("gpk = :v", "gpk"),
    ("gsk = :v", "gsk"),
    ("size(gsk) > :n", "gsk"),
    ("attribute_exists(gpk)", "gpk"),
    (":v = gsk", "gsk"),
    # The partition key is named first, whatever the filter's order.
    ("gsk = :v AND gpk = :v", "gpk"),
    ("pk = :v AND gsk = :v", "gsk"),
])
def test_gsi_query_filtered_on_the_index_key_is_refused(lax, indexed, filter_expression, refused):
    values = {":g": s("ORG#1"), ":v": s("2024"), ":n": {"N": "1"}}
    used = {k: v for k, v in values.items() if k in filter_expression or k == ":g"}
    expect_error(lax.query, VE,
                 f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {refused}",
                 TableName=indexed, IndexName="by-g", KeyConditionExpression="gpk = :g",
                 FilterExpression=filter_expression, ExpressionAttributeValues=used)


def test_lsi_query_filtered_on_the_table_sort_key(client, indexed):
    page = client.query(TableName=indexed, IndexName="by-l", KeyConditionExpression="pk = :p",
                        FilterExpression="sk = :s", ExpressionAttributeValues={":p": s("USER#2"), ":s": s("ORDER#9")})
    assert [item["sk"]["S"] for item in page["Items"]] == ["ORDER#9"]


@pytest.mark.parametrize("filter_expression, refused", [
    ("lsk = :v", "lsk"),
    ("pk = :v", "pk"),
])
def test_lsi_query_filtered_on_the_index_key_is_refused(lax, indexed, filter_expression, refused):
    expect_error(lax.query, VE,
                 f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {refused}",
                 TableName=indexed, IndexName="by-l", KeyConditionExpression="pk = :p",
                 FilterExpression=filter_expression, ExpressionAttributeValues={":p": s("USER#1"), ":v": s("2024")})


def test_table_query_filtered_on_index_keys(client, indexed):
    page = client.query(TableName=indexed, KeyConditionExpression="pk = :p", FilterExpression="gsk = :y AND lsk = :y",
                        ExpressionAttributeValues={":p": s("USER#1"), ":y": s("2024")})
    assert [item["pk"]["S"] for item in page["Items"]] == ["USER#1"]


def test_legacy_query_filter_on_table_key_of_gsi(client, indexed):
    page = client.query(TableName=indexed, IndexName="by-g", KeyConditions={"gpk": eq("ORG#1")},
                        QueryFilter={"sk": eq("PROFILE")})
    assert [item["pk"]["S"] for item in page["Items"]] == ["USER#1"]
    page = client.query(TableName=indexed, IndexName="by-l", KeyConditions={"pk": eq("USER#2")},
                        QueryFilter={"sk": eq("ORDER#9")})
    assert [item["pk"]["S"] for item in page["Items"]] == ["USER#2"]


@pytest.mark.parametrize("index, key_conditions, query_filter, refused", [
    ("by-g", {"gpk": eq("ORG#1")}, {"gsk": eq("2024")}, "gsk"),
    ("by-g", {"gpk": eq("ORG#1")}, {"gpk": eq("ORG#1")}, "gpk"),
    ("by-g", {"gpk": eq("ORG#1")}, {"v": eq("x"), "gsk": eq("2024"), "gpk": eq("ORG#1")}, "gpk"),
    ("by-l", {"pk": eq("USER#1")}, {"lsk": eq("2024")}, "lsk"),
    ("by-l", {"pk": eq("USER#1")}, {"pk": eq("USER#1")}, "pk"),
    (None, {"pk": eq("USER#1")}, {"sk": {"ComparisonOperator": "NOT_NULL"}}, "sk"),
])
def test_legacy_query_filter_on_the_read_key_is_refused(lax, indexed, index, key_conditions, query_filter, refused):
    extra = {"IndexName": index} if index else {}
    if len(query_filter) > 1:
        extra["ConditionalOperator"] = "OR"
    expect_error(lax.query, VE,
                 f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {refused}",
                 TableName=indexed, KeyConditions=key_conditions, QueryFilter=query_filter, **extra)


def test_scan_of_an_index_may_filter_on_its_key(client, indexed):
    page = client.scan(TableName=indexed, IndexName="by-g", FilterExpression="gsk = :y",
                       ExpressionAttributeValues={":y": s("2025")})
    assert [item["pk"]["S"] for item in page["Items"]] == ["USER#2"]


SCALARS = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "


@pytest.mark.parametrize("index, key_condition, request_part, refused", [
    # The table's key first, then the local indexes', then the global ones', whatever the expression's order.
    (None, "pk = :p", {"FilterExpression": "gsk.a = :v AND sk.b = :v"}, "Key: sk"),
    (None, "pk = :p", {"FilterExpression": "gpk.a = :v AND lsk[0] = :v"}, "IndexKey: lsk"),
    (None, "pk = :p", {"FilterExpression": "gsk.a = :v"}, "IndexKey: gsk"),
    ("by-g", "gpk = :g", {"FilterExpression": "pk.a = :v"}, "Key: pk"),
    ("by-g", "gpk = :g", {"FilterExpression": "gsk.a = :v"}, "IndexKey: gsk"),
    ("by-l", "pk = :p", {"ProjectionExpression": "v, lsk.a"}, "IndexKey: lsk"),
    # Before the key condition is matched to the key.
    (None, "gpk = :g", {"FilterExpression": "lsk.a = :v"}, "IndexKey: lsk"),
])
def test_query_may_not_step_into_key_attributes(lax, indexed, index, key_condition, request_part, refused):
    extra = {"IndexName": index} if index else {}
    values = {":p": s("USER#1"), ":g": s("ORG#1"), ":v": s("x")}
    text = key_condition + request_part.get("FilterExpression", "")
    expect_error(lax.query, VE, SCALARS + refused, TableName=indexed, KeyConditionExpression=key_condition,
                 ExpressionAttributeValues={k: v for k, v in values.items() if k in text}, **request_part, **extra)


@pytest.mark.parametrize("index, request_part, refused", [
    (None, {"FilterExpression": "pk.a = :v"}, "Key: pk"),
    ("by-g", {"FilterExpression": "gpk[0] = :v"}, "IndexKey: gpk"),
    (None, {"ProjectionExpression": "gsk.a"}, "IndexKey: gsk"),
])
def test_scan_may_not_step_into_key_attributes(lax, indexed, index, request_part, refused):
    extra = {"IndexName": index} if index else {}
    if "FilterExpression" in request_part:
        extra["ExpressionAttributeValues"] = {":v": s("x")}
    expect_error(lax.scan, VE, SCALARS + refused, TableName=indexed, **request_part, **extra)


def test_filter_key_refused_before_projection_checks(lax, server):
    """On a KEYS_ONLY GSI, the filter's key attribute is refused before the
    unprojected attributes are."""
    client = server.client()
    name = f"kfk-{uuid.uuid4().hex[:10]}"
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        message = "Filter Expression can only contain non-primary key attributes: Primary key attribute: g"
        query = dict(TableName=name, IndexName="keys", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": s("x")})
        expect_error(lax.query, VE, message, FilterExpression="v = :g AND g = :g", **query)
        expect_error(lax.query, VE, message, FilterExpression="g = :g", ProjectionExpression="v", **query)
        expect_error(lax.query, VE, message, FilterExpression="g = :g", Select="ALL_ATTRIBUTES", **query)
    finally:
        client.delete_table(TableName=name)


NOT_SCALAR = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {}"


@pytest.mark.parametrize("operation, arguments, refused", [
    ("get_item", {"ProjectionExpression": "pk.a"}, "Key: pk"),
    ("get_item", {"ProjectionExpression": "v, gsk[0]"}, "IndexKey: gsk"),
    ("put_item", {"ConditionExpression": "attribute_exists(sk.a)"}, "Key: sk"),
    ("delete_item", {"ConditionExpression": "lsk.a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}},
     "IndexKey: lsk"),
    ("update_item", {"UpdateExpression": "SET v = :v", "ConditionExpression": "attribute_exists(pk.a)",
                     "ExpressionAttributeValues": {":v": {"S": "x"}}}, "Key: pk"),
    ("update_item", {"UpdateExpression": "SET v = sk.a"}, "Key: sk"),
    ("update_item", {"UpdateExpression": "SET v = if_not_exists(gsk[1], :v)",
                     "ExpressionAttributeValues": {":v": {"S": "x"}}}, "IndexKey: gsk"),
    ("batch_get_item", {"ProjectionExpression": "pk.a"}, "Key: pk"),
    ("transact_get_items", {"ProjectionExpression": "gpk.a"}, "IndexKey: gpk"),
])
def test_item_operations_may_not_step_into_key_attributes(lax, indexed, operation, arguments, refused):
    # Checked against DynamoDB Local: the same message as for Query and Scan.
    key = {"pk": {"S": "USER#1"}, "sk": {"S": "PROFILE"}}
    if operation == "put_item":
        request = {"TableName": indexed, "Item": key, **arguments}
    elif operation == "batch_get_item":
        request = {"RequestItems": {indexed: {"Keys": [key], **arguments}}}
    elif operation == "transact_get_items":
        request = {"TransactItems": [{"Get": {"TableName": indexed, "Key": key, **arguments}}]}
    else:
        request = {"TableName": indexed, "Key": key, **arguments}
    expect_error(getattr(lax, operation), "ValidationException", NOT_SCALAR.format(refused), **request)
