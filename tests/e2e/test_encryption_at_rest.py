"""Encryption at rest: nothing written through the API is readable in the
data directory's files (and it is with --encryption off, so the check can
fail); the root key from a file, the environment or a command; wrong and
missing keys and an altered keyring refused at start with nothing damaged;
`halyard rekey`, service-key rotation and a new root key, with restarts and
full read-back; kill -9 at random points of a rekey."""

import base64
import gzip
import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BINARY, Server, create_table, sqlite_only
from harness import CREDENTIALS, free_port

pytestmark = sqlite_only("SQLCipher encrypts the SQLite store; PostgreSQL storage refuses --encryption on (docs/postgres.md)")

TABLE = "ZebraLedgerTbl"
CARD = "4111-1111-1111-1111-QUOKKA"
SSN = "078-05-1120-PLATYPUS"
KEY_VALUE = "customer-NARWHAL-0042"
MARKERS = [TABLE, CARD, SSN, KEY_VALUE]


def key_hex():
    return os.urandom(32).hex()


def write_key(path, text):
    path.write_text(text + "\n")
    path.chmod(0o600)
    return path


def fill(client, table=TABLE, count=1, padding=0):
    create_table(client, table)
    for i in range(count):
        client.put_item(
            TableName=table,
            Item={
                "pk": {"S": f"{KEY_VALUE}-{i}" if i else KEY_VALUE},
                "card": {"S": CARD},
                "ssn": {"S": SSN},
                "pad": {"S": "x" * padding},
            },
        )


def read_back(client, table=TABLE, expected=1):
    items = []
    kwargs = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert len(items) == expected
    first = client.get_item(TableName=table, Key={"pk": {"S": KEY_VALUE}}, ConsistentRead=True)["Item"]
    assert first["card"] == {"S": CARD} and first["ssn"] == {"S": SSN}
    return items


def log_of(server):
    """A stopped server's log."""
    return (server.data_dir.parent / f"halyard-{server.port}.log").read_text(errors="replace")


def files_under(directory):
    return [path for path in Path(directory).rglob("*") if path.is_file()]


def markers_on_disk(directory):
    """{marker: [file names]} of the markers found in any file's raw bytes."""
    found = {}
    for path in files_under(directory):
        data = path.read_bytes()
        # A gzip file (an unsealed audit log) is searched decompressed too.
        if data[:2] == b"\x1f\x8b":
            data += gzip.decompress(data)
        for marker in MARKERS:
            if marker.encode() in data:
                found.setdefault(marker, []).append(path.name)
    return found


def refused_start(data_dir, *args, env=None):
    """Starts the binary expecting it to refuse: (exit code, output)."""
    full_env = dict(os.environ if env is None else env)
    full_env.setdefault("HALYARD_ROOT_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    full_env.setdefault("HALYARD_ROOT_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    result = subprocess.run(
        [str(BINARY), "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, timeout=60, env=full_env,
    )
    assert result.returncode != 0, result.stderr
    return result.returncode, result.stderr + result.stdout


FAST_AUDIT = ("--audit-file-interval", "1", "--audit-flush-interval", "0.2")


def wait_for_audit_files(data, timeout=30):
    deadline = time.time() + timeout
    while not list((data / "audit" / "logs").glob("*.json.gz")):
        assert time.time() < deadline, "no audit log file was written"
        time.sleep(0.1)


def halyard(*args, check=True):
    result = subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


def digests(directory):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files_under(directory)}


@pytest.mark.parametrize("encryption", ["on", "off"])
def test_nothing_written_through_the_api_is_readable_on_disk(tmp_path, encryption):
    data = tmp_path / "data"
    args = ["--encryption", "off"] if encryption == "off" else []
    # Audit log files close within a second: their records name the table.
    server = Server(data, *args, *FAST_AUDIT).start()
    fill(server.client(), count=50)
    wait_for_audit_files(data)
    # The newest pages are in the WAL, written just before the kill.
    server.client().put_item(TableName=TABLE, Item={"pk": {"S": "last"}, "card": {"S": CARD}})
    server.kill()
    assert (data / "halyard.db-wal").stat().st_size > 0
    after_kill = markers_on_disk(data)
    server = Server(data, *args).start()
    read_back(server.client(), expected=51)
    server.stop()
    after_stop = markers_on_disk(data)
    if encryption == "on":
        assert after_kill == {} and after_stop == {}
        assert not (data / "halyard.db").read_bytes().startswith(b"SQLite format 3")
        # The audit files are sealed, and `halyard audit` reads them back.
        audit_files = files_under(data / "audit")
        assert audit_files and all(path.read_bytes().startswith(b"HLYSEAL1") for path in audit_files)
        verified = halyard("audit", "verify", "--data-dir", str(data))
        assert "the chain is intact" in verified.stdout, verified.stdout
        found = halyard("audit", "query", "--data-dir", str(data), "--table", TABLE, "--limit", "1000")
        # PutItem's data events are read from the sealed log files.
        assert '"eventName":"CreateTable"' in found.stdout and '"eventName":"PutItem"' in found.stdout, found.stdout
        assert (tmp_path / "data.root-key").exists(), "the generated root key lands beside the data directory"
        assert not any("root-key" in path.name for path in files_under(data))
        assert "encryption at rest on" in log_of(server)
    else:
        # The same check finds them in plaintext: it can fail.
        assert set(after_kill) == set(MARKERS) and set(after_stop) == set(MARKERS)
        assert any(name.endswith(".json.gz") for name in after_kill[TABLE]), "the audit logs name the table"
        assert "encryption at rest is OFF" in log_of(server)
        assert not (tmp_path / "data.root-key").exists()


def test_root_key_from_file_environment_and_command(tmp_path):
    data = tmp_path / "data"
    secret = key_hex()
    key_file = write_key(tmp_path / "root.key", secret)
    server = Server(data, "--root-key-file", str(key_file)).start()
    fill(server.client())
    server.stop()
    assert not (tmp_path / "data.root-key").exists(), "no key is generated when one is given"

    # The same key as base64 in the environment.
    env = dict(os.environ, HALYARD_ROOT_KEY=base64.b64encode(bytes.fromhex(secret)).decode())
    server = Server(data, env=env).start()
    read_back(server.client())
    server.stop()

    server = Server(data, "--root-key-command", f"cat '{key_file}'").start()
    read_back(server.client())
    server.stop()
    for log in tmp_path.glob("halyard-*.log"):
        text = log.read_text(errors="replace")
        assert secret not in text and secret.upper() not in text, "the key never reaches a log"

    code, output = refused_start(data, "--root-key-command", "exit 7")
    assert "root key command" in output and "failed" in output
    code, output = refused_start(data, "--root-key-file", str(key_file), "--root-key-command", f"cat '{key_file}'")
    assert "more than one root key" in output
    write_key(tmp_path / "short.key", secret[:40])
    code, output = refused_start(data, "--root-key-file", str(tmp_path / "short.key"))
    assert "64 hex digits or as base64" in output and secret[:40] not in output


def test_wrong_missing_or_altered_keys_are_refused_and_nothing_is_damaged(tmp_path):
    data = tmp_path / "data"
    key_file = write_key(tmp_path / "root.key", key_hex())
    server = Server(data, "--root-key-file", str(key_file)).start()
    fill(server.client(), count=20)
    server.stop()
    before = digests(data)
    keyring = (data / "keyring").read_text()

    wrong = write_key(tmp_path / "wrong.key", key_hex())
    code, output = refused_start(data, "--root-key-file", str(wrong))
    assert "does not open the keyring" in output and "not this data directory's root key" in output, output

    code, output = refused_start(data)
    assert "no root key was given" in output and "data.root-key" in output, output

    # An altered wrapped database key, and an altered wrapped service key.
    for path in (["database_key", "wrapped"], ["service_keys", 0, "wrapped"]):
        document = json.loads(keyring)
        holder = document
        for step in path[:-1]:
            holder = holder[step]
        raw = bytearray(base64.b64decode(holder[path[-1]]))
        raw[len(raw) // 2] ^= 0x01
        holder[path[-1]] = base64.b64encode(bytes(raw)).decode()
        (data / "keyring").write_text(json.dumps(document))
        code, output = refused_start(data, "--root-key-file", str(key_file))
        assert "was altered or damaged" in output and "does not open" in output, output
    (data / "keyring").write_text("{ not a keyring")
    code, output = refused_start(data, "--root-key-file", str(key_file))
    assert "is damaged or was altered" in output

    # A keyring from another data directory, under the same root key: its
    # database key is the wrong one.
    other = tmp_path / "other"
    Server(other, "--root-key-file", str(key_file)).start().stop()
    (data / "keyring").write_text((other / "keyring").read_text())
    code, output = refused_start(data, "--root-key-file", str(key_file))
    assert "does not open" in output and "another data directory" in output, output

    # The keyring missing from an encrypted store.
    (data / "keyring").unlink()
    code, output = refused_start(data, "--root-key-file", str(key_file))
    assert "keyring" in output and "is missing" in output, output
    code, output = refused_start(data, "--encryption", "off")
    assert "encrypted" in output, output

    (data / "keyring").write_text(keyring)
    assert digests(data) == before, "the refused starts changed nothing"
    server = Server(data, "--root-key-file", str(key_file)).start()
    read_back(server.client(), expected=20)
    server.stop()


def test_rekey_rotation_and_a_new_root_key_then_full_read_back(tmp_path):
    data = tmp_path / "data"
    key_file = write_key(tmp_path / "root.key", key_hex())
    root = ["--root-key-file", str(key_file)]
    server = Server(data, *root).start()
    fill(server.client(), count=200, padding=100)
    server.stop()
    database_before = (data / "halyard.db").read_bytes()
    wrapped_before = json.loads((data / "keyring").read_text())["database_key"]["wrapped"]

    output = halyard("rekey", "--data-dir", str(data), *root).stdout
    assert "re-encrypted under a new database key" in output
    assert (data / "halyard.db").read_bytes()[:4096] != database_before[:4096]
    assert json.loads((data / "keyring").read_text())["database_key"]["wrapped"] != wrapped_before
    assert not any(name.startswith("halyard.db.new") for name in os.listdir(data))
    server = Server(data, *root).start()
    read_back(server.client(), expected=200)
    server.client().put_item(TableName=TABLE, Item={"pk": {"S": "after-rekey"}})
    server.stop()

    database_before = (data / "halyard.db").read_bytes()
    output = halyard("rekey", "--rotate-service-key", "--data-dir", str(data), *root).stdout
    assert "service key 2 is now current" in output
    assert (data / "halyard.db").read_bytes() == database_before, "rotation rewrites no data"
    keyring = json.loads((data / "keyring").read_text())
    assert [key["id"] for key in keyring["service_keys"]] == [1, 2] and keyring["database_key"]["service_key"] == 2

    new_root = write_key(tmp_path / "new-root.key", key_hex())
    halyard("rekey", "--data-dir", str(data), *root, "--new-root-key-file", str(new_root))
    code, output = refused_start(data, *root)
    assert "does not open the keyring" in output
    root = ["--root-key-file", str(new_root)]
    server = Server(data, *root).start()
    read_back(server.client(), expected=201)
    server.stop()
    result = halyard("check", "--data-dir", str(data), *root, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    result = halyard("check", "--data-dir", str(data), check=False)
    assert result.returncode == 2 and "no root key was given" in result.stderr
    result = halyard("rekey", "--data-dir", str(data), check=False)
    assert result.returncode != 0 and "no root key was given" in result.stderr
    assert markers_on_disk(data) == {}


def test_kill_9_at_random_points_of_a_rekey_leaves_a_database_that_opens(tmp_path):
    data = tmp_path / "data"
    key_file = write_key(tmp_path / "root.key", key_hex())
    root = ["--root-key-file", str(key_file)]
    server = Server(data, *root).start()
    client = server.client()
    count = 1500
    fill(client, count=count, padding=2000)
    server.stop()
    started = time.monotonic()
    halyard("rekey", "--data-dir", str(data), *root)
    duration = time.monotonic() - started
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    outcomes = {"killed": 0, "finished": 0}
    for trial in range(12):
        process = subprocess.Popen(
            [str(BINARY), "rekey", "--data-dir", str(data), *root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0, duration * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        outcomes["killed" if process.returncode == -signal.SIGKILL else "finished"] += 1
        server = Server(data, *root).start()
        read_back(server.client(), expected=count)
        server.stop()
        assert not any(name.startswith("halyard.db.new") for name in os.listdir(data)), trial
        assert "next_database_key" not in (data / "keyring").read_text(), "the open settled the change"
    assert outcomes["killed"] > 0, outcomes
    assert markers_on_disk(data) == {}


def test_a_plaintext_database_is_refused_then_encrypted_by_rekey(tmp_path):
    data = tmp_path / "data"
    server = Server(data, "--encryption", "off").start()
    fill(server.client(), count=10)
    server.stop()
    assert markers_on_disk(data)
    before = digests(data)
    code, output = refused_start(data)
    assert "plaintext (unencrypted) database" in output and "halyard rekey --data-dir" in output, output
    assert digests(data) == before and not (data / "keyring").exists()

    result = halyard("rekey", "--data-dir", str(data))
    assert "generated a new root key into" in result.stderr and str(tmp_path / "data.root-key") in result.stderr
    assert "is now encrypted" in result.stdout
    assert markers_on_disk(data) == {}
    server = Server(data).start()
    read_back(server.client(), expected=10)
    server.stop()
    code, output = refused_start(data, "--encryption", "off")
    assert "encrypted" in output
