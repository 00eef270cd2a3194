"""UpdateTable GlobalSecondaryIndexUpdates (issue 5): online creation of a GSI
on a populated table while a writer keeps changing index keys (the index must
match the table at the end), Delete, and the errors around them.

Checked against DynamoDB Local; see ORACLE_NOTES.md for known differences."""

import os
import random
import threading
import time


from helpers import expect_error

VE = "ValidationException"
ITEMS = 2000


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def key_schema(hash_key, range_key=None):
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def scan_all(client, table, **extra):
    items, kwargs = [], {}
    while True:
        page = client.scan(TableName=table, **kwargs, **extra)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def wait_index(client, table, index_name, timeout=60):
    """Polls DescribeTable until the index is ACTIVE; returns the statuses seen."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        gsis = client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        (gsi,) = [g for g in gsis if g["IndexName"] == index_name]
        seen.append((gsi["IndexStatus"], gsi.get("Backfilling")))
        if gsi["IndexStatus"] == "ACTIVE":
            return seen
        time.sleep(0.2)
    raise AssertionError(f"index {index_name} not ACTIVE after {timeout}s: {seen[-5:]}")


def wait_index_gone(client, table, index_name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        gsis = client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        if index_name not in [g["IndexName"] for g in gsis]:
            return
        time.sleep(0.2)
    raise AssertionError(f"index {index_name} still present after {timeout}s")


def create_gsi(client, table, name, hash_key, kind="S", range_key=None, projection=None):
    defs = [{"AttributeName": hash_key, "AttributeType": kind}]
    if range_key:
        defs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    return client.update_table(
        TableName=table, AttributeDefinitions=defs,
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": name, "KeySchema": key_schema(hash_key, range_key and range_key[0]),
                                                 "Projection": projection or {"ProjectionType": "ALL"}}}])


def base_table(client, name):
    client.create_table(TableName=name, KeySchema=key_schema("pk", "sk"), BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"}])
    return name


class Writer(threading.Thread):
    """Keeps putting, updating and deleting items, most of them changing `g`."""

    def __init__(self, server, table):
        super().__init__(daemon=True)
        self.client = server.client()
        self.table = table
        self.stop_flag = threading.Event()
        self.operations = 0
        self.error = None
        self.internal_errors = []

    def run(self):
        rng = random.Random(5)
        while not self.stop_flag.is_set():
            try:
                self.step(rng)
            except Exception as error:  # noqa: BLE001 - reported by the test
                code = getattr(error, "response", {}).get("Error", {}).get("Code")
                if code in ("InternalFailure", "InternalServerError"):
                    self.internal_errors.append(error)
                    continue
                self.error = error
                return

    def step(self, rng):
        i = rng.randrange(ITEMS + 200)
        key = {"pk": S(f"p{i % 50}"), "sk": N(i)}
        choice = rng.random()
        if choice < 0.35:
            item = dict(key, v=N(self.operations))
            if rng.random() < 0.8:
                item["g"] = S(f"g{rng.randrange(10)}")
            self.client.put_item(TableName=self.table, Item=item)
        elif choice < 0.6:
            self.client.update_item(TableName=self.table, Key=key, UpdateExpression="SET g = :g, v = :v",
                                    ExpressionAttributeValues={":g": S(f"g{rng.randrange(10)}"), ":v": N(self.operations)})
        elif choice < 0.75:
            self.client.update_item(TableName=self.table, Key=key, UpdateExpression="REMOVE g")
        elif choice < 0.85:
            self.client.update_item(TableName=self.table, Key=key, UpdateExpression="SET v = :v",
                                    ExpressionAttributeValues={":v": N(self.operations)})
        else:
            self.client.delete_item(TableName=self.table, Key=key)
        self.operations += 1


def test_backfill_under_concurrent_writes(server, client, table_name):
    base_table(client, table_name)
    for i in range(ITEMS):
        item = {"pk": S(f"p{i % 50}"), "sk": N(i), "v": N(i)}
        if i % 4:
            item["g"] = S(f"g{i % 10}")
        client.put_item(TableName=table_name, Item=item)

    writer = Writer(server, table_name)
    writer.start()
    try:
        time.sleep(1.0)
        response = create_gsi(client, table_name, "by_g", "g", range_key=("sk", "N"))
        (created,) = response["TableDescription"]["GlobalSecondaryIndexes"]
        assert created["IndexName"] == "by_g"
        assert created["IndexStatus"] in ("CREATING", "ACTIVE")
        statuses = wait_index(client, table_name, "by_g")
        assert all(status in ("CREATING", "ACTIVE") for status, _ in statuses)
        assert all(backfilling in (None, True, False) for _, backfilling in statuses)
        # Keep writing against the finished index too, until the writer has
        # made enough writes for the check below, however fast the backfill was.
        floor, deadline = writer.operations + 20, time.time() + 60
        while writer.operations < max(floor, 50) and writer.error is None:
            assert time.time() < deadline, "writer stalled"
            time.sleep(0.05)
    finally:
        writer.stop_flag.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    if not os.environ.get("HALYARD_TEST_ENDPOINT"):
        assert writer.internal_errors == []
    # else: DynamoDB Local fails a few writes made right when the index is added (its SQLite table lacks the
    # new index column for a moment); see ORACLE_NOTES.md. Such writes were not applied and are retried later.
    assert writer.operations >= 50

    table_items = scan_all(client, table_name, ConsistentRead=True)
    expected = sorted((i["g"]["S"], int(i["sk"]["N"]), i["pk"]["S"], i["v"]["N"]) for i in table_items if "g" in i)
    # GSIs are eventually consistent: allow a short settling time after the last write.
    deadline = time.time() + 10
    while True:
        index_items = scan_all(client, table_name, IndexName="by_g")
        got = sorted((i["g"]["S"], int(i["sk"]["N"]), i["pk"]["S"], i["v"]["N"]) for i in index_items)
        if got == expected or time.time() > deadline:
            break
        time.sleep(0.5)
    assert got == expected
    assert len(got) > ITEMS // 2
    # Query per partition agrees too, in index sort order
    for g in (f"g{n}" for n in range(10)):
        items = []
        kwargs = {}
        while True:
            page = client.query(TableName=table_name, IndexName="by_g", KeyConditionExpression="g = :g",
                                ExpressionAttributeValues={":g": S(g)}, **kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        sks = [int(i["sk"]["N"]) for i in items]
        assert sks == sorted(e[1] for e in expected if e[0] == g)
    description = client.describe_table(TableName=table_name)["Table"]
    gsi = description["GlobalSecondaryIndexes"][0]
    assert gsi["IndexStatus"] == "ACTIVE"
    if not os.environ.get("HALYARD_TEST_ENDPOINT"):
        # DynamoDB refreshes ItemCount every ~6 hours; Halyard keeps it exact, also for an index built
        # under writes (a write to an item the backfill had not reached yet once counted an entry that
        # was not there: found by tests/campaign/crash_matrix.py).
        assert gsi["ItemCount"] == len(got)
    assert "IndexArn" in gsi and gsi["IndexArn"].endswith(f"table/{table_name}/index/by_g")
    assert {"AttributeName": "g", "AttributeType": "S"} in description["AttributeDefinitions"]


def test_created_index_with_keys_only_projection(client, table_name):
    base_table(client, table_name)
    for i in range(30):
        client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": N(i), "n": N(i % 3), "x": S("x")})
    create_gsi(client, table_name, "by_n", "n", kind="N", projection={"ProjectionType": "KEYS_ONLY"})
    wait_index(client, table_name, "by_n")
    items = client.query(TableName=table_name, IndexName="by_n", KeyConditionExpression="n = :n",
                         ExpressionAttributeValues={":n": N(1)})["Items"]
    assert sorted(int(i["sk"]["N"]) for i in items) == list(range(1, 30, 3))
    assert all(set(i) == {"pk", "sk", "n"} for i in items)
    assert client.scan(TableName=table_name, IndexName="by_n", Select="COUNT")["Count"] == 30
    # new writes are checked against the new index key type
    expect_error(client.put_item, VE, TableName=table_name, Item={"pk": S("p"), "sk": N(99), "n": S("x")},
                 contains="Type mismatch for Index Key")


def test_backfill_skips_items_with_wrongly_typed_key(client, table_name):
    # The service leaves such items out of the index (an "index key violation"); DynamoDB Local puts them in.
    base_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": N(1), "n": N(5)})
    client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": N(2), "n": S("five")})
    create_gsi(client, table_name, "by_n", "n", kind="N")
    wait_index(client, table_name, "by_n")
    assert [i["sk"]["N"] for i in client.scan(TableName=table_name, IndexName="by_n")["Items"]] == ["1"]
    # the item itself stays in the table
    assert client.get_item(TableName=table_name, Key={"pk": S("p"), "sk": N(2)})["Item"]["n"] == S("five")


def test_delete_gsi(client, table_name):
    client.create_table(TableName=table_name, KeySchema=key_schema("pk"), BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": key_schema("g"),
                                                 "Projection": {"ProjectionType": "ALL"}}])
    client.put_item(TableName=table_name, Item={"pk": S("a"), "g": S("G")})
    response = client.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    remaining = response["TableDescription"].get("GlobalSecondaryIndexes", [])
    assert all(g["IndexStatus"] == "DELETING" for g in remaining if g["IndexName"] == "by_g")
    wait_index_gone(client, table_name, "by_g")
    expect_error(client.query, VE, "The table does not have the specified index: by_g", TableName=table_name,
                 IndexName="by_g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": S("G")})
    expect_error(client.scan, VE, "The table does not have the specified index: by_g", TableName=table_name, IndexName="by_g")
    # the table and its items are untouched; g is an ordinary attribute again
    assert client.get_item(TableName=table_name, Key={"pk": S("a")})["Item"] == {"pk": S("a"), "g": S("G")}
    client.put_item(TableName=table_name, Item={"pk": S("b"), "g": N(1)})
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName=table_name)["Table"]


def test_create_index_that_already_exists(client, table_name):
    client.create_table(TableName=table_name, KeySchema=key_schema("pk", "sk"), BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g")],
                        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": key_schema("g"),
                                                 "Projection": {"ProjectionType": "ALL"}}],
                        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": key_schema("pk", "g"),
                                                "Projection": {"ProjectionType": "ALL"}}])
    for name in ("by_g", "by_l"):
        expect_error(create_gsi, VE, "Attempting to create an index which already exists",
                     client=client, table=table_name, name=name, hash_key="g")


def test_delete_lsi_or_missing_index(client, table_name):
    client.create_table(TableName=table_name, KeySchema=key_schema("pk", "sk"), BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "l")],
                        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": key_schema("pk", "l"),
                                                "Projection": {"ProjectionType": "ALL"}}])
    # Local: "Cannot delete an index that is not a GlobalSecondaryIndex" (without the name); the prefix is checked.
    expect_error(client.update_table, VE, TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_l"}}],
                 contains="Cannot delete an index that is not a GlobalSecondaryIndex")
    # Deleting an index that does not exist: ResourceNotFoundException (Local: "Requested resource not found").
    expect_error(client.update_table, "ResourceNotFoundException", TableName=table_name,
                 GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nothere"}}])
    assert client.describe_table(TableName=table_name)["Table"]["LocalSecondaryIndexes"][0]["IndexName"] == "by_l"


def test_create_needs_attribute_definition(client, table_name):
    base_table(client, table_name)
    # Without AttributeDefinitions for the new key. Local: "No Attribute Schema Defined"; only the type is checked.
    expect_error(client.update_table, VE, TableName=table_name,
                 GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by_h", "KeySchema": key_schema("h"),
                                                          "Projection": {"ProjectionType": "ALL"}}}])
    # With only the new attribute defined: accepted, and it shows up in AttributeDefinitions.
    create_gsi(client, table_name, "by_h", "h", kind="B")
    wait_index(client, table_name, "by_h")
    definitions = client.describe_table(TableName=table_name)["Table"]["AttributeDefinitions"]
    assert sorted((d["AttributeName"], d["AttributeType"]) for d in definitions) == [("h", "B"), ("pk", "S"), ("sk", "N")]
    client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": N(1), "h": {"B": b"\x01"}})
    items = client.query(TableName=table_name, IndexName="by_h", KeyConditionExpression="h = :h",
                         ExpressionAttributeValues={":h": {"B": b"\x01"}})["Items"]
    assert items == [{"pk": S("p"), "sk": N(1), "h": {"B": b"\x01"}}]


def test_create_on_missing_table(client, table_name):
    expect_error(create_gsi, "ResourceNotFoundException", client=client, table=table_name + "-missing", name="by_g",
                 hash_key="g")


def test_status_fields_during_creation(client, table_name):
    base_table(client, table_name)
    for i in range(200):
        client.put_item(TableName=table_name, Item={"pk": S("p"), "sk": N(i), "g": S(f"g{i % 7}")})
    response = create_gsi(client, table_name, "by_g", "g")
    (gsi,) = response["TableDescription"]["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_g"
    assert gsi["KeySchema"] == key_schema("g")
    assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert gsi["IndexStatus"] in ("CREATING", "ACTIVE")
    if gsi["IndexStatus"] == "CREATING":
        assert gsi.get("Backfilling", False) in (True, False)
    assert response["TableDescription"]["TableStatus"] in ("UPDATING", "ACTIVE")
    statuses = wait_index(client, table_name, "by_g")
    assert statuses[-1][0] == "ACTIVE"
    final = client.describe_table(TableName=table_name)["Table"]
    assert final["TableStatus"] == "ACTIVE"
    assert "Backfilling" not in final["GlobalSecondaryIndexes"][0] or final["GlobalSecondaryIndexes"][0]["Backfilling"] is False
    assert client.scan(TableName=table_name, IndexName="by_g", Select="COUNT")["Count"] == 200
