"""Failover of the database under two Halyard nodes (docs/failover.md).

scripts/patroni-cluster.sh starts the recipe's cluster: a 3-member etcd and
two PostgreSQL servers under Patroni, a primary and its synchronous standby.
Two Halyard nodes connect with the multi-host URL
(`target_session_attrs=read-write`) and take a stream of writes; the test
kills the primary PostgreSQL with SIGKILL, Patroni promotes the standby,
and the nodes find it by themselves. Then:
- every write a node acknowledged is on the new primary;
- a request that failed during the switch failed with a retryable error
  (500 InternalServerError or 503, which the SDKs retry), never a hang
  (the client's read timeout) nor a dropped connection (a crash);
- /health went from 200 to 503 and back to 200.

Only acknowledged writes count, so the test holds whether one node serves
at a time (the other waiting on the serving lease, its requests refused at
the socket) or both do. HALYARD_FAILOVER_ROUNDS (default 1) kills the
primary of the moment that many times, each after the old primary has come
back as the synchronous standby: CI runs one round, more run on demand.

Runs when Patroni and etcd are installed or installable (the script
installs Debian's packages); skipped, with the reason, only when they are
not (and fails then under HALYARD_TEST_REQUIRE_PATRONI, as in
scripts/test.sh)."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import CREDENTIALS, PSQL, REGION, ROOT, Server

SCRIPT = ROOT / "scripts" / "patroni-cluster.sh"
ROUNDS = int(os.environ.get("HALYARD_FAILOVER_ROUNDS", "1"))
TABLE = "failover_items"
# Statuses the SDKs retry.
RETRYABLE = {500, 503}
# Longer than any bound of Halyard's on a request (a connection: 5 s; a
# statement: 30 s), so that a request that times out here hung.
READ_TIMEOUT = 60
# Writes acknowledged after the promotion before a round ends.
WRITES_AFTER = 20


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_until(condition, what, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Cluster:
    """The running Patroni cluster, as scripts/patroni-cluster.sh wrote it."""

    def __init__(self, directory, url):
        self.directory = directory
        self.url = url
        self.members = json.loads((Path(directory) / "cluster.json").read_text())["members"]

    def role(self, member, role):
        """Whether Patroni says `member` is the primary ("primary") or the
        synchronous standby ("sync")."""
        return http_status(f"http://127.0.0.1:{member['api']}/{role}") == 200

    def primary(self):
        return next((m for m in self.members if self.role(m, "primary")), None)

    def kill_primary_postgres(self, primary):
        """SIGKILL to the primary's postmaster (its Patroni lives on)."""
        pid = int((Path(primary["data"]) / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster():
    # Under /tmp: the cluster's owner (not root, when the tests run as root)
    # must reach it, and pytest's own temporary directories are private.
    directory = tempfile.mkdtemp(prefix="halyard-patroni-")
    os.chmod(directory, 0o755)
    started = subprocess.run([str(SCRIPT), "start", directory], capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        subprocess.run([str(SCRIPT), "stop", directory], capture_output=True, timeout=120)
        missing = [tool for tool in ("patroni", "etcd") if shutil.which(tool) is None]
        if missing and not os.environ.get("HALYARD_TEST_REQUIRE_PATRONI"):
            pytest.skip(f"{' and '.join(missing)} could not be installed: {started.stderr.strip()[-500:]}")
        raise AssertionError(f"the Patroni cluster did not start: {started.stderr}")
    try:
        yield Cluster(directory, started.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([str(SCRIPT), "stop", directory], capture_output=True, timeout=120)


def client(node):
    return boto3.client(
        "dynamodb", endpoint_url=node.endpoint, region_name=REGION,
        config=Config(retries={"total_max_attempts": 1}, read_timeout=READ_TIMEOUT, connect_timeout=2),
        **CREDENTIALS,
    )


class Writer(threading.Thread):
    """Puts items with keys of its own through one node, one at a time,
    recording what was acknowledged and how the rest failed."""

    def __init__(self, node, name):
        super().__init__(daemon=True)
        self.node = node
        self.name_prefix = name
        self.client = client(node)
        self.stop = threading.Event()
        self.acknowledged = []
        self.statuses = []  # HTTP status and error code of each refused request
        self.other_failures = []  # anything else: a hang, a dropped connection
        self.refused_at_socket = 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            key = f"{self.name_prefix}-{n}"
            n += 1
            try:
                self.client.put_item(TableName=TABLE, Item={"pk": {"S": key}, "n": {"N": str(n)}})
                self.acknowledged.append(key)
            except ClientError as error:
                self.statuses.append((error.response["ResponseMetadata"]["HTTPStatusCode"],
                                      error.response["Error"]["Code"]))
            except Exception as error:  # noqa: BLE001 — each kind is asserted on below
                if type(error).__name__ == "EndpointConnectionError" and not self.node.serving:
                    # A node waiting as a standby does not listen yet.
                    self.refused_at_socket += 1
                    time.sleep(0.2)
                else:
                    self.other_failures.append(repr(error))


class HealthWatcher(threading.Thread):
    """Samples a node's /health: the sequence of distinct statuses seen."""

    def __init__(self, node):
        super().__init__(daemon=True)
        self.node = node
        self.stop = threading.Event()
        self.seen = []
        self.bodies = []

    def run(self):
        while not self.stop.is_set():
            if self.node.serving:
                status, body = self.node.health()
                if not self.seen or self.seen[-1] != status:
                    self.seen.append(status)
                    self.bodies.append(body)
            time.sleep(0.1)


def start_nodes(workdir, url):
    nodes = []
    for name in ("a", "b"):
        # A serving lease longer than a failover, when one node serves at a
        # time: the node that serves keeps serving after the switch.
        env = dict(os.environ, HALYARD_NODE_LEASE="60")
        node = Server(workdir / f"node-{name}", "--storage", url, "--encryption", "off", env=env)
        # The first creates the schema; the second starts on it.
        node.start(wait=not nodes)
        node.serving = not nodes
        nodes.append(node)

    def some_node_serves():
        for node in nodes:
            if node.process.poll() is not None:
                raise AssertionError(f"a node exited: {node.read_log()}")
            if http_status(node.endpoint + "/") == 200:
                node.serving = True
        return any(node.serving for node in nodes)

    try:
        wait_until(some_node_serves, "a Halyard node to serve", timeout=60)
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return nodes


def test_acknowledged_writes_survive_killing_the_primary_and_the_nodes_find_the_new_one(workdir, cluster):
    nodes = start_nodes(workdir, cluster.url)
    try:
        first = next(node for node in nodes if node.serving)
        client(first).create_table(
            TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        for node in nodes:  # a node serving alongside sees the table at once (or waits as a standby)
            node.serving = node.serving or http_status(node.endpoint + "/") == 200
        writers = [Writer(node, f"node-{i}") for i, node in enumerate(nodes) for _ in range(2)]
        watchers = [HealthWatcher(node) for node in nodes]
        for thread in writers + watchers:
            thread.start()
        try:
            for round_ in range(ROUNDS):
                acknowledged_before = sum(len(w.acknowledged) for w in writers)
                wait_until(lambda: sum(len(w.acknowledged) for w in writers) >= acknowledged_before + 20,
                           "writes before the kill")
                old = cluster.primary()
                assert old is not None
                standby = next(m for m in cluster.members if m is not old)
                assert cluster.role(standby, "sync"), "the standby is synchronous before the kill"
                cluster.kill_primary_postgres(old)
                wait_until(lambda: cluster.role(standby, "primary"), f"Patroni to promote {standby['name']}")
                promoted = sum(len(w.acknowledged) for w in writers)
                wait_until(lambda: sum(len(w.acknowledged) for w in writers) >= promoted + WRITES_AFTER,
                           "writes through the new primary")
                if round_ + 1 < ROUNDS:
                    wait_until(lambda: cluster.role(old, "sync"), f"{old['name']} to come back as the sync standby",
                               timeout=120)
        finally:
            for thread in writers + watchers:
                thread.stop.set()
            for thread in writers + watchers:
                thread.join(timeout=READ_TIMEOUT + 10)

        # What was acknowledged is on the new primary (read through a node
        # that serves; a consistent read reads the primary).
        reader = client(next(node for node in nodes if node.serving))
        acknowledged = [key for writer in writers for key in writer.acknowledged]
        missing = []
        for key in acknowledged:
            item = reader.get_item(TableName=TABLE, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
            if item is None:
                missing.append(key)
        assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes lost: {missing[:10]}"

        statuses = [status for writer in writers for status in writer.statuses]
        assert statuses, "some requests met the switch"
        assert {status for status, _ in statuses} <= RETRYABLE, statuses
        failures = [failure for writer in writers for failure in writer.other_failures]
        assert not failures, failures
        for node in nodes:
            assert node.process.poll() is None, f"a node exited: {node.read_log()}"
            assert "panicked" not in node.read_log()
        served = [watcher for watcher in watchers if watcher.node.serving]
        for watcher in served:
            # 200 before the kill and after it. With both nodes serving, a
            # node's 503 can last less than the 100 ms between samples (its
            # next write on a new connection reports it healthy again), so
            # a 503 is checked when seen, not required to be seen.
            assert watcher.seen[0] == 200 and watcher.seen[-1] == 200, (watcher.seen, watcher.bodies)
            if 503 in watcher.seen:
                down = watcher.bodies[watcher.seen.index(503)]
                assert down["writesAccepted"] is False and down["status"] == "database_unreachable", down
        print(f"{len(acknowledged)} writes acknowledged, all present; {len(statuses)} refused with "
              f"{sorted({code for _, code in statuses})} over {ROUNDS} failover(s)")
    finally:
        for node in nodes:
            node.stop()


def psql(cluster, sql, database="postgres"):
    url = cluster.url.replace("/postgres?", f"/{database}?")
    return subprocess.run([str(PSQL), url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def test_tls_to_the_database_with_a_self_signed_certificate(workdir, cluster):
    """sslmode=require: every connection is TLS, and the server's
    certificate is checked against sslrootcert (the cluster's self-signed
    one); a certificate that it does not vouch for is refused."""
    psql(cluster, "CREATE DATABASE halyard_tls")
    certificate = Path(cluster.directory) / "tls" / "server.crt"
    url = cluster.url.replace("/postgres?", "/halyard_tls?") + f"&sslmode=require&sslrootcert={certificate}"
    node = Server(workdir / "tls-node", "--storage", url, "--encryption", "off")
    node.start()
    try:
        dynamodb = node.client()
        dynamodb.create_table(
            TableName="tls_items", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        dynamodb.put_item(TableName="tls_items", Item={"pk": {"S": "a"}, "v": {"S": "over TLS"}})
        item = dynamodb.get_item(TableName="tls_items", Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]
        assert item["v"] == {"S": "over TLS"}
        # Every connection of the node's (application_name halyard) is TLS.
        sessions = psql(cluster, "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                 "WHERE a.application_name = 'halyard' AND a.datname = 'halyard_tls'")
        assert sessions and set(sessions.split()) == {"t"}, sessions
    finally:
        node.stop()

    # Another self-signed certificate as the only root: the server's
    # certificate is not trusted, and the node does not start.
    other = workdir / "other.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE",
                    "-addext", "extendedKeyUsage=serverAuth", "-keyout", str(workdir / "other.key"), "-out", str(other)],
                   check=True, capture_output=True)
    untrusted = Server(workdir / "untrusted-node", "--storage", url.replace(str(certificate), str(other)),
                       "--encryption", "off")
    untrusted.start(wait=False)
    try:
        assert untrusted.process.wait(timeout=60) != 0
        assert "certificate" in untrusted.read_log().lower(), untrusted.read_log()
    finally:
        untrusted.stop()


def wal_receiver(member):
    """The pid of `member`'s WAL receiver (a child of its postmaster)."""
    postmaster = (Path(member["data"]) / "postmaster.pid").read_text().split()[0]
    for proc in Path("/proc").iterdir():
        try:
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            title = (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if parent == postmaster and b"walreceiver" in title:
            return int(proc.name)
    raise AssertionError(f"{member['name']} has no WAL receiver")


def test_a_commit_whose_wait_for_the_standby_is_cancelled_is_not_acknowledged(workdir, cluster):
    """PostgreSQL answers COMMIT with success (and a WARNING) when the wait
    for the synchronous standby is cancelled (pg_cancel_backend), although
    the write is then on the primary only: Halyard must answer a retryable
    error, not 200."""
    psql(cluster, "CREATE DATABASE halyard_cancel")
    url = cluster.url.replace("/postgres?", "/halyard_cancel?")
    node = Server(workdir / "cancel-node", "--storage", url, "--encryption", "off",
                  env=dict(os.environ, HALYARD_NODE_LEASE="60"))
    node.start()
    try:
        dynamodb = client(node)
        dynamodb.create_table(
            TableName="cancel_items", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        primary = cluster.primary()
        standby = next(m for m in cluster.members if m is not primary)
        # After a failover, the old primary rejoins as the standby first.
        wait_until(lambda: cluster.role(standby, "sync"), f"{standby['name']} to be the synchronous standby",
                   timeout=120)
        # Freeze the standby's WAL receiver: commits wait for it, and the
        # test cancels their wait.
        receiver = wal_receiver(standby)
        outcome = {}

        def put():
            try:
                dynamodb.put_item(TableName="cancel_items", Item={"pk": {"S": "unsure"}})
                outcome["status"] = 200
            except ClientError as error:
                outcome["status"] = error.response["ResponseMetadata"]["HTTPStatusCode"]

        os.kill(receiver, signal.SIGSTOP)
        try:
            writer = threading.Thread(target=put)
            writer.start()
            while writer.is_alive():
                psql(cluster, "SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                              "WHERE wait_event = 'SyncRep' AND datname = 'halyard_cancel'")
                writer.join(timeout=0.2)
        finally:
            os.kill(receiver, signal.SIGCONT)
        assert outcome["status"] in RETRYABLE, outcome
        assert "synchronous standby" in node.read_log(), node.read_log()
        # Writes are acknowledged again once the standby answers.
        wait_until(lambda: cluster.role(standby, "sync"), "the standby to answer again")
        dynamodb.put_item(TableName="cancel_items", Item={"pk": {"S": "sure"}})
        assert "Item" in dynamodb.get_item(TableName="cancel_items", Key={"pk": {"S": "sure"}}, ConsistentRead=True)
    finally:
        node.stop()
