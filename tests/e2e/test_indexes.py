"""Secondary indexes (issue 5): GSIs and LSIs created with the table, each
projection type, sparse indexes, index maintenance on every write, Query and
Scan on indexes (pagination, parallel scan, Select, projections,
ConsistentRead), wrongly typed index keys and DescribeTable's index fields.

Checked against DynamoDB Local; see ORACLE_NOTES.md for known differences."""

import re

import pytest
from boto3.dynamodb.conditions import Key

from helpers import expect_error

VE = "ValidationException"


def attr_defs(*pairs):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in pairs]


def key_schema(hash_key, range_key=None):
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def index(name, hash_key, range_key=None, projection="ALL", non_key=None):
    proj = {"ProjectionType": projection}
    if non_key:
        proj["NonKeyAttributes"] = non_key
    return {"IndexName": name, "KeySchema": key_schema(hash_key, range_key), "Projection": proj}


def make_table(client, name, defs, hash_key="pk", range_key="sk", gsis=None, lsis=None):
    extra = {}
    if gsis:
        extra["GlobalSecondaryIndexes"] = gsis
    if lsis:
        extra["LocalSecondaryIndexes"] = lsis
    client.create_table(TableName=name, KeySchema=key_schema(hash_key, range_key), AttributeDefinitions=attr_defs(*defs),
                        BillingMode="PAY_PER_REQUEST", **extra)
    return name


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def query_all(client, table, index_name, condition, values, **extra):
    items, kwargs = [], {}
    while True:
        page = client.query(TableName=table, IndexName=index_name, KeyConditionExpression=condition,
                            ExpressionAttributeValues=values, **kwargs, **extra)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def scan_all(client, table, **extra):
    items, kwargs = [], {}
    while True:
        page = client.scan(TableName=table, **kwargs, **extra)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_keys(items):
    return sorted((i["pk"]["S"], i["sk"]["S"]) for i in items)


# ----------------------------------------------------------------- projections

@pytest.fixture
def ptable(client, table_name):
    """pk/sk table with a GSI and an LSI of every projection type, holding three
    full items (pk p, sk s0..s2), one without any index key and one without `a`."""
    make_table(client, table_name, [("pk", "S"), ("sk", "S"), ("g", "S"), ("gs", "N"), ("l", "N")],
               gsis=[index("g_all", "g", "gs"), index("g_keys", "g", projection="KEYS_ONLY"),
                     index("g_inc", "g", projection="INCLUDE", non_key=["a", "c"])],
               lsis=[index("l_all", "pk", "l"), index("l_keys", "pk", "l", projection="KEYS_ONLY"),
                     index("l_inc", "pk", "l", projection="INCLUDE", non_key=["a"])])
    for i in range(3):
        client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": S(f"s{i}"), "g": S("G"), "gs": N(i), "l": N(10 - i),
                                                    "a": S(f"a{i}"), "b": S(f"b{i}")})
    client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": S("bare"), "a": S("x"), "b": S("y")})
    client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": S("no-a"), "g": S("G"), "gs": N(9), "l": N(99), "b": S("b")})
    return table_name


def gquery(client, table, index_name, **extra):
    return client.query(TableName=table, IndexName=index_name, KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": S("G")}, **extra)


def lquery(client, table, index_name, **extra):
    return client.query(TableName=table, IndexName=index_name, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": S("p")}, **extra)


def attr_sets(items):
    return {item["sk"]["S"]: set(item) for item in items}


def test_gsi_projection_all_returns_whole_items(client, ptable):
    response = gquery(client, ptable, "g_all")
    assert [i["sk"]["S"] for i in response["Items"]] == ["s0", "s1", "s2", "no-a"]
    assert response["Items"][0] == {"pk": S("p"), "sk": S("s0"), "g": S("G"), "gs": N(0), "l": N(10), "a": S("a0"), "b": S("b0")}
    assert response["Count"] == response["ScannedCount"] == 4


def test_gsi_projection_keys_only_returns_table_and_index_keys(client, ptable):
    response = gquery(client, ptable, "g_keys")
    assert attr_sets(response["Items"]) == {sk: {"pk", "sk", "g"} for sk in ["s0", "s1", "s2", "no-a"]}
    assert {"pk": S("p"), "sk": S("s1"), "g": S("G")} in response["Items"]


def test_gsi_projection_include_returns_keys_and_listed_attributes(client, ptable):
    response = gquery(client, ptable, "g_inc")
    assert attr_sets(response["Items"]) == {"s0": {"pk", "sk", "g", "a"}, "s1": {"pk", "sk", "g", "a"},
                                            "s2": {"pk", "sk", "g", "a"}, "no-a": {"pk", "sk", "g"}}
    assert {"pk": S("p"), "sk": S("s2"), "g": S("G"), "a": S("a2")} in response["Items"]


def test_lsi_projections(client, ptable):
    full = lquery(client, ptable, "l_all")["Items"]
    # LSI order is by the index sort key l: s2 (8), s1 (9), s0 (10), no-a (99)
    assert [i["sk"]["S"] for i in full] == ["s2", "s1", "s0", "no-a"]
    assert full[0] == {"pk": S("p"), "sk": S("s2"), "g": S("G"), "gs": N(2), "l": N(8), "a": S("a2"), "b": S("b2")}
    keys = lquery(client, ptable, "l_keys")["Items"]
    assert keys[0] == {"pk": S("p"), "sk": S("s2"), "l": N(8)}
    assert all(set(i) == {"pk", "sk", "l"} for i in keys)
    include = lquery(client, ptable, "l_inc")["Items"]
    assert attr_sets(include) == {"s0": {"pk", "sk", "l", "a"}, "s1": {"pk", "sk", "l", "a"},
                                  "s2": {"pk", "sk", "l", "a"}, "no-a": {"pk", "sk", "l"}}


def test_all_projected_attributes_is_the_default_on_an_index(client, ptable):
    default = gquery(client, ptable, "g_inc")["Items"]
    assert gquery(client, ptable, "g_inc", Select="ALL_PROJECTED_ATTRIBUTES")["Items"] == default
    assert lquery(client, ptable, "l_keys", Select="ALL_PROJECTED_ATTRIBUTES")["Items"] == lquery(client, ptable, "l_keys")["Items"]


def test_select_all_attributes_on_lsi_fetches_whole_items(client, ptable):
    response = lquery(client, ptable, "l_keys", Select="ALL_ATTRIBUTES")
    assert [i["sk"]["S"] for i in response["Items"]] == ["s2", "s1", "s0", "no-a"]
    assert response["Items"][0] == {"pk": S("p"), "sk": S("s2"), "g": S("G"), "gs": N(2), "l": N(8), "a": S("a2"), "b": S("b2")}
    scanned = client.scan(TableName=ptable, IndexName="l_inc", Select="ALL_ATTRIBUTES")["Items"]
    assert {i["sk"]["S"]: i.get("b") for i in scanned} == {"s0": S("b0"), "s1": S("b1"), "s2": S("b2"), "no-a": S("b")}


@pytest.mark.parametrize("index_name", ["g_keys", "g_inc"])
def test_select_all_attributes_on_gsi_without_all_projection_is_an_error(client, ptable, index_name):
    message = ("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
               f"secondary index {index_name} because its projection type is not ALL")
    expect_error(gquery, VE, message, client=client, table=ptable, index_name=index_name, Select="ALL_ATTRIBUTES")
    expect_error(client.scan, VE, message, TableName=ptable, IndexName=index_name, Select="ALL_ATTRIBUTES")
    # on a GSI projecting ALL it is allowed
    assert len(gquery(client, ptable, "g_all", Select="ALL_ATTRIBUTES")["Items"]) == 4


def test_projection_expression_of_non_projected_attribute(client, ptable):
    # LSI: the attribute is fetched from the table.
    items = lquery(client, ptable, "l_keys", ProjectionExpression="b, sk")["Items"]
    assert items == [{"sk": S("s2"), "b": S("b2")}, {"sk": S("s1"), "b": S("b1")}, {"sk": S("s0"), "b": S("b0")},
                     {"sk": S("no-a"), "b": S("b")}]
    assert lquery(client, ptable, "l_inc", ProjectionExpression="a, b")["Items"][0] == {"a": S("a2"), "b": S("b2")}
    # GSI: a GSI cannot fetch from the table, so asking for an attribute it does not project is an error.
    # DynamoDB Local: "One or more parameter values were invalid: Global secondary index g_keys does not project [b]";
    # only the stable part is checked (see ORACLE_NOTES.md).
    expect_error(gquery, VE, client=client, table=ptable, index_name="g_keys", contains="does not project",
                 ProjectionExpression="b")
    expect_error(gquery, VE, client=client, table=ptable, index_name="g_inc", contains="does not project",
                 ProjectionExpression="a, b")
    expect_error(client.scan, VE, TableName=ptable, IndexName="g_keys", contains="does not project", ProjectionExpression="b")
    # projected attributes are fine
    # Items sharing a GSI key come back in no particular order.
    assert {"a": S("a0"), "pk": S("p")} in gquery(client, ptable, "g_inc", ProjectionExpression="a, pk")["Items"]


def test_filter_on_non_projected_attribute_of_gsi_is_an_error(client, ptable):
    expect_error(client.query, VE,
                 "One or more parameter values were invalid: Secondary index g_keys does not project one or more filter attributes: [b]",
                 TableName=ptable, IndexName="g_keys", KeyConditionExpression="g = :g", FilterExpression="b = :b",
                 ExpressionAttributeValues={":g": S("G"), ":b": S("b1")})
    response = client.query(TableName=ptable, IndexName="g_inc", KeyConditionExpression="g = :g", FilterExpression="a = :a",
                            ExpressionAttributeValues={":g": S("G"), ":a": S("a1")})
    assert [i["sk"]["S"] for i in response["Items"]] == ["s1"]
    assert response["ScannedCount"] == 4


def test_consistent_read_on_gsi_is_rejected(client, ptable):
    # DynamoDB Local: "Consistent read cannot be true when querying a GSI"; the service's text is asserted.
    message = "Consistent reads are not supported on global secondary indexes"
    expect_error(gquery, VE, message, client=client, table=ptable, index_name="g_all", ConsistentRead=True)


def test_consistent_read_allowed_on_lsi(client, ptable):
    # Scan on a GSI: Local says "Consistent read cannot be true when scanning a GSI"; only the type is checked.
    expect_error(client.scan, VE, TableName=ptable, IndexName="g_all", ConsistentRead=True)
    assert len(lquery(client, ptable, "l_keys", ConsistentRead=True)["Items"]) == 4
    assert len(client.scan(TableName=ptable, IndexName="l_all", ConsistentRead=True)["Items"]) == 4
    assert len(gquery(client, ptable, "g_all", ConsistentRead=False)["Items"]) == 4


def test_missing_index_name(client, ptable):
    message = "The table does not have the specified index: nosuchindex"
    expect_error(client.query, VE, message, TableName=ptable, IndexName="nosuchindex", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": S("G")})
    expect_error(client.scan, VE, message, TableName=ptable, IndexName="nosuchindex")


def test_key_condition_must_use_the_index_keys(client, ptable):
    # Querying a GSI by the table's partition key: the condition misses the index's hash key.
    error = expect_error(client.query, VE, TableName=ptable, IndexName="g_all", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": S("p")}, contains="Query condition missed key schema element")
    # the sort key of the index can be used in the key condition; the table sort key is a filter attribute there
    response = client.query(TableName=ptable, IndexName="g_all", KeyConditionExpression="g = :g AND gs > :z",
                            ExpressionAttributeValues={":g": S("G"), ":z": N(0)})
    assert [i["sk"]["S"] for i in response["Items"]] == ["s1", "s2", "no-a"]
    assert error


# -------------------------------------------------------------- sparse + moves

@pytest.fixture
def stable(client, table_name):
    make_table(client, table_name, [("pk", "S"), ("sk", "S"), ("g", "S"), ("l", "S")],
               gsis=[index("by_g", "g")], lsis=[index("by_l", "pk", "l")])
    return table_name


def g_items(client, table, value):
    return query_all(client, table, "by_g", "g = :g", {":g": S(value)})


def l_items(client, table, pk="p"):
    return query_all(client, table, "by_l", "pk = :p", {":p": S(pk)})


def test_sparse_index(client, stable):
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("both"), "g": S("G"), "l": S("L")})
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("only-g"), "g": S("G")})
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("only-l"), "l": S("M")})
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("none"), "x": S("x")})
    assert table_keys(g_items(client, stable, "G")) == [("p", "both"), ("p", "only-g")]
    assert [i["sk"]["S"] for i in l_items(client, stable)] == ["both", "only-l"]
    assert table_keys(scan_all(client, stable, IndexName="by_g")) == [("p", "both"), ("p", "only-g")]
    assert table_keys(scan_all(client, stable, IndexName="by_l")) == [("p", "both"), ("p", "only-l")]
    assert client.scan(TableName=stable, IndexName="by_g", Select="COUNT")["Count"] == 2
    assert client.scan(TableName=stable, Select="COUNT")["Count"] == 4


def test_put_replacing_item_moves_index_entry(client, stable):
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("a"), "g": S("G1"), "l": S("L1"), "v": N(1)})
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("a"), "g": S("G2"), "l": S("L2"), "v": N(2)})
    assert g_items(client, stable, "G1") == []
    assert g_items(client, stable, "G2") == [{"pk": S("p"), "sk": S("a"), "g": S("G2"), "l": S("L2"), "v": N(2)}]
    assert [i["l"]["S"] for i in l_items(client, stable)] == ["L2"]
    # a put without the index key removes the entry
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("a"), "v": N(3)})
    assert g_items(client, stable, "G2") == []
    assert l_items(client, stable) == []


def test_update_changing_index_key_moves_entry(client, stable):
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("a"), "g": S("G1"), "l": S("L1")})
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("b"), "l": S("L5")})
    client.update_item(TableName=stable, Key={"pk": S("p"), "sk": S("a")}, UpdateExpression="SET g = :g, l = :l, v = :v",
                       ExpressionAttributeValues={":g": S("G2"), ":l": S("L9"), ":v": N(7)})
    assert g_items(client, stable, "G1") == []
    assert g_items(client, stable, "G2") == [{"pk": S("p"), "sk": S("a"), "g": S("G2"), "l": S("L9"), "v": N(7)}]
    assert [(i["sk"]["S"], i["l"]["S"]) for i in l_items(client, stable)] == [("b", "L5"), ("a", "L9")]
    # updating a non-key attribute refreshes the projected copy
    client.update_item(TableName=stable, Key={"pk": S("p"), "sk": S("a")}, UpdateExpression="SET v = :v",
                       ExpressionAttributeValues={":v": N(8)})
    assert g_items(client, stable, "G2")[0]["v"] == N(8)
    # adding the key to an item not in the index adds it
    client.update_item(TableName=stable, Key={"pk": S("p"), "sk": S("b")}, UpdateExpression="SET g = :g",
                       ExpressionAttributeValues={":g": S("G2")})
    assert table_keys(g_items(client, stable, "G2")) == [("p", "a"), ("p", "b")]
    # REMOVE of the key drops the entry
    client.update_item(TableName=stable, Key={"pk": S("p"), "sk": S("a")}, UpdateExpression="REMOVE g, l")
    assert table_keys(g_items(client, stable, "G2")) == [("p", "b")]
    assert [i["sk"]["S"] for i in l_items(client, stable)] == ["b"]
    # an update creating a new item with the key puts it in the index
    client.update_item(TableName=stable, Key={"pk": S("q"), "sk": S("new")}, UpdateExpression="SET g = :g",
                       ExpressionAttributeValues={":g": S("G3")})
    assert g_items(client, stable, "G3") == [{"pk": S("q"), "sk": S("new"), "g": S("G3")}]


def test_delete_removes_index_entries(client, stable):
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("a"), "g": S("G"), "l": S("L")})
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("b"), "g": S("G"), "l": S("M")})
    client.delete_item(TableName=stable, Key={"pk": S("p"), "sk": S("a")})
    assert table_keys(g_items(client, stable, "G")) == [("p", "b")]
    assert [i["sk"]["S"] for i in l_items(client, stable)] == ["b"]
    client.delete_item(TableName=stable, Key={"pk": S("p"), "sk": S("b")})
    assert g_items(client, stable, "G") == []
    assert l_items(client, stable) == []
    assert client.scan(TableName=stable, IndexName="by_g")["Items"] == []


def test_failed_condition_leaves_index_unchanged(client, stable):
    client.put_item(TableName=stable, Item={"pk": S("p"), "sk": S("a"), "g": S("G1")})
    expect_error(client.update_item, "ConditionalCheckFailedException", TableName=stable, Key={"pk": S("p"), "sk": S("a")},
                 UpdateExpression="SET g = :g", ConditionExpression="attribute_not_exists(pk)",
                 ExpressionAttributeValues={":g": S("G2")})
    assert table_keys(g_items(client, stable, "G1")) == [("p", "a")]
    assert g_items(client, stable, "G2") == []


# ------------------------------------------------------------ wrong key types

@pytest.fixture
def ttable(client, table_name):
    make_table(client, table_name, [("pk", "S"), ("sk", "S"), ("g", "S"), ("l", "N")],
               gsis=[index("gsi_g", "g")], lsis=[index("lsi_l", "pk", "l")])
    client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": S("a"), "g": S("G"), "l": N(1)})
    return table_name


def test_put_with_wrongly_typed_index_key_is_rejected(client, ttable):
    expect_error(client.put_item, VE,
                 "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: gsi_g",
                 TableName=ttable, Item={"pk": S("p"), "sk": S("a"), "g": N(5), "l": N(2)})
    expect_error(client.put_item, VE,
                 "One or more parameter values were invalid: Type mismatch for Index Key l Expected: N Actual: S IndexName: lsi_l",
                 TableName=ttable, Item={"pk": S("p"), "sk": S("b"), "l": S("x")})
    # nothing was written
    assert client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("a")})["Item"] == \
        {"pk": S("p"), "sk": S("a"), "g": S("G"), "l": N(1)}
    assert "Item" not in client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("b")})


def test_wrongly_typed_index_key_write_is_not_applied(client, ttable):
    # The stable prefix only (DynamoDB Local stops after "Type mismatch for Index Key").
    prefix = "One or more parameter values were invalid: Type mismatch for Index Key"
    expect_error(client.put_item, VE, TableName=ttable, Item={"pk": S("p"), "sk": S("a"), "g": N(5)}, contains=prefix)
    expect_error(client.put_item, VE, TableName=ttable, Item={"pk": S("p"), "sk": S("c"), "g": {"B": b"x"}}, contains=prefix)
    expect_error(client.put_item, VE, TableName=ttable, Item={"pk": S("p"), "sk": S("c"), "l": S("x")}, contains=prefix)
    assert client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("a")})["Item"] == \
        {"pk": S("p"), "sk": S("a"), "g": S("G"), "l": N(1)}
    assert "Item" not in client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("c")})
    assert client.query(TableName=ttable, IndexName="gsi_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": S("G")})["Count"] == 1


def test_update_with_wrongly_typed_index_key_is_rejected(client, ttable):
    # DynamoDB Local accepts these updates (and stores the wrong type); DynamoDB rejects them. See ORACLE_NOTES.md.
    expect_error(client.update_item, VE,
                 "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: gsi_g",
                 TableName=ttable, Key={"pk": S("p"), "sk": S("a")}, UpdateExpression="SET g = :v, x = :x",
                 ExpressionAttributeValues={":v": N(1), ":x": S("x")})
    expect_error(client.update_item, VE,
                 "One or more parameter values were invalid: Type mismatch for Index Key l Expected: N Actual: S IndexName: lsi_l",
                 TableName=ttable, Key={"pk": S("p"), "sk": S("a")}, UpdateExpression="SET l = :v",
                 ExpressionAttributeValues={":v": S("1")})
    assert client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("a")})["Item"] == \
        {"pk": S("p"), "sk": S("a"), "g": S("G"), "l": N(1)}


def test_empty_string_index_key_is_rejected(client, ttable):
    expect_error(client.put_item, VE,
                 "One or more parameter values are not valid. A value specified for a secondary index key is not supported. "
                 "The AttributeValue for a key attribute cannot contain an empty string value. IndexName: gsi_g, IndexKey: g",
                 TableName=ttable, Item={"pk": S("p"), "sk": S("c"), "g": S("")})
    expect_error(client.update_item, VE,
                 "One or more parameter values are not valid. The update expression attempted to update a secondary index key "
                 "to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value.",
                 TableName=ttable, Key={"pk": S("p"), "sk": S("a")}, UpdateExpression="SET g = :v",
                 ExpressionAttributeValues={":v": S("")})
    assert "Item" not in client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("c")})
    assert client.get_item(TableName=ttable, Key={"pk": S("p"), "sk": S("a")})["Item"]["g"] == S("G")


# ------------------------------------------------------------------ pagination

@pytest.fixture
def pgtable(client, table_name):
    """GSI by_g (g S, gn N) and GSI g_hash (g only), LSI by_l (pk, l N); 7 items in
    g partition "G" with gn 0..6 and l 6..0, plus 2 items elsewhere."""
    make_table(client, table_name, [("pk", "S"), ("sk", "S"), ("g", "S"), ("gn", "N"), ("l", "N")],
               gsis=[index("by_g", "g", "gn"), index("g_hash", "g", projection="KEYS_ONLY")],
               lsis=[index("by_l", "pk", "l", projection="KEYS_ONLY")])
    for i in range(7):
        client.put_item(TableName=table_name, Item={"pk": S(f"p{i % 2}"), "sk": S(f"s{i}"), "g": S("G"), "gn": N(i),
                                                    "l": N(6 - i), "v": N(i)})
    client.put_item(TableName=table_name, Item={"pk": S("p0"), "sk": S("other"), "g": S("H"), "gn": N(0), "l": N(100)})
    client.put_item(TableName=table_name, Item={"pk": S("p9"), "sk": S("x"), "g": S("G"), "l": N(1)})  # no gn: not in by_g
    return table_name


def paged(client, table, index_name, condition, values, limit, **extra):
    pages, kwargs = [], {}
    while True:
        page = client.query(TableName=table, IndexName=index_name, KeyConditionExpression=condition,
                            ExpressionAttributeValues=values, Limit=limit, **kwargs, **extra)
        pages.append(page)
        if "LastEvaluatedKey" not in page:
            return pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.mark.parametrize("forward", [True, False])
def test_gsi_query_pagination_both_directions(client, pgtable, forward):
    pages = paged(client, pgtable, "by_g", "g = :g", {":g": S("G")}, 2, ScanIndexForward=forward)
    numbers = [int(i["gn"]["N"]) for p in pages for i in p["Items"]]
    assert numbers == (list(range(7)) if forward else list(range(6, -1, -1)))
    assert [p["Count"] for p in pages][:3] == [2, 2, 2]
    for page in pages[:-1]:
        last = page["Items"][-1]
        assert set(page["LastEvaluatedKey"]) == {"g", "gn", "pk", "sk"}
        assert page["LastEvaluatedKey"] == {k: last[k] for k in ("g", "gn", "pk", "sk")}
    assert "LastEvaluatedKey" not in pages[-1] or pages[-1]["Items"] == []


@pytest.mark.parametrize("forward", [True, False])
def test_lsi_query_pagination_both_directions(client, pgtable, forward):
    pages = paged(client, pgtable, "by_l", "pk = :p", {":p": S("p0")}, 2, ScanIndexForward=forward)
    ls = [int(i["l"]["N"]) for p in pages for i in p["Items"]]
    # p0 holds s0 (l 6), s2 (4), s4 (2), s6 (0) and "other" (100)
    assert ls == ([0, 2, 4, 6, 100] if forward else [100, 6, 4, 2, 0])
    assert len(pages) == 3
    for page in pages[:-1]:
        assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "l"}
        assert page["LastEvaluatedKey"] == {k: page["Items"][-1][k] for k in ("pk", "sk", "l")}


def test_lsi_query_with_sort_key_condition(client, pgtable):
    pages = paged(client, pgtable, "by_l", "pk = :p AND l BETWEEN :lo AND :hi", {":p": S("p0"), ":lo": N(2), ":hi": N(6)}, 1,
                  ScanIndexForward=False)
    assert [i["sk"]["S"] for p in pages for i in p["Items"]] == ["s0", "s2", "s4"]


def test_hash_only_gsi_pagination(client, pgtable):
    pages = paged(client, pgtable, "g_hash", "g = :g", {":g": S("G")}, 3)
    items = [i for p in pages for i in p["Items"]]
    assert table_keys(items) == sorted([(f"p{i % 2}", f"s{i}") for i in range(7)] + [("p9", "x")])
    assert len(items) == 8
    for page in pages[:-1]:
        assert set(page["LastEvaluatedKey"]) == {"g", "pk", "sk"}


def test_gsi_last_evaluated_key_on_hash_only_table(client, table_name):
    make_table(client, table_name, [("pk", "S"), ("g", "S"), ("n", "N")], range_key=None, gsis=[index("by_g", "g", "n")])
    for i in range(4):
        client.put_item(TableName=table_name, Item={"pk": S(f"k{i}"), "g": S("G"), "n": N(i)})
    page = client.query(TableName=table_name, IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": S("G")}, Limit=2)
    assert page["LastEvaluatedKey"] == {"g": S("G"), "n": N(1), "pk": S("k1")}
    rest = client.query(TableName=table_name, IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": S("G")}, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert [i["n"]["N"] for i in rest["Items"]] == ["2", "3"]


def test_paginator_over_index(client, pgtable):
    paginator = client.get_paginator("query")
    pages = list(paginator.paginate(TableName=pgtable, IndexName="by_g", KeyConditionExpression="g = :g",
                                    ExpressionAttributeValues={":g": S("G")}, PaginationConfig={"PageSize": 3}))
    assert [int(i["gn"]["N"]) for p in pages for i in p["Items"]] == list(range(7))
    assert len(pages) >= 3
    scan_pages = list(client.get_paginator("scan").paginate(TableName=pgtable, IndexName="by_l",
                                                            PaginationConfig={"PageSize": 2}))
    assert sum(p["Count"] for p in scan_pages) == 9


def test_resource_query_on_index(server, pgtable):
    table = server.resource().Table(pgtable)
    response = table.query(IndexName="by_g", KeyConditionExpression=Key("g").eq("G") & Key("gn").gte(5))
    assert [int(i["gn"]) for i in response["Items"]] == [5, 6]


# --------------------------------------------------------------------- scans

def test_scan_on_index(client, pgtable):
    assert client.scan(TableName=pgtable, IndexName="by_g", Select="COUNT")["Count"] == 8
    assert client.scan(TableName=pgtable, IndexName="by_l", Select="COUNT")["Count"] == 9
    items = scan_all(client, pgtable, IndexName="by_g", Limit=3)
    assert len(items) == 8
    assert {(i["g"]["S"], i["gn"]["N"]) for i in items} == {("G", str(n)) for n in range(7)} | {("H", "0")}
    page = client.scan(TableName=pgtable, IndexName="by_g", Limit=2)
    assert set(page["LastEvaluatedKey"]) == {"g", "gn", "pk", "sk"}
    filtered = client.scan(TableName=pgtable, IndexName="by_g", FilterExpression="v > :v", ExpressionAttributeValues={":v": N(4)})
    assert sorted(int(i["v"]["N"]) for i in filtered["Items"]) == [5, 6]
    assert filtered["ScannedCount"] == 8


@pytest.mark.parametrize("index_name", ["by_g", "by_l"])
def test_parallel_scan_on_index_is_disjoint_and_complete(client, pgtable, index_name):
    full = table_keys(scan_all(client, pgtable, IndexName=index_name))
    segments = [table_keys(scan_all(client, pgtable, IndexName=index_name, Segment=s, TotalSegments=3, Limit=2))
                for s in range(3)]
    combined = sorted(k for seg in segments for k in seg)
    assert combined == full
    assert len(set(combined)) == len(combined)


# --------------------------------------------------------------- DescribeTable

def test_describe_table_reports_indexes(client, table_name):
    make_table(client, table_name, [("pk", "S"), ("sk", "S"), ("g", "S"), ("l", "N")],
               gsis=[index("gsi_one", "g", "sk", projection="INCLUDE", non_key=["a", "b"])],
               lsis=[index("lsi_one", "pk", "l", projection="KEYS_ONLY")])
    for i in range(5):
        item = {"pk": S("p"), "sk": S(f"s{i}"), "a": S("x" * 10)}
        if i < 3:
            item["g"] = S("G")
        if i % 2 == 0:
            item["l"] = N(i)
        client.put_item(TableName=table_name, Item=item)
    table = client.describe_table(TableName=table_name)["Table"]
    (gsi,) = table["GlobalSecondaryIndexes"]
    (lsi,) = table["LocalSecondaryIndexes"]
    assert gsi["IndexName"] == "gsi_one"
    assert gsi["KeySchema"] == key_schema("g", "sk")
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}
    assert gsi["IndexStatus"] == "ACTIVE"
    assert lsi["IndexName"] == "lsi_one"
    assert lsi["KeySchema"] == key_schema("pk", "l")
    assert lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert "IndexStatus" not in lsi
    for description, name in ((gsi, "gsi_one"), (lsi, "lsi_one")):
        assert re.fullmatch(rf"arn:aws:dynamodb:[^:]+:\d{{12}}:table/{table_name}/index/{name}", description["IndexArn"]), description
        assert description["IndexArn"].startswith(table["TableArn"] + "/index/")
        assert isinstance(description["IndexSizeBytes"], int) and description["IndexSizeBytes"] > 0
    # Exact counts: DynamoDB Local (and Halyard) keep them current; the service refreshes them about every six hours.
    assert gsi["ItemCount"] == 3
    assert lsi["ItemCount"] == 3
    assert table["ItemCount"] == 5
    assert gsi["IndexSizeBytes"] <= table["TableSizeBytes"]


def test_describe_table_of_table_without_indexes_has_no_index_fields(client, table_name):
    make_table(client, table_name, [("pk", "S")], range_key=None)
    table = client.describe_table(TableName=table_name)["Table"]
    assert "GlobalSecondaryIndexes" not in table
    assert "LocalSecondaryIndexes" not in table


def test_create_table_response_describes_indexes(client, table_name):
    response = client.create_table(
        TableName=table_name, KeySchema=key_schema("pk", "sk"), BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=attr_defs(("pk", "S"), ("sk", "S"), ("g", "N")),
        GlobalSecondaryIndexes=[index("gsi_n", "g", projection="KEYS_ONLY")],
        LocalSecondaryIndexes=[index("lsi_g", "pk", "g")])
    description = response["TableDescription"]
    assert [i["IndexName"] for i in description["GlobalSecondaryIndexes"]] == ["gsi_n"]
    assert [i["IndexName"] for i in description["LocalSecondaryIndexes"]] == ["lsi_g"]
    assert description["GlobalSecondaryIndexes"][0]["KeySchema"] == key_schema("g")
    assert description["GlobalSecondaryIndexes"][0]["IndexStatus"] in ("CREATING", "ACTIVE")
    # a numeric index key sorts numerically
    for value in ["10", "-1", "2.5", "100"]:
        client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": S(value), "g": N(value)})
    items = query_all(client, table_name, "lsi_g", "pk = :p", {":p": S("p")})
    assert [i["g"]["N"] for i in items] == ["-1", "2.5", "10", "100"]


def test_consumed_capacity_by_index(client, table_name):
    """INDEXES breaks write capacity down by table and by index; TOTAL sums it."""
    client.create_table(
        TableName=table_name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g", "l")],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    item = {"pk": {"S": "p"}, "sk": {"S": "s"}, "g": {"S": "G"}, "l": {"S": "L"}}
    consumed = client.put_item(TableName=table_name, Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert consumed["Table"] == {"CapacityUnits": 1.0}
    assert consumed["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 1.0}}
    assert consumed["LocalSecondaryIndexes"] == {"by_l": {"CapacityUnits": 1.0}}
    assert consumed["CapacityUnits"] == 3.0
    # Moving the GSI key deletes one entry and writes another: two units.
    consumed = client.update_item(TableName=table_name, Key={"pk": {"S": "p"}, "sk": {"S": "s"}},
                                  UpdateExpression="SET g = :g", ExpressionAttributeValues={":g": {"S": "H"}},
                                  ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    # The local index projects nothing that changed: no write there.
    assert consumed == {"TableName": table_name, "CapacityUnits": 1.0 + 2.0}
    # A write that leaves an item out of an index costs that index nothing.
    consumed = client.put_item(TableName=table_name, Item={"pk": {"S": "q"}, "sk": {"S": "s"}},
                               ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert consumed == {"TableName": table_name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
