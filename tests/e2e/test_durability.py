"""Durability: data survives restarts and SIGKILL; bad data directories are refused."""

import sqlite3
import subprocess
import threading
import time

import botocore.exceptions
import pytest

from conftest import BINARY, Server, create_table, sqlite_only


def test_data_survives_restart(fresh_server):
    server = fresh_server.start()
    client = server.client()
    create_table(client, "persist", range_key=("sk", "N"))
    for i in range(20):
        client.put_item(TableName="persist", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "b": {"B": bytes([i])}})
    client.delete_item(TableName="persist", Key={"pk": {"S": "p"}, "sk": {"N": "7"}})
    server.stop()

    server.start()
    client = server.client()
    table = client.describe_table(TableName="persist")["Table"]
    assert table["ItemCount"] == 19
    assert table["KeySchema"][1] == {"AttributeName": "sk", "KeyType": "RANGE"}
    item = client.get_item(TableName="persist", Key={"pk": {"S": "p"}, "sk": {"N": "3"}})["Item"]
    assert item["b"] == {"B": b"\x03"}
    assert "Item" not in client.get_item(TableName="persist", Key={"pk": {"S": "p"}, "sk": {"N": "7"}})


def kill_during_writes(server, write, writers, minimum):
    """Runs `writers` threads calling write(client, writer_id, seq) -> value
    in a loop, kills the server with SIGKILL once `minimum` writes were
    acknowledged, and returns {(writer_id, seq): value} of the acknowledged
    ones (a write that raised was never acknowledged)."""
    acknowledged = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(writer_id):
        client = server.client()
        seq = 0
        while not stop.is_set() and seq < 100_000:
            try:
                value = write(client, writer_id, seq)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
                return
            with lock:
                acknowledged[(writer_id, seq)] = value
            seq += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 30
    while len(acknowledged) < minimum and time.time() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= minimum
    return acknowledged


def test_acknowledged_writes_survive_sigkill(fresh_server):
    """Several clients write concurrently; the server is killed with SIGKILL
    mid-stream; after restart every acknowledged write is there, intact."""
    server = fresh_server.start()
    create_table(server.client(), "crash", range_key=("sk", "N"))

    def put(client, writer_id, seq):
        payload = f"{writer_id}-{seq}-" + "x" * (seq % 200)
        client.put_item(TableName="crash", Item={"pk": {"S": f"w{writer_id}"}, "sk": {"N": str(seq)},
                                                 "payload": {"S": payload}})
        return payload

    acknowledged = kill_during_writes(server, put, writers=6, minimum=300)

    server.start()
    client = server.client()
    for (writer_id, seq), payload in acknowledged.items():
        item = client.get_item(TableName="crash", Key={"pk": {"S": f"w{writer_id}"}, "sk": {"N": str(seq)}},
                               ConsistentRead=True).get("Item")
        assert item is not None, f"acknowledged write w{writer_id}/{seq} lost"
        assert item["payload"]["S"] == payload
    # Counters stay consistent with the data after the crash.
    stored = 0
    for page in client.get_paginator("scan").paginate(TableName="crash", Select="COUNT"):
        stored += page["Count"]
    assert client.describe_table(TableName="crash")["Table"]["ItemCount"] == stored


def run_binary_expecting_failure(data_dir, port):
    result = subprocess.run([str(BINARY), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data_dir)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    return result.stderr


@sqlite_only("the data directory's lock; PostgreSQL is shared by design")
def test_second_server_on_same_directory_is_refused(fresh_server):
    fresh_server.start()
    second = Server(fresh_server.data_dir)
    stderr = run_binary_expecting_failure(fresh_server.data_dir, second.port)
    assert "in use by another Halyard process" in stderr
    fresh_server.client().list_tables()  # the first one is unaffected


@sqlite_only("opens halyard.db with sqlite3")
@pytest.mark.usefixtures("plaintext")
def test_database_file_is_closed_to_other_processes_while_serving(fresh_server):
    """The server holds SQLite's exclusive lock (the unix-excl VFS), so another
    process can neither read nor write the database under it; once it stops,
    the file opens normally and holds what was written."""
    server = fresh_server.start()
    create_table(server.client(), "exclusive")
    server.client().put_item(TableName="exclusive", Item={"pk": {"S": "k"}})
    outsider = sqlite3.connect(fresh_server.data_dir / "halyard.db", timeout=0.2)
    try:
        for statement in ("SELECT count(*) FROM sqlite_schema", "CREATE TABLE intruder (x)"):
            try:
                outsider.execute(statement).fetchall()
            except sqlite3.OperationalError as error:
                assert "locked" in str(error)
            else:
                raise AssertionError(f"{statement!r} ran against a serving database")
    finally:
        outsider.close()
    server.client().put_item(TableName="exclusive", Item={"pk": {"S": "k2"}})
    server.stop()
    after = sqlite3.connect(fresh_server.data_dir / "halyard.db")
    try:
        names = [row[0] for row in after.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        assert "intruder" not in names
        assert any(name.startswith("ks_") for name in names)
    finally:
        after.close()


@sqlite_only("writes foreign halyard.db files (the storage crate's tests cover foreign PostgreSQL schemas)")
@pytest.mark.usefixtures("plaintext")
def test_foreign_or_corrupt_database_is_refused(workdir):
    corrupt = workdir / "corrupt"
    corrupt.mkdir()
    (corrupt / "halyard.db").write_bytes(b"this is not a database at all, not even close" * 10)
    assert "is not a Halyard database" in run_binary_expecting_failure(corrupt, 1)

    foreign = workdir / "foreign"
    foreign.mkdir()
    connection = sqlite3.connect(foreign / "halyard.db")
    connection.execute("CREATE TABLE customers (id INTEGER)")
    connection.commit()
    connection.close()
    assert "is not a Halyard database" in run_binary_expecting_failure(foreign, 1)
    # Nothing was changed in the foreign database.
    connection = sqlite3.connect(foreign / "halyard.db")
    assert [r[0] for r in connection.execute("SELECT name FROM sqlite_master")] == ["customers"]
    connection.close()


@sqlite_only("edits halyard.db's user_version (the storage crate's tests cover a newer PostgreSQL schema)")
@pytest.mark.usefixtures("plaintext")
def test_newer_format_is_refused(fresh_server):
    fresh_server.start()
    fresh_server.stop()
    connection = sqlite3.connect(fresh_server.data_dir / "halyard.db")
    connection.execute("PRAGMA user_version = 999")
    connection.commit()
    connection.close()
    assert "written by a newer Halyard" in run_binary_expecting_failure(fresh_server.data_dir, 1)


def test_clean_shutdown_on_sigterm(fresh_server):
    server = fresh_server.start()
    create_table(server.client(), "t-sigterm")
    server.process.terminate()
    assert server.process.wait(timeout=20) == 0
    assert "Halyard stopped" in server.read_log()


def test_transactions_are_all_or_nothing_across_sigkill(fresh_server):
    """Writers commit two-table transactions (a pair of items sharing an id)
    while the server is killed with SIGKILL; after restart every pair is
    whole or absent, and every acknowledged pair is there."""
    server = fresh_server.start()
    client = server.client()
    create_table(client, "ledger_a")
    create_table(client, "ledger_b")

    def transfer(client, writer_id, seq):
        pair = f"w{writer_id}-{seq}"
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "ledger_a", "Item": {"pk": {"S": pair}, "amount": {"N": str(seq)}}}},
            {"Put": {"TableName": "ledger_b", "Item": {"pk": {"S": pair}, "amount": {"N": str(-seq)}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
        return pair

    acknowledged = set(kill_during_writes(server, transfer, writers=4, minimum=200).values())

    server.start()
    client = server.client()

    def all_keys(table):
        keys = {}
        for page in client.get_paginator("scan").paginate(TableName=table):
            keys.update({item["pk"]["S"]: int(item["amount"]["N"]) for item in page["Items"]})
        return keys

    side_a, side_b = all_keys("ledger_a"), all_keys("ledger_b")
    assert set(side_a) == set(side_b), "a transaction was half applied"
    assert all(side_a[pair] == -side_b[pair] for pair in side_a)
    assert acknowledged <= set(side_a), "an acknowledged transaction was lost"
