"""Every directory Halyard creates is 0700 and every file 0600, whatever the
umask it was started with: the data directory, the SQLite database and its
write-ahead log, the lock file, the self-signed TLS certificate and key;
and a data directory left looser (by an older version, or by hand) is
tightened at start, with one warning line."""

import os
import stat
import uuid

import pytest

from conftest import create_table, sqlite_only
from harness import Server, TlsServer
from helpers import hkey

pytestmark = sqlite_only("checks the modes of halyard.db, its WAL and LOCK")



def modes(root):
    """The permission bits of `root` and of everything under it."""
    found = {root: stat.S_IMODE(os.lstat(root).st_mode)}
    for directory, subdirectories, files in os.walk(root):
        for name in subdirectories + files:
            path = os.path.join(directory, name)
            found[path] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def loose(root):
    """Paths under `root` (and itself) that are not 0700 directories or 0600
    files, with their modes in octal."""
    wrong = {}
    for path, mode in modes(root).items():
        expected = 0o700 if os.path.isdir(path) else 0o600
        if mode != expected:
            wrong[path] = oct(mode)
    return wrong


def set_umask(mask):
    def apply():
        os.umask(mask)
    return apply


def write_some(server, table):
    client = server.client()
    create_table(client, table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    for i in range(200):
        client.put_item(TableName=table, Item={**hkey(f"k{i}"), "v": {"S": "x" * 1000}})
    client.delete_item(TableName=table, Key=hkey("k0"))


@pytest.mark.parametrize("umask", [None, 0o000], ids=["inherited umask", "umask 000"])
def test_everything_in_a_new_data_directory_is_private(workdir, table_name, umask):
    data_dir = workdir / f"modes-{uuid.uuid4().hex[:8]}"
    server = TlsServer(data_dir, "--tls", "self-signed")
    if umask is not None:
        server.preexec_fn = set_umask(umask)
    server.start()
    try:
        write_some(server, table_name)
        found = modes(data_dir)
        print({os.path.relpath(path, data_dir): oct(mode) for path, mode in found.items()})
        # What the test is about is there.
        names = {os.path.relpath(path, data_dir) for path in found}
        assert {"halyard.db", "halyard.db-wal", "LOCK", "tls", "tls/cert.pem", "tls/key.pem"} <= names
        assert loose(data_dir) == {}
    finally:
        server.stop()
    # And after a clean stop (which checkpoints the log).
    assert loose(data_dir) == {}


def test_a_loose_data_directory_is_tightened_at_start_with_one_warning(workdir, table_name):
    data_dir = workdir / f"loose-{uuid.uuid4().hex[:8]}"
    server = TlsServer(data_dir, "--tls", "self-signed")
    server.start()
    write_some(server, table_name)
    server.stop()
    for path in modes(data_dir):
        os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)

    server = TlsServer(data_dir, "--tls", "self-signed")
    server.start()
    try:
        assert loose(data_dir) == {}
        warnings = [line for line in server.read_log().splitlines()
                    if "group and other permissions were removed" in line]
        assert len(warnings) == 1, server.read_log()
        assert "WARN" in warnings[0]
        # The data survived, and a private directory is not warned about.
        assert server.client().get_item(TableName=table_name, Key=hkey("k1"))["Item"]["v"] == {"S": "x" * 1000}
    finally:
        server.stop()
    server = Server(data_dir)
    server.start()
    log = server.read_log()
    server.stop()
    assert "group and other permissions were removed" not in log


def test_an_empty_directory_made_by_hand_is_tightened(workdir, table_name):
    data_dir = workdir / f"by-hand-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir(mode=0o777)
    os.chmod(data_dir, 0o777)
    server = Server(data_dir)
    server.start()
    try:
        create_table(server.client(), table_name)
        assert loose(data_dir) == {}
    finally:
        server.stop()
