"""Several Halyard nodes over one PostgreSQL database (docs/postgres.md).

One node at a time serves a database: the holder of its serving lease. A
second node started on the same database waits as a standby and serves
once the holder is gone: at once after a clean stop, a lease period after
a kill -9. Nothing the first node acknowledged is lost, its tables serve on
the second at once, a ClientRequestToken it saw holds on the second, and a
node that lost its lease refuses writes and says so on /health.

Runs whenever a PostgreSQL server is configured (HALYARD_TEST_POSTGRES_URL;
scripts/test.sh starts one), in the SQLite pass too."""

import subprocess
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import Server, create_table
from harness import POSTGRES_URL, PSQL, SINGLE_ATTEMPT, postgres_storage

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs a PostgreSQL server (HALYARD_TEST_POSTGRES_URL)")

LEASE_SECONDS = "2"


def nodes(workdir, count=2):
    """`count` servers (not started) over one new database schema."""
    cluster = workdir / f"cluster-{uuid.uuid4().hex[:8]}"
    cluster.mkdir()
    url = postgres_storage(cluster)
    return [
        Server(cluster / f"node-{n}", "--storage", url, "--encryption", "off", "--node-lease", LEASE_SECONDS)
        for n in range(count)
    ]


def wait_for_log(server, text, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in server.read_log():
            return
        if server.process.poll() is not None:
            raise AssertionError(f"the node exited: {server.read_log()}")
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log: {server.read_log()}")


def schema_sql(server, sql):
    """Runs SQL in the nodes' schema (the URL's search_path)."""
    url = server.extra_args[server.extra_args.index("--storage") + 1]
    schema = url.rsplit("search_path%3D", 1)[1]
    subprocess.run([str(PSQL), POSTGRES_URL, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", f"SET search_path = {schema}; {sql}"],
                   check=True, capture_output=True)


def test_a_standby_serves_every_acknowledged_write_after_the_serving_node_is_killed(workdir):
    first, second = nodes(workdir)
    first.start()
    second.start(wait=False)
    try:
        wait_for_log(second, "waits as a standby")
        client = first.client(retries=SINGLE_ATTEMPT)
        create_table(client, "cluster_items")
        acknowledged = []
        stop = threading.Event()

        def write():
            n = 0
            while not stop.is_set():
                try:
                    client.put_item(TableName="cluster_items", Item={"pk": {"S": f"k{n}"}, "v": {"N": str(n)}})
                    acknowledged.append(n)
                except Exception:  # the node is gone: what it acknowledged is what counts
                    return
                n += 1

        writer = threading.Thread(target=write)
        writer.start()
        while len(acknowledged) < 50:
            time.sleep(0.05)
        first.kill()
        stop.set()
        writer.join()

        second.wait_ready(timeout=60)
        wait_for_log(second, "took over the serving lease")
        survivor = second.client()
        for n in acknowledged:
            item = survivor.get_item(TableName="cluster_items", Key={"pk": {"S": f"k{n}"}}, ConsistentRead=True)
            assert item["Item"]["v"] == {"N": str(n)}, n
        survivor.put_item(TableName="cluster_items", Item={"pk": {"S": "after"}, "v": {"N": "1"}})
        assert survivor.describe_table(TableName="cluster_items")["Table"]["TableStatus"] == "ACTIVE"
        assert second.health()[0] == 200
    finally:
        second.stop()
        if first.process.poll() is None:
            first.stop()


def test_a_clean_stop_hands_the_lease_over_and_the_tables_serve_on_the_next_node(workdir):
    first, second = nodes(workdir)
    first.start()
    second.start(wait=False)
    try:
        wait_for_log(second, "waits as a standby")
        create_table(first.client(), "handover")
        first.client().put_item(TableName="handover", Item={"pk": {"S": "a"}})
        increment = {"TransactItems": [{"Update": {
            "TableName": "handover", "Key": {"pk": {"S": "counter"}},
            "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}],
            "ClientRequestToken": "the-same-request"}
        first.client().transact_write_items(**increment)
        first.stop()
        second.wait_ready(timeout=60)
        client = second.client()
        assert "Item" in client.get_item(TableName="handover", Key={"pk": {"S": "a"}}, ConsistentRead=True)
        # The retry of a request the first node applied is not applied again.
        client.transact_write_items(**increment)
        counter = client.get_item(TableName="handover", Key={"pk": {"S": "counter"}}, ConsistentRead=True)
        assert counter["Item"]["n"] == {"N": "1"}
        # The first node, back, is now the standby.
        first.start(wait=False)
        wait_for_log(first, "waits as a standby")
    finally:
        first.stop()
        second.stop()


def test_a_node_that_lost_its_lease_refuses_writes_and_reports_it(workdir):
    (node,) = nodes(workdir, count=1)
    node.start()
    try:
        create_table(node.client(), "fenced")
        # As if the node had paused past its lease and another took over.
        schema_sql(node, "UPDATE halyard_lease SET holder = 'another-node', expires_at = now() + interval '1 hour'")
        with pytest.raises(ClientError) as refused:
            node.client(retries=SINGLE_ATTEMPT).put_item(TableName="fenced", Item={"pk": {"S": "x"}})
        assert refused.value.response["Error"]["Code"] == "InternalServerError"
        status, body = node.health()
        assert status == 503 and body["status"] == "database_unreachable" and "lease" in body["reason"]
    finally:
        node.stop()
