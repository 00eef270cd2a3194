"""A damaged data directory: refused at start, found by `halyard check`, and a
read that meets a corrupt page fails loudly (500) instead of answering short."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
import zlib

import pytest

from conftest import BINARY, Server, sqlite_only
from harness import CREDENTIALS
from helpers import expect_error
from test_durability import run_binary_expecting_failure

INDEX = "by_group"
# These tests read and damage the SQLite file itself: plaintext.
pytestmark = [
    sqlite_only("damages halyard.db and runs `halyard check --data-dir` on it"),
    pytest.mark.usefixtures("plaintext"),
]


def populate(server, items=300):
    """A table `damage` (pk S, sk N) with a KEYS_ONLY GSI on `g`; every third
    item has no `g` (the index is sparse)."""
    client = server.client()
    client.create_table(
        TableName="damage", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in (("pk", "S"), ("sk", "N"), ("g", "S"))],
        GlobalSecondaryIndexes=[{"IndexName": INDEX, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    for start in range(0, items, 25):
        requests = []
        for i in range(start, min(start + 25, items)):
            item = {"pk": {"S": f"p{i % 10}"}, "sk": {"N": str(i)}, "payload": {"S": "x" * 200}}
            if i % 3:
                item["g"] = {"S": f"g{i % 4}"}
            requests.append({"PutRequest": {"Item": item}})
        client.batch_write_item(RequestItems={"damage": requests})
    return client


def halyard_check(*args, credentials=CREDENTIALS):
    """`halyard check ARGS`, with `credentials` (the root's by default; None:
    none) in the environment for --endpoint to sign with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HALYARD_ROOT_"))}
    if credentials:
        env.update(AWS_ACCESS_KEY_ID=credentials["aws_access_key_id"],
                   AWS_SECRET_ACCESS_KEY=credentials["aws_secret_access_key"])
    return subprocess.run([str(BINARY), "check", *map(str, args)], capture_output=True, text=True, timeout=120,
                          env=env)


def open_stopped(data_dir):
    """The stopped server's database, opened with Python's sqlite3 (the file
    is plain SQLite), with its WAL folded in."""
    connection = sqlite3.connect(data_dir / "halyard.db")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return connection


def unseal(stored):
    """A stored value without its checksum (a CRC32 of key and value, last)."""
    return stored[:-4]


def seal(key, value):
    return value + zlib.crc32(key + value).to_bytes(4, "little")


def keyspaces(connection, table="damage"):
    """The SQL tables of `table` and of its index (Halyard's catalog entry
    names them), and the table's id."""
    (value,) = connection.execute("SELECT v FROM ks_catalog WHERE k = ?", (table.encode(),)).fetchone()
    definition = json.loads(unseal(value))
    index = next(i for i in definition["indexes"] if i["name"] == INDEX)
    return "ks_" + definition["keyspace"], "ks_" + index["keyspace"], definition["id"]


def test_zero_length_database_is_refused(fresh_server):
    populate(fresh_server.start(), items=10)
    fresh_server.stop()
    database = fresh_server.data_dir / "halyard.db"
    database.write_bytes(b"")
    stderr = run_binary_expecting_failure(fresh_server.data_dir, 1)
    assert "is damaged: the database file is empty (0 bytes)" in stderr, stderr
    assert database.stat().st_size == 0, "the empty file was left as it was"
    check = halyard_check("--data-dir", fresh_server.data_dir)
    assert check.returncode == 1 and "is empty (0 bytes)" in check.stderr, check


def test_truncated_database_is_refused(fresh_server):
    populate(fresh_server.start())
    fresh_server.stop()
    database = fresh_server.data_dir / "halyard.db"
    whole = database.read_bytes()
    assert len(whole) >= 8 * 4096
    database.write_bytes(whole[: len(whole) // 2 // 4096 * 4096])
    stderr = run_binary_expecting_failure(fresh_server.data_dir, 1)
    assert "the database file is cut short" in stderr and "its header counts" in stderr, stderr
    database.write_bytes(whole[:-100])
    stderr = run_binary_expecting_failure(fresh_server.data_dir, 1)
    assert "is not a whole number of 4096-byte pages" in stderr, stderr
    database.write_bytes(whole)
    fresh_server.start()
    assert fresh_server.client().describe_table(TableName="damage")["Table"]["ItemCount"] == 300


def test_lost_database_beside_its_wal_is_refused(fresh_server):
    populate(fresh_server.start(), items=10)
    fresh_server.kill()  # no clean shutdown: the WAL stays
    assert (fresh_server.data_dir / "halyard.db-wal").exists()
    (fresh_server.data_dir / "halyard.db").unlink()
    stderr = run_binary_expecting_failure(fresh_server.data_dir, 1)
    assert "the database file is missing, but its halyard.db-wal is there" in stderr, stderr
    assert not (fresh_server.data_dir / "halyard.db").exists(), "no new database was created"


def test_a_directory_of_other_files_does_not_get_a_new_database(workdir):
    directory = workdir / "not-a-data-dir"
    directory.mkdir()
    (directory / "notes.txt").write_text("mine")
    stderr = run_binary_expecting_failure(directory, 1)
    assert "holds other files (notes.txt)" in stderr, stderr
    assert not (directory / "halyard.db").exists()


def test_check_passes_on_a_healthy_directory_and_names_each_damage(fresh_server):
    populate(fresh_server.start())
    fresh_server.stop()
    healthy = halyard_check("--data-dir", fresh_server.data_dir)
    assert healthy.returncode == 0, healthy
    assert "clean: no problems found" in healthy.stdout
    assert "table damage: 300 items" in healthy.stdout and "index by_group: 200 entries" in healthy.stdout

    connection = open_stopped(fresh_server.data_dir)
    _, index, table_id = keyspaces(connection)
    first, second = connection.execute(f"SELECT k, v FROM {index} ORDER BY k LIMIT 2").fetchall()
    # A missing entry, a wrong entry (another item's value) and a wrong counter.
    connection.execute(f"DELETE FROM {index} WHERE k = ?", (first[0],))
    connection.execute(f"UPDATE {index} SET v = ? WHERE k = ?", (seal(second[0], unseal(first[1])), second[0]))
    stats_key = table_id.encode()
    stats = json.loads(unseal(connection.execute("SELECT v FROM ks_stats WHERE k = ?", (stats_key,)).fetchone()[0]))
    stats["item_count"] += 7
    connection.execute("UPDATE ks_stats SET v = ? WHERE k = ?", (seal(stats_key, json.dumps(stats).encode()), stats_key))
    connection.commit()
    connection.close()

    damaged = halyard_check("--data-dir", fresh_server.data_dir)
    assert damaged.returncode == 1, damaged
    problems = [line for line in damaged.stdout.splitlines() if line.startswith("PROBLEM: ")]
    assert any("index by_group: key {pk: " in p and "the item has no index entry" in p for p in problems), problems
    assert any("the index entry differs from the item's projection" in p for p in problems), problems
    assert "PROBLEM: table damage: ItemCount is 307 but 300 are stored" in problems, problems
    assert "PROBLEM: table damage: index by_group: ItemCount is 200 but 199 are stored" in problems, problems


def test_check_runs_against_a_running_server(fresh_server):
    populate(fresh_server.start(), items=50)
    online = halyard_check("--endpoint", fresh_server.endpoint)
    assert online.returncode == 0, online
    # Only the root may run a check: no credentials, or wrong ones, get none.
    for credentials in (None, {**CREDENTIALS, "aws_secret_access_key": "wrong"}):
        refused = halyard_check("--endpoint", fresh_server.endpoint, credentials=credentials)
        assert refused.returncode == 2 and "answered 400" in refused.stderr, refused
    assert "table damage: 50 items" in online.stdout and "clean: no problems found" in online.stdout
    # The directory of a running server cannot be checked offline.
    offline = halyard_check("--data-dir", fresh_server.data_dir)
    assert offline.returncode == 2 and "use --endpoint" in offline.stderr, offline
    fresh_server.client().put_item(TableName="damage", Item={"pk": {"S": "after"}, "sk": {"N": "1"}})


def test_a_corrupt_index_page_fails_the_query_loudly(fresh_server):
    populate(fresh_server.start())
    fresh_server.stop()
    connection = open_stopped(fresh_server.data_dir)
    _, index, _ = keyspaces(connection)
    (root,) = connection.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (index,)).fetchone()
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    database = fresh_server.data_dir / "halyard.db"
    data = bytearray(database.read_bytes())
    data[(root - 1) * page_size: root * page_size] = bytes(page_size)  # not a valid B-tree page
    database.write_bytes(bytes(data))

    server = Server(fresh_server.data_dir).start()
    try:
        client = server.client()
        expect_error(client.query, "InternalServerError", "Internal server error", status=500, TableName="damage",
                     IndexName=INDEX, KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "g1"}})
        log = server.read_log()
        assert "the database is corrupt" in log and "halyard check" in log, log
        # The table's own pages are sound: its reads go on.
        item = client.get_item(TableName="damage", Key={"pk": {"S": "p1"}, "sk": {"N": "1"}})["Item"]
        assert item["payload"]["S"] == "x" * 200
    finally:
        server.stop()
    check = halyard_check("--data-dir", fresh_server.data_dir)
    assert check.returncode == 1 and "PROBLEM: storage integrity" in check.stdout, check


def test_a_value_changed_on_disk_fails_its_read_instead_of_answering_wrong(fresh_server):
    """A flipped byte inside a stored item leaves SQLite's pages well-formed;
    the value's checksum catches it."""
    populate(fresh_server.start(), items=30)
    fresh_server.stop()
    connection = open_stopped(fresh_server.data_dir)
    table, _, _ = keyspaces(connection)
    key, value = connection.execute(f"SELECT k, v FROM {table} ORDER BY k LIMIT 1").fetchone()
    damaged = value.replace(b"xxxx", b"xxyx", 1)
    assert damaged != value
    connection.execute(f"UPDATE {table} SET v = ? WHERE k = ?", (damaged, key))
    connection.commit()
    connection.close()

    server = Server(fresh_server.data_dir).start()
    try:
        client = server.client()
        expect_error(client.scan, "InternalServerError", "Internal server error", status=500, TableName="damage")
        assert "does not match its checksum" in server.read_log()
    finally:
        server.stop()
    check = halyard_check("--data-dir", fresh_server.data_dir)
    assert check.returncode == 1 and "does not match its checksum" in check.stdout, check


def test_byte_flip_campaign_briefly():
    """A few trials of tests/campaign/byte_flip.py (the full campaign runs by
    hand): no flipped byte crashes the server, and none that a read answers
    wrongly escapes `halyard check`."""
    script = Path(__file__).resolve().parents[1] / "campaign" / "byte_flip.py"
    result = subprocess.run([sys.executable, str(script), "--trials", "6", "--seed", "3", "--items", "200"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 trials: " in result.stdout
