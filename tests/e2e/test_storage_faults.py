"""Storage faults, injected for real: a full disk (a small tmpfs, or ENOSPC from
the faultfs shim) fails writes cleanly until space returns; a failed write-back
or fsync (EIO from the shim) stops writes until a restart, and the restart
keeps every acknowledged write."""

import shutil

import botocore.exceptions
import pytest

from conftest import Server, sqlite_only
from faultfs import (OUT_OF_SPACE_MESSAGE, STOPPED_MESSAGE, Shim, build_shim, create_indexed_table, fill, free,
                     mount_small_disk, unmount)
from helpers import expect_error, hkey

pytestmark = sqlite_only("faults are injected into halyard.db and its WAL (PostgreSQL's disk is its server's)")


TABLE = "faults"
# The libc calls the shim may report for a rule's kind of call.
CALLS = {"write": {"write", "pwrite", "pwrite64", "writev", "pwritev"}, "fsync": {"fsync", "fdatasync"}}


@pytest.fixture(scope="session")
def shim_library(workdir):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler to build the faultfs shim")
    return build_shim(workdir)


@pytest.fixture
def shimmed(workdir, shim_library, table_name):
    """A server with the shim preloaded, on a data directory of its own."""
    base = workdir / table_name
    base.mkdir()
    shim = Shim(shim_library, base / "data", base)
    server = Server(base / "data", env=shim.env())
    yield server, shim
    server.stop()


@pytest.fixture
def small_disk(workdir, table_name):
    """A server whose data directory is a 16 MiB tmpfs."""
    base = workdir / table_name
    if not mount_small_disk(base / "data"):
        pytest.skip("mounting a tmpfs is not permitted here (the shim's ENOSPC test covers a full disk)")
    server = Server(base / "data")
    yield server
    server.stop()
    unmount(base / "data")



def put(client, key, size):
    client.put_item(TableName=TABLE, Item={**hkey(key), "payload": {"S": key + "." * size}, "g": {"S": "all"}})


def write_until_refused(client, prefix, size, attempts):
    """Puts new items until one is refused; returns the acknowledged keys and the
    refused write's error response."""
    acknowledged = []
    for i in range(attempts):
        key = f"{prefix}{i}"
        try:
            put(client, key, size)
        except botocore.exceptions.ClientError as error:
            return acknowledged, error.response
        acknowledged.append(key)
    pytest.fail(f"{attempts} writes were all accepted")


def assert_internal_error(response, message):
    assert response["Error"]["Code"] == "InternalServerError", response
    assert response["Error"]["Message"] == message, response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 500, response


def verify_after_restart(server, acknowledged, size, unacknowledged=()):
    """Restarts the server (without the shim) and checks that every acknowledged
    write is there, nothing but those and the unacknowledged ones is, and the
    counts and the index agree with the table."""
    server.stop()
    server.env = None
    server.start()
    client = server.client()
    for key in acknowledged:
        item = client.get_item(TableName=TABLE, Key=hkey(key), ConsistentRead=True).get("Item")
        assert item is not None, f"acknowledged write {key} lost"
        assert item["payload"]["S"] == key + "." * size
    present = set()
    for page in client.get_paginator("scan").paginate(TableName=TABLE, ProjectionExpression="pk"):
        present.update(item["pk"]["S"] for item in page["Items"])
    assert set(acknowledged) <= present <= set(acknowledged) | set(unacknowledged)
    assert client.describe_table(TableName=TABLE)["Table"]["ItemCount"] == len(present)
    indexed = client.query(TableName=TABLE, IndexName="by-g", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "all"}}, Select="COUNT")["Count"]
    assert indexed == len(present)
    put(client, "after-restart", size)
    assert server.health()[0] == 200
    server.stop()
    assert not (server.data_dir / "halyard.db-wal").exists(), "a clean stop checkpoints and removes the WAL"


def check_disk_full(server, fill_disk, free_disk, size):
    """Fills the disk under a running server: writes fail with the out-of-space
    error and /health says so, reads go on, and once space returns writes
    succeed by themselves; after a restart every acknowledged write is there."""
    server.start()
    client = server.client()
    create_indexed_table(client, TABLE)
    before = [f"before{i}" for i in range(20)]
    for key in before:
        put(client, key, size)
    assert server.health() == (200, {"status": "healthy", "writesAccepted": True, "reason": None, "since": None,
                                    "outOfSpaceFailures": 0})

    fill_disk()
    # The WAL may have room left for a few writes.
    during, refused = write_until_refused(client, "during", size, attempts=400)
    assert_internal_error(refused, OUT_OF_SPACE_MESSAGE)
    status, report = server.health()
    assert status == 503, report
    assert report["status"] == "out_of_space" and report["writesAccepted"] is False, report
    assert "full" in report["reason"] and report["outOfSpaceFailures"] >= 1, report
    assert "storage is out of space" in server.read_log()
    assert client.get_item(TableName=TABLE, Key=hkey("before3"))["Item"]["payload"]["S"] == "before3" + "." * size
    expect_error(put, "InternalServerError", OUT_OF_SPACE_MESSAGE, status=500, client=client, key="refused-again",
                 size=size)

    free_disk()
    after = [f"after{i}" for i in range(5)]
    for key in after:
        put(client, key, size)
    status, report = server.health()
    assert status == 200 and report["status"] == "healthy", report
    # A write refused for lack of space was not applied.
    verify_after_restart(server, before + during + after, size)


def test_disk_full_on_a_small_tmpfs(small_disk):
    check_disk_full(small_disk, lambda: fill(small_disk.data_dir), lambda: free(small_disk.data_dir), size=50_000)


def test_disk_full_injected_with_enospc(shimmed):
    server, shim = shimmed
    check_disk_full(server, lambda: shim.inject("write ENOSPC"), shim.clear, size=1000)
    assert any(line.split()[0] in CALLS["write"] and line.split()[1] == "ENOSPC" for line in shim.fired()), shim.fired()


@pytest.mark.parametrize("call, reason", [("fsync", "disk I/O error: an fsync failed"),
                                          ("write", "disk I/O error: a write failed")])
def test_a_failed_commit_stops_writes_until_a_restart(shimmed, call, reason):
    """The commit whose WAL write or fsync fails is not acknowledged; every later
    write is refused (though the disk would take it now), reads go on, /health
    and the log say why; the restart recovers from the WAL and keeps every
    acknowledged write."""
    server, shim = shimmed
    server.start()
    client = server.client()
    create_indexed_table(client, TABLE)
    acknowledged = [f"k{i}" for i in range(30)]
    for key in acknowledged:
        put(client, key, 100)

    shim.inject(f"{call} EIO once")
    expect_error(put, "InternalServerError", STOPPED_MESSAGE, status=500, client=client, key="failed", size=100)
    assert not shim.armed()
    [fired] = shim.fired()
    name, error, path = fired.split()
    assert name in CALLS[call] and error == "EIO" and path == str(shim.data_dir / "halyard.db-wal"), fired

    expect_error(put, "InternalServerError", STOPPED_MESSAGE, status=500, client=client, key="later", size=100)
    expect_error(client.delete_item, "InternalServerError", STOPPED_MESSAGE, status=500, TableName=TABLE,
                 Key=hkey("k1"))
    status, report = server.health()
    assert status == 503, report
    assert report["status"] == "writes_stopped" and report["writesAccepted"] is False, report
    assert report["reason"] == reason, report
    assert "writes are stopped" in server.read_log()
    assert client.get_item(TableName=TABLE, Key=hkey("k7"))["Item"]["payload"]["S"] == "k7" + "." * 100
    assert client.scan(TableName=TABLE, Select="COUNT")["Count"] == len(acknowledged)

    # A clean stop checkpoints the WAL into the database and deletes it; after
    # a failure nothing more is written, and the restart recovers from the WAL.
    server.stop()
    assert (shim.data_dir / "halyard.db-wal").stat().st_size > 0
    verify_after_restart(server, acknowledged, 100, unacknowledged=["failed"])


def test_a_failed_fsync_while_creating_the_database_stops_the_start(workdir, shim_library, table_name):
    """A new database is built under halyard.db.new with syncs of its file; if
    one fails, the server does not start on a database it could not make safe."""
    base = workdir / table_name
    base.mkdir()
    shim = Shim(shim_library, base / "data", base)
    server = Server(base / "data", env=shim.env(FAULTFS_COUNTDOWN="0", FAULTFS_RULE="fsync EIO once file=/halyard.db.new"))
    with pytest.raises(RuntimeError, match="disk I/O error"):
        server.start()
    assert len(shim.fired()) == 1, shim.fired()
    server.env = None
    server.start()
    create_indexed_table(server.client(), TABLE)
    verify_after_restart(server, [], 0)
    server.stop()


def test_a_failed_checkpoint_fsync_stops_writes(shimmed):
    """The checkpoint's fsync of the database file fails: that puts no write's
    answer at stake, but what the checkpoint copied may be lost, so writes stop
    until a restart, which recovers from the WAL."""
    server, shim = shimmed
    server.start()
    client = server.client()
    create_indexed_table(client, TABLE)
    shim.inject("fsync EIO once file=/halyard.db")
    # 100 KB items: a checkpoint starts every ten or so writes.
    acknowledged, refused = write_until_refused(client, "k", 100_000, attempts=400)
    assert_internal_error(refused, STOPPED_MESSAGE)
    [fired] = shim.fired()
    assert fired.split()[0] in CALLS["fsync"] and fired.endswith(" " + str(shim.data_dir / "halyard.db")), fired
    status, report = server.health()
    assert status == 503 and report["status"] == "writes_stopped", report
    assert client.get_item(TableName=TABLE, Key=hkey("k0"))["Item"]["pk"]["S"] == "k0"

    verify_after_restart(server, acknowledged, 100_000)
