"""Multi-attribute keys for global secondary indexes (DynamoDB, November 2025):
up to four HASH and four RANGE attributes per GSI key, at CreateTable and by
UpdateTable (with a backfill while writes continue); Query with an equality on
every partition attribute and conditions on the sort attributes left to right;
sparse items, Scan, pagination and consumed capacity as for single-attribute
GSIs.

DynamoDB Local 1.25.1 predates the feature and refuses these key schemas
("Key Schema too big"): these tests assert the documented behaviour; see
ORACLE_NOTES.md. Expected results come from a reference model of DynamoDB's
order (each sort attribute by its own type's order, left to right)."""

import json
import random
import threading
import time
from decimal import Decimal

import pytest

from helpers import expect_error

VE = "ValidationException"


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def B(v):
    return {"B": v}


def schema(hashes, ranges=()):
    return ([{"AttributeName": a, "KeyType": "HASH"} for a in hashes]
            + [{"AttributeName": a, "KeyType": "RANGE"} for a in ranges])


def definitions(**types):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]


# The main index: partition (t S, reg N); sort (round S, seq N, bits B).
MATCH_HASH = ("t", "reg")
MATCH_RANGE = ("round", "seq", "bits")
TYPES = {"pk": "S", "t": "S", "reg": "N", "round": "S", "seq": "N", "bits": "B", "player": "S", "dt": "S"}


def create_match_table(client, name, extra_indexes=()):
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=schema(["pk"]),
        AttributeDefinitions=definitions(**TYPES),
        GlobalSecondaryIndexes=[
            {"IndexName": "by_match", "KeySchema": schema(MATCH_HASH, MATCH_RANGE),
             "Projection": {"ProjectionType": "ALL"}},
            # One HASH and two RANGE attributes, KEYS_ONLY.
            {"IndexName": "by_player", "KeySchema": schema(["player"], ["dt", "seq"]),
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            *extra_indexes,
        ])


def sort_value(attribute):
    """A key value as DynamoDB orders it: S and B by bytes, N numerically."""
    (kind, value), = attribute.items()
    if kind == "S":
        return value.encode()
    if kind == "N":
        return Decimal(value)
    return bytes(value)


def index_order(items, attributes):
    return sorted(items, key=lambda i: tuple(sort_value(i[a]) for a in attributes))


def items_for(rng, count):
    """Items with small value domains (so that prefixes repeat), some lacking
    one of by_match's key attributes (sparse)."""
    items = []
    for n in range(count):
        item = {"pk": S(f"p{n:03}"), "t": S(rng.choice(["winter", "summer"])), "reg": N(rng.choice([1, 2])),
                "round": S(rng.choice(["final", "quarter", "semi", "semi-b"])),
                "seq": N(rng.choice([-5, 0, 1.5, 2, 10, 100])),
                "bits": B(bytes([rng.choice([0, 1, 0x7f, 0xff]), rng.choice([0, 0xff])])),
                "player": S(rng.choice(["ann", "bob"])), "dt": S(rng.choice(["d1", "d2"])), "v": N(n)}
        if n % 7 == 3:
            del item[rng.choice(MATCH_HASH + MATCH_RANGE)]
        items.append(item)
    return items


def complete(item, attributes):
    return all(a in item for a in attributes)


def query_all(client, table, index, **kwargs):
    items, pages = [], 0
    while True:
        page = client.query(TableName=table, IndexName=index, **kwargs)
        items += page["Items"]
        pages += 1
        if "LastEvaluatedKey" not in page:
            return items, pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def scan_all(client, table, **kwargs):
    items = []
    while True:
        page = client.scan(TableName=table, **kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def pks(items):
    return [i["pk"]["S"] for i in items]


@pytest.fixture
def match_table(client, table_name):
    create_match_table(client, table_name)
    items = items_for(random.Random(11), 120)
    for item in items:
        client.put_item(TableName=table_name, Item=item)
    return table_name, items


def test_describe_keeps_the_key_schema_in_order(client, table_name):
    create_match_table(client, table_name)
    table = client.describe_table(TableName=table_name)["Table"]
    gsis = {g["IndexName"]: g for g in table["GlobalSecondaryIndexes"]}
    assert gsis["by_match"]["KeySchema"] == schema(MATCH_HASH, MATCH_RANGE)
    assert gsis["by_player"]["KeySchema"] == schema(["player"], ["dt", "seq"])
    assert sorted(table["AttributeDefinitions"], key=lambda d: d["AttributeName"]) == \
        sorted(definitions(**TYPES), key=lambda d: d["AttributeName"])
    # Four HASH and four RANGE attributes is the largest key.
    names = [f"a{i}" for i in range(8)]
    client.create_table(
        TableName=table_name + "-max", BillingMode="PAY_PER_REQUEST", KeySchema=schema(["pk"]),
        AttributeDefinitions=definitions(pk="S", **{n: "SNB"[i % 3] for i, n in enumerate(names)}),
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": schema(names[:4], names[4:]),
                                 "Projection": {"ProjectionType": "ALL"}}])
    (gsi,) = client.describe_table(TableName=table_name + "-max")["Table"]["GlobalSecondaryIndexes"]
    assert gsi["KeySchema"] == schema(names[:4], names[4:])


def test_queries_of_every_shape_return_what_the_model_does(client, match_table):
    table, items = match_table
    indexed = [i for i in items if complete(i, MATCH_HASH + MATCH_RANGE)]
    partition = {"t": S("winter"), "reg": N(2)}
    in_partition = [i for i in indexed if i["t"] == partition["t"] and i["reg"] == partition["reg"]]
    assert len(in_partition) > 5
    sample = in_partition[len(in_partition) // 2]

    def run(expression, values, forward=True):
        got, _ = query_all(client, table, "by_match", KeyConditionExpression=expression,
                           ExpressionAttributeValues=dict({":t": partition["t"], ":r": partition["reg"]}, **values),
                           ScanIndexForward=forward)
        return pks(got)

    def expect(predicate, forward=True):
        ordered = index_order([i for i in in_partition if predicate(i)], MATCH_RANGE)
        return pks(ordered if forward else ordered[::-1])

    base = "t = :t AND reg = :r"
    assert run(base, {}) == expect(lambda i: True)
    assert run(base, {}, forward=False) == expect(lambda i: True, forward=False)
    # Terms may come in any order.
    assert run("reg = :r AND round = :a AND t = :t", {":a": sample["round"]}) == \
        expect(lambda i: i["round"] == sample["round"])
    # Equalities on a prefix of the sort attributes, then one range condition.
    rnd, seq, bits = sample["round"], sample["seq"], sample["bits"]
    sv = sort_value
    cases = [
        ("round = :a", {":a": rnd}, lambda i: i["round"] == rnd),
        ("round < :a", {":a": rnd}, lambda i: sv(i["round"]) < sv(rnd)),
        ("round >= :a", {":a": rnd}, lambda i: sv(i["round"]) >= sv(rnd)),
        ("begins_with(round, :a)", {":a": S("semi")}, lambda i: i["round"]["S"].startswith("semi")),
        ("round BETWEEN :a AND :b", {":a": S("q"), ":b": S("semi")},
         lambda i: b"q" <= sv(i["round"]) <= b"semi"),
        ("round = :a AND seq = :b", {":a": rnd, ":b": seq}, lambda i: (i["round"], i["seq"]) == (rnd, seq)),
        ("round = :a AND seq > :b", {":a": rnd, ":b": N(1)},
         lambda i: i["round"] == rnd and sv(i["seq"]) > 1),
        ("round = :a AND seq <= :b", {":a": rnd, ":b": N(1.5)},
         lambda i: i["round"] == rnd and sv(i["seq"]) <= Decimal("1.5")),
        ("round = :a AND seq BETWEEN :b AND :c", {":a": rnd, ":b": N(-5), ":c": N(2)},
         lambda i: i["round"] == rnd and -5 <= sv(i["seq"]) <= 2),
        ("round = :a AND seq = :b AND bits = :c", {":a": rnd, ":b": seq, ":c": bits},
         lambda i: (i["round"], i["seq"], i["bits"]) == (rnd, seq, bits)),
        ("round = :a AND seq = :b AND bits > :c", {":a": rnd, ":b": seq, ":c": B(b"\x01")},
         lambda i: (i["round"], i["seq"]) == (rnd, seq) and sv(i["bits"]) > b"\x01"),
        ("round = :a AND seq = :b AND begins_with(bits, :c)", {":a": rnd, ":b": seq, ":c": B(b"\xff")},
         lambda i: (i["round"], i["seq"]) == (rnd, seq) and sv(i["bits"]).startswith(b"\xff")),
    ]
    for condition, values, predicate in cases:
        for forward in (True, False):
            assert run(f"{base} AND {condition}", values, forward) == expect(predicate, forward), condition


def test_legacy_key_conditions_follow_the_same_rules(client, match_table):
    table, items = match_table
    got, _ = query_all(client, table, "by_match", KeyConditions={
        "t": {"ComparisonOperator": "EQ", "AttributeValueList": [S("summer")]},
        "reg": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]},
        "round": {"ComparisonOperator": "EQ", "AttributeValueList": [S("semi")]},
        "seq": {"ComparisonOperator": "GT", "AttributeValueList": [N(0)]}})
    expected = [i for i in items if complete(i, MATCH_HASH + MATCH_RANGE) and i["t"] == S("summer")
                and i["reg"] == N(1) and i["round"] == S("semi") and sort_value(i["seq"]) > 0]
    assert pks(got) == pks(index_order(expected, MATCH_RANGE))
    error = expect_error(client.query, VE, TableName=table, IndexName="by_match", KeyConditions={
        "t": {"ComparisonOperator": "EQ", "AttributeValueList": [S("summer")]},
        "reg": {"ComparisonOperator": "EQ", "AttributeValueList": [N(1)]},
        "seq": {"ComparisonOperator": "GT", "AttributeValueList": [N(0)]}})
    assert "round" in error["Error"]["Message"]


@pytest.mark.parametrize("expression, values, contains", [
    # Every partition attribute needs an equality (AWS: the message names HASH and equality).
    ("t = :t", {":t": S("winter")}, ["HASH", "equality", "reg"]),
    ("t = :t AND reg > :r", {":t": S("winter"), ":r": N(1)}, ["HASH", "equality", "reg"]),
    ("t = :t AND reg BETWEEN :r AND :q", {":t": S("winter"), ":r": N(1), ":q": N(2)}, ["HASH", "equality", "reg"]),
    ("t = :t AND begins_with(reg, :r)", {":t": S("winter"), ":r": S("1")}, ["HASH", "equality", "reg"]),
    # Sort attributes left to right: no skipping (the message names the skipped one) ...
    ("t = :t AND reg = :r AND seq = :q", {":t": S("w"), ":r": N(1), ":q": N(1)}, ["RANGE", "equality", "round"]),
    ("t = :t AND reg = :r AND round = :a AND bits = :b",
     {":t": S("w"), ":r": N(1), ":a": S("x"), ":b": B(b"x")}, ["RANGE", "equality", "seq"]),
    # ... and nothing after a range condition.
    ("t = :t AND reg = :r AND round > :a AND seq = :q",
     {":t": S("w"), ":r": N(1), ":a": S("x"), ":q": N(1)}, ["RANGE", "equality", "round"]),
    ("t = :t AND reg = :r AND begins_with(round, :a) AND seq = :q",
     {":t": S("w"), ":r": N(1), ":a": S("x"), ":q": N(1)}, ["RANGE", "equality", "round"]),
])
def test_invalid_key_condition_shapes(client, match_table, expression, values, contains):
    table, _ = match_table
    error = expect_error(client.query, VE, TableName=table, IndexName="by_match",
                         KeyConditionExpression=expression, ExpressionAttributeValues=values)
    for text in contains:
        assert text in error["Error"]["Message"], error


def test_key_condition_errors_shared_with_single_attribute_keys(client, match_table):
    table, _ = match_table
    query = lambda expression, values: expect_error(  # noqa: E731
        client.query, VE, TableName=table, IndexName="by_match", KeyConditionExpression=expression,
        ExpressionAttributeValues=values)
    query("t = :t AND reg = :r AND seq = :q AND seq > :q", {":t": S("w"), ":r": N(1), ":q": N(1)})
    error = query("t = :t AND reg = :r AND round = :a AND round = :a", {":t": S("w"), ":r": N(1), ":a": S("x")})
    assert error["Error"]["Message"] == "KeyConditionExpressions must only contain one condition per key"
    error = query("t = :t AND reg = :r", {":t": S("w"), ":r": S("1")})
    assert error["Error"]["Message"] == \
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    error = query("t = :t AND reg = :r AND round = :a AND begins_with(seq, :q)",
                  {":t": S("w"), ":r": N(1), ":a": S("x"), ":q": N(1)})
    assert error["Error"]["Message"] == ("Invalid KeyConditionExpression: Incorrect operand type for operator or "
                                         "function; operator or function: begins_with, operand type: N")
    error = query("t = :t AND reg = :r AND v = :v", {":t": S("w"), ":r": N(1), ":v": N(1)})
    assert error["Error"]["Message"] == "Query condition missed key schema element: round"
    # The single-HASH index keeps the single-attribute messages.
    error = expect_error(client.query, VE, TableName=table, IndexName="by_player",
                         KeyConditionExpression="dt = :d", ExpressionAttributeValues={":d": S("d1")})
    assert error["Error"]["Message"] == "Query condition missed key schema element: player"


def test_pages_carry_every_key_attribute_and_resume(client, match_table):
    table, items = match_table
    values = {":t": S("summer"), ":r": N(2)}
    expected = pks(index_order([i for i in items if complete(i, MATCH_HASH + MATCH_RANGE)
                                and i["t"] == S("summer") and i["reg"] == N(2)], MATCH_RANGE))
    assert len(expected) > 6
    for forward in (True, False):
        got, kwargs, pages = [], {}, 0
        while True:
            page = client.query(TableName=table, IndexName="by_match", KeyConditionExpression="t = :t AND reg = :r",
                                ExpressionAttributeValues=values, Limit=3, ScanIndexForward=forward, **kwargs)
            got += page["Items"]
            pages += 1
            if "LastEvaluatedKey" not in page:
                break
            last = page["LastEvaluatedKey"]
            # LastEvaluatedKey: every index key attribute and the table key, as the last item has them.
            assert set(last) == {"pk", *MATCH_HASH, *MATCH_RANGE}
            assert last == {k: page["Items"][-1][k] for k in last}
            kwargs["ExclusiveStartKey"] = last
        assert pks(got) == (expected if forward else expected[::-1])
        assert pages >= len(expected) // 3
    # A start key without one of the index key attributes is refused.
    first = client.query(TableName=table, IndexName="by_match", KeyConditionExpression="t = :t AND reg = :r",
                         ExpressionAttributeValues=values, Limit=1)["LastEvaluatedKey"]
    del first["seq"]
    expect_error(client.query, VE, TableName=table, IndexName="by_match", KeyConditionExpression="t = :t AND reg = :r",
                 ExpressionAttributeValues=values, ExclusiveStartKey=first, contains="The provided starting key is invalid")


def test_sparse_items_and_scan_of_the_index(client, match_table):
    table, items = match_table
    indexed = [i for i in items if complete(i, MATCH_HASH + MATCH_RANGE)]
    assert len(indexed) < len(items)  # some items lack a key attribute
    scanned = scan_all(client, table, IndexName="by_match")
    assert sorted(pks(scanned)) == sorted(pks(indexed))
    assert scanned == [next(i for i in items if i["pk"] == s["pk"]) for s in scanned]  # ALL projection
    # Paged scan, and a parallel scan, see the same entries.
    paged = scan_all(client, table, IndexName="by_match", Limit=7)
    assert sorted(pks(paged)) == sorted(pks(indexed))
    segments = [pks(scan_all(client, table, IndexName="by_match", Segment=s, TotalSegments=3)) for s in range(3)]
    assert sorted(sum(segments, [])) == sorted(pks(indexed))
    # KEYS_ONLY projects the table key and the index key attributes.
    players = scan_all(client, table, IndexName="by_player")
    assert all(set(i) == {"pk", "player", "dt", "seq"} for i in players)
    assert len(players) == len([i for i in items if complete(i, ("player", "dt", "seq"))])
    count = client.scan(TableName=table, IndexName="by_match", Select="COUNT")
    assert count["Count"] == len(indexed)


def test_index_entries_follow_item_writes(client, table_name):
    create_match_table(client, table_name)
    item = {"pk": S("x"), "t": S("w"), "reg": N(1), "round": S("r"), "seq": N(1), "bits": B(b"\x01")}
    client.put_item(TableName=table_name, Item=item)

    def in_index():
        got, _ = query_all(client, table_name, "by_match", KeyConditionExpression="t = :t AND reg = :r",
                           ExpressionAttributeValues={":t": S("w"), ":r": N(1)})
        return got

    assert pks(in_index()) == ["x"]
    for attribute in ("reg", "bits"):  # a HASH and a RANGE attribute
        client.update_item(TableName=table_name, Key={"pk": S("x")}, UpdateExpression=f"REMOVE {attribute}")
        assert in_index() == []
        client.update_item(TableName=table_name, Key={"pk": S("x")}, UpdateExpression=f"SET {attribute} = :v",
                           ExpressionAttributeValues={":v": item[attribute]})
        assert pks(in_index()) == ["x"]
    client.update_item(TableName=table_name, Key={"pk": S("x")}, UpdateExpression="SET reg = :v",
                       ExpressionAttributeValues={":v": N(2)})
    assert in_index() == []
    client.delete_item(TableName=table_name, Key={"pk": S("x")})
    assert scan_all(client, table_name, IndexName="by_match") == []
    # Each key attribute is checked against its own type, and for emptiness.
    expect_error(client.put_item, VE, TableName=table_name, Item=dict(item, seq=S("1")),
                 message="One or more parameter values were invalid: Type mismatch for Index Key seq Expected: N "
                         "Actual: S IndexName: by_match")
    expect_error(client.put_item, VE, TableName=table_name, Item=dict(item, round=S("")),
                 contains="The AttributeValue for a key attribute cannot contain an empty string value. "
                          "IndexName: by_match, IndexKey: round")


def test_consumed_capacity_by_index(client, table_name):
    # A single-attribute GSI beside, to compare reads with.
    single = {"IndexName": "by_t", "KeySchema": schema(["t"]), "Projection": {"ProjectionType": "ALL"}}
    create_match_table(client, table_name, [single])
    item = {"pk": S("x"), "t": S("w"), "reg": N(1), "round": S("r"), "seq": N(1), "bits": B(b"\x01"),
            "player": S("ann"), "dt": S("d1")}
    consumed = client.put_item(TableName=table_name, Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert consumed["GlobalSecondaryIndexes"] == {
        "by_match": {"CapacityUnits": 1.0}, "by_player": {"CapacityUnits": 1.0}, "by_t": {"CapacityUnits": 1.0}}
    assert consumed["CapacityUnits"] == 4.0
    # An item without every key attribute of by_match costs that index nothing.
    sparse = {k: v for k, v in item.items() if k != "bits"}
    sparse["pk"] = S("y")
    consumed = client.put_item(TableName=table_name, Item=sparse, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert set(consumed["GlobalSecondaryIndexes"]) == {"by_player", "by_t"}
    # Moving one key attribute deletes one entry and writes another.
    consumed = client.update_item(TableName=table_name, Key={"pk": S("x")}, UpdateExpression="SET seq = :s",
                                  ExpressionAttributeValues={":s": N(2)}, ReturnConsumedCapacity="INDEXES")
    assert consumed["ConsumedCapacity"]["GlobalSecondaryIndexes"]["by_match"] == {"CapacityUnits": 2.0}
    # Reads are charged as on a single-attribute GSI returning the same items.
    for mode in ("TOTAL", "INDEXES"):
        multi = client.query(TableName=table_name, IndexName="by_match", KeyConditionExpression="t = :t AND reg = :r",
                             ExpressionAttributeValues={":t": S("w"), ":r": N(1)}, ReturnConsumedCapacity=mode)
        one = client.query(TableName=table_name, IndexName="by_t", KeyConditionExpression="t = :t",
                           FilterExpression="attribute_exists(bits)", ExpressionAttributeValues={":t": S("w")},
                           ReturnConsumedCapacity=mode)
        assert multi["Count"] == one["Count"] == 1
        assert multi["ConsumedCapacity"] == json.loads(json.dumps(one["ConsumedCapacity"]).replace("by_t", "by_match"))


class Writer(threading.Thread):
    """Keeps putting, updating and deleting items, changing their key attributes."""

    def __init__(self, server, table):
        super().__init__(daemon=True)
        self.client = server.client()
        self.table = table
        self.stop_flag = threading.Event()
        self.operations = 0
        self.error = None

    def run(self):
        rng = random.Random(7)
        while not self.stop_flag.is_set():
            try:
                key = {"pk": S(f"p{rng.randrange(300):03}")}
                choice = rng.random()
                if choice < 0.4:
                    (item,) = items_for(rng, 1)
                    self.client.put_item(TableName=self.table, Item=dict(item, **key))
                elif choice < 0.7:
                    self.client.update_item(TableName=self.table, Key=key, UpdateExpression="SET seq = :s, t = :t",
                                            ExpressionAttributeValues={":s": N(rng.randrange(5)),
                                                                       ":t": S(rng.choice(["winter", "summer"]))})
                elif choice < 0.85:
                    self.client.update_item(TableName=self.table, Key=key,
                                            UpdateExpression=f"REMOVE {rng.choice(MATCH_HASH + MATCH_RANGE)}")
                else:
                    self.client.delete_item(TableName=self.table, Key=key)
                self.operations += 1
            except Exception as error:  # noqa: BLE001 - reported by the test
                self.error = error
                return


def test_update_table_adds_a_multi_attribute_index_with_backfill_under_writes(server, client, table_name):
    client.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=schema(["pk"]),
                        AttributeDefinitions=definitions(pk="S"))
    for item in items_for(random.Random(3), 300):
        client.put_item(TableName=table_name, Item=item)
    writer = Writer(server, table_name)
    writer.start()
    try:
        time.sleep(0.5)
        response = client.update_table(
            TableName=table_name,
            AttributeDefinitions=definitions(**{k: TYPES[k] for k in MATCH_HASH + MATCH_RANGE}),
            GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by_match",
                                                     "KeySchema": schema(MATCH_HASH, MATCH_RANGE),
                                                     "Projection": {"ProjectionType": "INCLUDE",
                                                                    "NonKeyAttributes": ["v"]}}}])
        (created,) = response["TableDescription"]["GlobalSecondaryIndexes"]
        assert created["KeySchema"] == schema(MATCH_HASH, MATCH_RANGE)
        deadline = time.time() + 60
        while client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"] \
                != "ACTIVE":
            assert time.time() < deadline, "index not ACTIVE"
            time.sleep(0.2)
        # Keep writing against the finished index too, until the writer has
        # made enough writes for the check below, however fast the backfill was.
        floor = writer.operations + 20
        while writer.operations < max(floor, 50) and writer.error is None:
            assert time.time() < deadline, "writer stalled"
            time.sleep(0.05)
    finally:
        writer.stop_flag.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    assert writer.operations >= 50

    table_items = scan_all(client, table_name, ConsistentRead=True)
    expected = [{k: i[k] for k in ("pk", "v", *MATCH_HASH, *MATCH_RANGE) if k in i}
                for i in table_items if complete(i, MATCH_HASH + MATCH_RANGE)]
    index_items = scan_all(client, table_name, IndexName="by_match")
    key = lambda i: i["pk"]["S"]  # noqa: E731
    assert sorted(index_items, key=key) == sorted(expected, key=key)
    # Each partition's Query returns its entries in index order.
    for t in ("winter", "summer"):
        for reg in (1, 2):
            got, _ = query_all(client, table_name, "by_match", KeyConditionExpression="t = :t AND reg = :r",
                               ExpressionAttributeValues={":t": S(t), ":r": N(reg)}, Limit=11)
            part = [i for i in expected if i["t"] == S(t) and i["reg"] == N(reg)]
            assert [tuple(sort_value(i[a]) for a in MATCH_RANGE) for i in got] == \
                [tuple(sort_value(i[a]) for a in MATCH_RANGE) for i in index_order(part, MATCH_RANGE)]
            assert sorted(pks(got)) == sorted(pks(part))
    (gsi,) = client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
    assert gsi["ItemCount"] == len(expected)


def gsi_request(client, name, key_schema, types, local=None):
    extra = {"LocalSecondaryIndexes": local} if local else {}
    return dict(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=schema(["pk"]) if not local else
                schema(["pk"], ["sk"]), AttributeDefinitions=definitions(pk="S", **types),
                GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema,
                                         "Projection": {"ProjectionType": "ALL"}}], **extra)


@pytest.mark.parametrize("key_schema, contains", [
    (schema([f"a{i}" for i in range(5)]), "HASH"),
    (schema(["a0"], [f"a{i}" for i in range(1, 6)]), "RANGE"),
    ([{"AttributeName": "a0", "KeyType": "HASH"}, {"AttributeName": "a1", "KeyType": "RANGE"},
      {"AttributeName": "a2", "KeyType": "HASH"}], "All HASH key attributes must precede RANGE key attributes in the KeySchema"),
    (schema([], ["a0", "a1", "a2"]), "HASH"),
    (schema(["a0", "a0"]), "The KeySchema contains multiple key attributes with the same name"),
    (schema(["a0", "a1"], ["a0"]), "same name"),
])
def test_invalid_multi_attribute_key_schemas(client, table_name, key_schema, contains):
    types = {f"a{i}": "S" for i in range(6)}
    request = gsi_request(client, table_name, key_schema, types)
    used = {e["AttributeName"] for e in key_schema}
    request["AttributeDefinitions"] = definitions(pk="S", **{a: "S" for a in sorted(used)})
    error = expect_error(client.create_table, VE, **request)
    assert contains in error["Error"]["Message"], error
    # The same rules for an index added by UpdateTable.
    client.create_table(TableName=table_name, BillingMode="PAY_PER_REQUEST", KeySchema=schema(["pk"]),
                        AttributeDefinitions=definitions(pk="S"))
    error = expect_error(client.update_table, VE, TableName=table_name,
                         AttributeDefinitions=definitions(**{a: "S" for a in sorted(used)}),
                         GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "gsi", "KeySchema": key_schema,
                                                                  "Projection": {"ProjectionType": "ALL"}}}])
    assert contains in error["Error"]["Message"], error


def test_key_schema_limits_and_definitions(lax, table_name):
    names = [f"a{i}" for i in range(9)]
    error = expect_error(lax.create_table, VE, **gsi_request(lax, table_name, schema(names[:4], names[4:]),
                                                             {n: "S" for n in names}))
    assert "have length less than or equal to 8" in error["Error"]["Message"]
    error = expect_error(lax.create_table, VE, **gsi_request(lax, table_name, schema(["a0", "a1"]), {"a0": "S"}))
    assert "Some index key attributes are not defined in AttributeDefinitions" in error["Error"]["Message"]
    # Local secondary indexes stay single-attribute.
    local = [{"IndexName": "lsi", "KeySchema": schema(["pk"], ["sk", "a0"]), "Projection": {"ProjectionType": "ALL"}}]
    error = expect_error(lax.create_table, VE, **gsi_request(lax, table_name, schema(["a1"]),
                                                             {"sk": "S", "a0": "S", "a1": "S"}, local=local))
    assert "have length less than or equal to 2" in error["Error"]["Message"]
