"""PartiQL (issue 16): ExecuteStatement, BatchExecuteStatement and
ExecuteTransaction with boto3 and the AWS CLI — each statement kind,
parameters of every type, Query-versus-Scan planning, NextToken paging,
batches with mixed outcomes, transactions, idempotency and the errors.

Checked against DynamoDB Local (HALYARD_TEST_ENDPOINT); what Local does not
do as the documentation says (ConsumedCapacity, the Item of a batch's
ConditionalCheckFailed, the DuplicateItemException type) is asserted only
against Halyard (`halyard_only`) and listed in ORACLE_NOTES.md."""

import base64
import json
import os
import uuid

import botocore.exceptions
import pytest

from conftest import create_table
from harness import aws
from helpers import expect_error

VE = "ValidationException"
MALFORMED = "Statement wasn't well formed, can't be processed: "
NO_KEY = "Where clause does not contain a mandatory equality on all key attributes"
halyard_only = pytest.mark.skipif(bool(os.environ.get("HALYARD_TEST_ENDPOINT")),
                                  reason="DynamoDB Local does not do what the documentation says here")
on_halyard = not os.environ.get("HALYARD_TEST_ENDPOINT")


@pytest.fixture
def table(client):
    """A table keyed by pk (S) and sk (N), with a global index on g (S)."""
    name = f"pq-{uuid.uuid4().hex[:12]}"
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in (("pk", "S"), ("sk", "N"), ("g", "S"))],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    return name


def run(client, statement, **kwargs):
    return client.execute_statement(Statement=statement, **kwargs)


def get(client, table, pk, sk):
    return client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"N": str(sk)}},
                           ConsistentRead=True).get("Item")


def test_each_statement_kind(client, table):
    assert run(client, f"""INSERT INTO "{table}" VALUE {{'pk': 'a', 'sk': 1, 'x': 'hello',
        'l': [1, 2, {{'m': 3}}], 's': <<'a', 'b'>>, 'n': NULL, 'b': TRUE}}""")["Items"] == []
    assert get(client, table, "a", 1) == {
        "pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "hello"}, "n": {"NULL": True}, "b": {"BOOL": True},
        "l": {"L": [{"N": "1"}, {"N": "2"}, {"M": {"m": {"N": "3"}}}]}, "s": {"SS": ["a", "b"]}}

    items = run(client, f'SELECT * FROM "{table}" WHERE pk = \'a\' AND sk = 1')["Items"]
    assert items == [get(client, table, "a", 1)]

    result = run(client, f"UPDATE \"{table}\" SET x = 'bye' SET l = list_append(l, [9]) SET s = set_add(s, <<'z'>>) "
                         "REMOVE n WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *")
    assert result["Items"][0]["x"] == {"S": "bye"}
    assert result["Items"][0]["l"]["L"][-1] == {"N": "9"}
    assert sorted(result["Items"][0]["s"]["SS"]) == ["a", "b", "z"]
    assert "n" not in result["Items"][0]
    result = run(client, f"UPDATE \"{table}\" SET s = set_delete(s, <<'z'>>) WHERE pk = 'a' AND sk = 1 "
                         "RETURNING MODIFIED OLD *")
    assert sorted(result["Items"][0]["s"]["SS"]) == ["a", "b", "z"]
    result = run(client, f"UPDATE \"{table}\" SET c = 5 WHERE pk = 'a' AND sk = 1 RETURNING MODIFIED NEW *")
    assert result["Items"] == [{"c": {"N": "5"}}]
    result = run(client, f"UPDATE \"{table}\" SET c = c + 1 WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD *")
    assert result["Items"][0]["c"] == {"N": "5"}
    assert get(client, table, "a", 1)["c"] == {"N": "6"}

    result = run(client, f"DELETE FROM \"{table}\" WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD *")
    assert result["Items"][0]["c"] == {"N": "6"}
    assert get(client, table, "a", 1) is None
    # Deleting what is not there is no error.
    assert run(client, f"DELETE FROM \"{table}\" WHERE pk = 'a' AND sk = 1")["Items"] == []


def test_writes_take_the_one_write_path(client, table):
    """What PartiQL writes, the table's index sees."""
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'i', 'sk': 1, 'g': 'indexed'}}")
    found = client.query(TableName=table, IndexName="by-g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "indexed"}})["Items"]
    assert [item["pk"] for item in found] == [{"S": "i"}]
    rows = run(client, f'SELECT pk FROM "{table}"."by-g" WHERE g = \'indexed\'')["Items"]
    assert rows == [{"pk": {"S": "i"}}]
    run(client, f"UPDATE \"{table}\" SET g = 'moved' WHERE pk = 'i' AND sk = 1")
    assert run(client, f'SELECT * FROM "{table}"."by-g" WHERE g = \'indexed\'')["Items"] == []


EVERY_TYPE = [
    {"S": "text"}, {"N": "-12.5"}, {"B": base64.b64decode("AAEC")}, {"BOOL": False}, {"NULL": True},
    {"SS": ["x", "y"]}, {"NS": ["1", "2"]}, {"BS": [b"\x01", b"\x02"]},
    {"L": [{"S": "a"}, {"N": "1"}]}, {"M": {"k": {"S": "v"}}},
]


def test_parameters_of_every_type(client, table):
    for position, value in enumerate(EVERY_TYPE):
        run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'sk': ?, 'v': ?}}",
            Parameters=[{"S": "p"}, {"N": str(position)}, value])
    for position, value in enumerate(EVERY_TYPE):
        stored = get(client, table, "p", position)["v"]
        assert stored == value, (position, stored)
        # A parameter compares like the value it carries.
        found = run(client, f'SELECT sk FROM "{table}" WHERE pk = ? AND v = ?', Parameters=[{"S": "p"}, value])
        assert found["Items"] == [{"sk": {"N": str(position)}}], value
    # Parameters are whole values: not inside a list, a map or a set.
    for literal, message in [("[1, ?]", "Unsupported data type: Parameter under key root.1 at 1:"),
                             ("{'a': [?]}", "Unsupported data type: Parameter under key root.a.0 at 1:"),
                             ("<<?>>", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags at 1:")]:
        error = expect_error(client.execute_statement, VE, Parameters=[{"S": "x"}],
                             Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': 100, 'v': {literal}}}")
        assert error["Error"]["Message"].startswith(message), error
    # In an IN list, each is an operand of its own.
    found = run(client, f'SELECT sk FROM "{table}" WHERE pk = ? AND sk IN [?, ?]',
                Parameters=[{"S": "p"}, {"N": "0"}, {"N": "1"}])["Items"]
    assert sorted(int(i["sk"]["N"]) for i in found) == [0, 1]
    expect_error(client.execute_statement, VE, "Number of parameters in request and statement don't match.",
                 Statement=f'SELECT * FROM "{table}" WHERE pk = ? AND sk = ?', Parameters=[{"S": "p"}])


def test_select_forms(client, table):
    for sk in range(1, 6):
        run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'f', 'sk': {sk}, 'x': 'v{sk}', 'l': [{sk}, {{'m': {sk}}}]}}")
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'other', 'sk': 1, 'n': NULL}}")

    def sks(where, **kwargs):
        items = run(client, f'SELECT sk FROM "{table}" WHERE {where}', **kwargs)["Items"]
        return [int(item["sk"]["N"]) for item in items]

    assert sks("pk = 'f' AND sk BETWEEN 2 AND 4") == [2, 3, 4]
    assert sks("pk = 'f' AND sk > 3") == [4, 5]
    # SELECT * (DynamoDB Local fails ORDER BY with a projection: InternalFailure).
    descending = run(client, f'SELECT * FROM "{table}" WHERE pk = \'f\' ORDER BY sk DESC')["Items"]
    assert [int(item["sk"]["N"]) for item in descending] == [5, 4, 3, 2, 1]
    assert sks("pk = 'f' AND x IN ['v1', 'v5']") == [1, 5]
    assert sks("pk = 'f' AND (x = 'v2' OR x = 'v3')") == [2, 3]
    assert sks("pk = 'f' AND NOT x = 'v2' AND sk < 4") == [1, 3]
    assert sks("pk = 'f' AND sk <> 2 AND sk < 4") == [1, 3]
    assert sks("pk = 'f' AND begins_with(x, 'v4')") == [4]
    assert sks("pk = 'f' AND contains(x, '5')") == [5]
    assert sks("pk = 'f' AND attribute_type(x, 'S') AND sk = 1") == [1]
    assert sks("pk = 'f' AND size(l) = 2 AND l[1].m = 3") == [3]
    assert sks("pk = 'other' AND n IS NULL") == [1]
    assert sks("pk = 'other' AND x IS MISSING") == [1]
    assert sks("pk = 'f' AND x IS NOT MISSING AND sk = 2") == [2]
    assert sorted(sks("pk IN ['f', 'other'] AND sk = 1")) == [1, 1]
    assert sorted(sks("pk IN ('f', 'other') AND sk = 1")) == [1, 1]
    # Nested paths and list indexes in the projection.
    items = run(client, f'SELECT x, l[1].m FROM "{table}" WHERE pk = \'f\' AND sk = 2')["Items"]
    assert items[0]["x"] == {"S": "v2"}
    # Identifiers: unquoted names keep their case; table names are exact.
    expect_error(client.execute_statement, "ResourceNotFoundException", Statement=f"SELECT * FROM \"{table.upper()}\"")


def test_literals(client, table):
    run(client, f"""INSERT INTO "{table}" VALUE {{'pk': 'it''s', 'sk': 1e1, 'neg': -5.5, 'pos': +2, 'frac': .5,
        'empty': '', 'ns': <<1, 2>>, 'lst': [], 'map': {{}}, 'q': 'a "quote"'}}""")
    item = get(client, table, "it's", 10)
    assert item["neg"] == {"N": "-5.5"} and item["pos"] == {"N": "2"} and item["frac"] == {"N": "0.5"}
    assert item["empty"] == {"S": ""} and item["lst"] == {"L": []} and item["map"] == {"M": {}}
    assert sorted(item["ns"]["NS"]) == ["1", "2"] and item["q"] == {"S": 'a "quote"'}
    # A double-quoted name is an attribute, not a string.
    assert run(client, f'SELECT * FROM "{table}" WHERE pk = \'it\'\'s\' AND sk = 10 AND q = "empty"')["Items"] == []


def fill(client, table, partitions, per_partition, size=0):
    pad = "x" * size
    for p in range(partitions):
        client.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": f"p{p}"}, "sk": {"N": str(s)}, "pad": {"S": pad or "-"}}}}
            for s in range(per_partition)]})


@halyard_only
def test_query_versus_scan_planning(client, table):
    """A WHERE that fixes the partition key reads one partition (a Query's
    capacity); any other WHERE reads the table (a Scan's)."""
    fill(client, table, partitions=20, per_partition=10, size=1000)

    def units(statement):
        return run(client, statement, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"]

    query = client.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p3"}},
                         ReturnConsumedCapacity="TOTAL")
    scan = client.scan(TableName=table, ReturnConsumedCapacity="TOTAL")
    assert query["ScannedCount"] == 10 and scan["ScannedCount"] == 200
    assert units(f'SELECT * FROM "{table}" WHERE pk = \'p3\'') == query["ConsumedCapacity"]["CapacityUnits"]
    assert units(f'SELECT * FROM "{table}" WHERE sk = 3') == scan["ConsumedCapacity"]["CapacityUnits"]
    assert units(f'SELECT * FROM "{table}" WHERE pk = \'p3\' OR pk = \'p4\'') == scan["ConsumedCapacity"]["CapacityUnits"]
    # IN over two partitions: two Queries.
    assert units(f'SELECT * FROM "{table}" WHERE pk IN [\'p3\', \'p4\']') == 2 * query["ConsumedCapacity"]["CapacityUnits"]
    # The full key: one item's read.
    assert units(f'SELECT * FROM "{table}" WHERE pk = \'p3\' AND sk = 1') == 0.5
    assert units(f'SELECT * FROM "{table}" WHERE pk = \'p3\' AND sk = 1') * 2 == run(
        client, f'SELECT * FROM "{table}" WHERE pk = \'p3\' AND sk = 1', ConsistentRead=True,
        ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]["CapacityUnits"]
    assert query["ConsumedCapacity"]["CapacityUnits"] * 10 < scan["ConsumedCapacity"]["CapacityUnits"]


def page_through(client, statement, **kwargs):
    items, pages, token = [], 0, None
    while True:
        extra = {"NextToken": token} if token else {}
        result = run(client, statement, **kwargs, **extra)
        items.extend(result["Items"])
        pages += 1
        token = result.get("NextToken")
        if not token:
            return items, pages


def test_paging_with_next_token(client, table):
    fill(client, table, partitions=3, per_partition=10)
    items, pages = page_through(client, f'SELECT * FROM "{table}"', Limit=7)
    assert len(items) == 30 and pages >= 5
    assert len({(i["pk"]["S"], i["sk"]["N"]) for i in items}) == 30
    items, pages = page_through(client, f'SELECT sk FROM "{table}" WHERE pk = \'p1\'', Limit=4)
    assert [int(i["sk"]["N"]) for i in items] == list(range(10)) and pages >= 3
    items, _ = page_through(client, f'SELECT pk FROM "{table}" WHERE pk IN [\'p0\', \'p2\']', Limit=3)
    assert sorted(i["pk"]["S"] for i in items) == ["p0"] * 10 + ["p2"] * 10
    expect_error(client.execute_statement, VE, "Invalid NextToken", Statement=f'SELECT * FROM "{table}"',
                 NextToken="bm90IGEgdG9rZW4=")


def test_one_megabyte_page(client, table):
    fill(client, table, partitions=1, per_partition=14, size=100_000)
    first = run(client, f'SELECT * FROM "{table}" WHERE pk = \'p0\'')
    assert 0 < len(first["Items"]) < 14 and "NextToken" in first
    items, _ = page_through(client, f'SELECT sk FROM "{table}" WHERE pk = \'p0\'')
    assert len(items) == 14


def test_batch_with_mixed_outcomes(client, table):
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1, 'x': 1}}")
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 3, 'x': 1}}")
    result = client.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 2}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1}}"},
        {"Statement": f"UPDATE \"{table}\" SET x = 2 WHERE pk = 'b' AND sk = 3 AND x = 5",
         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
        {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'b' AND sk = 9"},
        {"Statement": "INSERT INTO nonexistent_table VALUE {'pk': 'b'}"},
        {"Statement": f"UPDATE \"{table}\" SET x = 1 WHERE pk = 'missing' AND sk = 1"},
        {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'b'"},
        {"Statement": f"UPDATE \"{table}\" SET y = ? WHERE pk = 'b' AND sk = 4"},
    ])["Responses"]
    assert result[0] == {"TableName": table}
    assert result[1]["Error"]["Code"] == "DuplicateItem"
    assert result[1]["Error"]["Message"] == "Duplicate primary key exists in table"
    assert result[2]["Error"]["Code"] == "ConditionalCheckFailed"
    if on_halyard:
        assert result[2]["Error"]["Item"] == get(client, table, "b", 3)
    assert result[3] == {"TableName": table}
    assert result[4]["Error"] == {"Code": "ResourceNotFound", "Message": "Cannot do operations on a non-existent table"}
    assert result[5]["Error"]["Code"] == "ConditionalCheckFailed"
    assert result[6]["Error"] == {"Code": "ValidationError", "Message": NO_KEY}
    assert result[7]["Error"]["Code"] == "ValidationError"
    assert get(client, table, "b", 2) == {"pk": {"S": "b"}, "sk": {"N": "2"}}
    assert get(client, table, "b", 3)["x"] == {"N": "1"}

    reads = client.batch_execute_statement(Statements=[
        {"Statement": f'SELECT * FROM "{table}" WHERE pk = \'b\' AND sk = 1'},
        {"Statement": f'SELECT * FROM "{table}" WHERE pk = ? AND sk = ?', "Parameters": [{"S": "b"}, {"N": "404"}]},
        {"Statement": f'SELECT * FROM "{table}" WHERE pk = \'b\''},
    ])["Responses"]
    assert reads[0] == {"TableName": table, "Item": get(client, table, "b", 1)}
    assert reads[1] == {"TableName": table}
    assert reads[2]["Error"] == {"Code": "ValidationError", "Message": "Only single item select is supported"}


def test_batch_errors(client, table):
    statement = f'SELECT * FROM "{table}" WHERE pk = \'b\' AND sk = 1'
    expect_error(client.batch_execute_statement, VE, "Read and write requests together in the same batch is not supported.",
                 Statements=[{"Statement": statement},
                             {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'c', 'sk': 1}}"}])
    expect_error(client.batch_execute_statement, VE, "Provided list of item keys contains duplicates",
                 Statements=[{"Statement": statement}, {"Statement": statement}])


@halyard_only
def test_batch_consumed_capacity(client, table):
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'c', 'sk': 1}}")
    result = client.batch_execute_statement(
        Statements=[{"Statement": f'SELECT * FROM "{table}" WHERE pk = \'c\' AND sk = {sk}'} for sk in (1, 2)],
        ReturnConsumedCapacity="TOTAL")
    assert result["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 1.0}]


def test_transaction_rolled_back_by_a_failed_condition(client, table):
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 1, 'x': 1}}")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 2}}"},
            {"Statement": f"UPDATE \"{table}\" SET y = 1 WHERE pk = 't' AND sk = 3"},
            {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 't' AND sk = 1 AND x = 5"},
        ])
    error = caught.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in error["CancellationReasons"]] == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert get(client, table, "t", 2) is None
    assert "y" not in get(client, table, "t", 1)

    # An INSERT of an existing key, and an EXISTS check.
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 5, 'x': 1}}")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 1}}"},
            {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 't' AND sk = 5 AND x = 2)"},
        ])
    reasons = caught.value.response["CancellationReasons"]
    assert reasons[0] == {"Code": "ValidationError", "Message": "Duplicate primary key exists in table"}
    assert reasons[1]["Code"] == "ConditionalCheckFailed"

    client.execute_transaction(TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 't' AND sk = 5 AND x = 1)"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 2}}"},
        {"Statement": f"UPDATE \"{table}\" SET y = ? WHERE pk = ? AND sk = 1", "Parameters": [{"N": "7"}, {"S": "t"}]},
    ])
    assert get(client, table, "t", 2) is not None
    assert get(client, table, "t", 1)["y"] == {"N": "7"}

    reads = client.execute_transaction(TransactStatements=[
        {"Statement": f'SELECT y FROM "{table}" WHERE pk = \'t\' AND sk = 1'},
        {"Statement": f'SELECT * FROM "{table}" WHERE pk = \'t\' AND sk = 404'},
    ])["Responses"]
    assert reads == [{"Item": {"y": {"N": "7"}}}, {}]


def test_transaction_idempotency(client, table):
    statements = [{"Statement": f"UPDATE \"{table}\" SET n = n + 1 WHERE pk = 'i' AND sk = 1"}]
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'i', 'sk': 1, 'n': 0}}")
    token = uuid.uuid4().hex
    client.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
    client.execute_transaction(TransactStatements=statements, ClientRequestToken=token)
    assert get(client, table, "i", 1)["n"] == {"N": "1"}
    expect_error(client.execute_transaction, "IdempotentParameterMismatchException", ClientRequestToken=token,
                 TransactStatements=[{"Statement": f"UPDATE \"{table}\" SET n = 5 WHERE pk = 'i' AND sk = 1"}])


def test_transaction_errors(client, table):
    read = {"Statement": f'SELECT * FROM "{table}" WHERE pk = \'x\' AND sk = 1'}
    expect_error(client.execute_transaction, VE,
                 "ExecuteTransaction API does not support both read and write operations in the same request.",
                 TransactStatements=[read, {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'x', 'sk': 2}}"}])
    expect_error(client.execute_transaction, VE,
                 "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must "
                 "specify the primary key in the where clause.",
                 TransactStatements=[{"Statement": f'SELECT * FROM "{table}" WHERE pk = \'x\''}])
    expect_error(client.execute_transaction, VE,
                 "Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with additional condition",
                 TransactStatements=[{"Statement": f"EXISTS(SELECT * FROM \"{table}\" WHERE pk = 'x' AND sk = 1)"},
                                     {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'x', 'sk': 2}}"}])
    expect_error(client.execute_transaction, VE, "Transaction request cannot include multiple operations on one item",
                 TransactStatements=[{"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'x', 'sk': 3}}"},
                                     {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'x' AND sk = 3"}])
    error = expect_error(client.execute_transaction, "TransactionCanceledException",
                         TransactStatements=[{"Statement": f"UPDATE \"{table}\" SET a = 1 WHERE pk = 'no' AND sk = 1"}])
    assert error["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"


def statement_errors(table):
    t = f'"{table}"'
    return [
        (f"SELEC * FROM {t}", VE, MALFORMED + f"SELEC * FROM {t}"),
        (f"SELECT * FROM {t} WHERE", VE, MALFORMED + f"SELECT * FROM {t} WHERE"),
        (f"SELECT * FROM {t} WHERE foo(x)", VE, "Unrecognized function: foo"),
        (f"SELECT * FROM {t} WHERE exists(x)", VE, "Unrecognized function: exists"),
        (f"SELECT * FROM {t} WHERE begins_with(x)", VE,
         "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"),
        (f"SELECT * FROM {t} WHERE pk = 'a' AND x", VE, "The arguments to AND/OR must be Expressions"),
        (f"SELECT * FROM {t} WHERE x = x", VE,
         "The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [x]"),
        (f"SELECT * FROM {t} WHERE attribute_type(x, 'X')", VE,
         "Invalid attribute type name found; type: X, valid types: {N,BS,L,B,NULL,M,S,SS,NS,BOOL}"),
        (f"SELECT * FROM {t}.\"nope\"", VE, "The table does not have the specified index: nope"),
        ("SELECT * FROM no_such_table_here", "ResourceNotFoundException", "Cannot do operations on a non-existent table"),
        (f"SELECT * FROM {t} WHERE pk = 1", VE, "Key attribute's data type should match its data type in table's schema: Key pk"),
        (f"SELECT * FROM {t} WHERE pk = 'a' AND sk = 'x'", VE,
         "Key attribute's data type should match its data type in table's schema: Key sk"),
        (f"UPDATE {t} SET x = 1 WHERE pk = 'a'", VE, NO_KEY),
        (f"UPDATE {t} SET x = 1 WHERE pk = 'a' OR sk = 1", VE, NO_KEY),
        (f"UPDATE {t} SET x = 1 WHERE pk = 'a' AND pk = 'b' AND sk = 1", VE,
         "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported"),
        (f"UPDATE {t} SET x = 1 WHERE pk = 'a' AND sk = 1 RETURNING ALL OLD x", VE,
         "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"),
        (f"UPDATE {t} SET pk = 'b' WHERE pk = 'a' AND sk = 1", VE, None),
        (f"DELETE FROM {t}", VE, NO_KEY),
        (f"DELETE FROM {t} WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *", VE,
         "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."),
        (f"INSERT INTO {t} VALUE {{'pk': 'a'}}", VE, "Key attribute should be present in the item: Key sk"),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 'one'}}", VE,
         "Key attribute's data type should match its data type in table's schema: Key sk"),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 1}} RETURNING ALL OLD *", VE, "RETURNING is not supported in INSERT"),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 1, 's': <<'x', 'x'>>}}", VE, "Input collection contains duplicates"),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 1, 's': <<'x', 1>>}}", VE, None),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 1e999}}", VE,
         "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 1, 'x': `ion`}}", VE, None),
        (f"INSERT INTO {t} VALUE {{'pk': 'a', 'sk': 1}}, {{'pk': 'b', 'sk': 1}}", VE, None),
        (f"EXISTS(SELECT * FROM {t} WHERE pk = 'a' AND sk = 1)", VE,
         "EXISTS can only be used in ExecuteTransaction write requests."),
        (f"SELECT 'x' FROM {t}", VE, None),
        (f"SELECT * FROM {t} ORDER BY sk DESC", VE, "Must have WHERE clause in the statement when using ORDER BY clause."),
        (f"SELECT * FROM {t} WHERE x = 1 ORDER BY sk", VE,
         "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."),
        (f"SELECT * FROM {t} WHERE pk = 'a' ORDER BY x", VE,
         "Variable reference x in ORDER BY clause must be part of the primary key"),
        (f"INSERT INTO {t} VALUE ?", VE, None),
    ]


def test_statement_errors(client, table):
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'sk': 1}}")
    for statement, code, message in statement_errors(table):
        error = expect_error(client.execute_statement, code, message, Statement=statement)
        assert error["Error"]["Message"], statement


def test_condition_failures(client, table):
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'c', 'sk': 1, 'x': 1}}")
    error = expect_error(client.execute_statement, "ConditionalCheckFailedException", "The conditional request failed",
                         Statement=f"UPDATE \"{table}\" SET x = 2 WHERE pk = 'c' AND sk = 1 AND x = 5",
                         ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert error["Item"] == {"pk": {"S": "c"}, "sk": {"N": "1"}, "x": {"N": "1"}}
    # UPDATE of a missing item fails its condition; DELETE's does when given.
    expect_error(client.execute_statement, "ConditionalCheckFailedException",
                 Statement=f"UPDATE \"{table}\" SET x = 2 WHERE pk = 'none' AND sk = 1")
    expect_error(client.execute_statement, "ConditionalCheckFailedException",
                 Statement=f"DELETE FROM \"{table}\" WHERE pk = 'c' AND sk = 1 AND x = 9")
    assert get(client, table, "c", 1)["x"] == {"N": "1"}


@halyard_only
def test_duplicate_insert_type(client, table):
    """The documented DuplicateItemException (Local sends `DuplicateItem`)."""
    run(client, f"INSERT INTO \"{table}\" VALUE {{'pk': 'd', 'sk': 1}}")
    expect_error(client.execute_statement, "DuplicateItemException", "Duplicate primary key exists in table",
                 Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'd', 'sk': 1}}")


@halyard_only
def test_request_constraints(lax, table):
    expect_error(lax.execute_statement, VE,
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
                 Statement=f'SELECT * FROM "{table}"', Limit=0)
    expect_error(lax.batch_execute_statement, VE, "The statement was empty.", Statements=[])
    expect_error(lax.execute_transaction, VE, "ExecutePartiQLTransaction can not have empty statement.",
                 TransactStatements=[])
    many = [{"Statement": f'SELECT * FROM "{table}" WHERE pk = \'a\' AND sk = {n}'} for n in range(26)]
    expect_error(lax.batch_execute_statement, VE, contains="have length less than or equal to 25", Statements=many)


def cli_json(server, *args):
    return json.loads(aws(server, *args).stdout or "{}")


def test_aws_cli(server, client, table):
    cli_json(server, "execute-statement", "--statement",
             f"INSERT INTO \"{table}\" VALUE {{'pk': 'cli', 'sk': ?, 'v': ?}}",
             "--parameters", json.dumps([{"N": "1"}, {"SS": ["a", "b"]}]))
    found = cli_json(server, "execute-statement", "--statement", f'SELECT v FROM "{table}" WHERE pk = \'cli\'')
    assert sorted(found["Items"][0]["v"]["SS"]) == ["a", "b"]

    batch = cli_json(server, "batch-execute-statement", "--statements", json.dumps([
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'cli', 'sk': 2}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'cli', 'sk': 1}}"},
    ]))
    assert batch["Responses"][0] == {"TableName": table}
    assert batch["Responses"][1]["Error"]["Code"] == "DuplicateItem"

    cli_json(server, "execute-transaction", "--transact-statements", json.dumps([
        {"Statement": f"UPDATE \"{table}\" SET w = 1 WHERE pk = 'cli' AND sk = 1"},
        {"Statement": f"DELETE FROM \"{table}\" WHERE pk = 'cli' AND sk = 2"},
    ]), "--client-request-token", uuid.uuid4().hex)
    assert get(client, table, "cli", 1)["w"] == {"N": "1"}
    assert get(client, table, "cli", 2) is None

    failed = aws(server, "execute-transaction", "--transact-statements", json.dumps([
        {"Statement": f"UPDATE \"{table}\" SET w = 2 WHERE pk = 'cli' AND sk = 1 AND w = 5"}]), check=False)
    assert failed.returncode != 0 and "TransactionCanceledException" in failed.stderr
    bad = aws(server, "execute-statement", "--statement", f'SELECT * FROM "{table}" WHERE', check=False)
    assert bad.returncode != 0 and "Statement wasn't well formed" in bad.stderr
