"""Several Halyard nodes over one PostgreSQL database (docs/postgres.md).

Every node serves the database at once (active-active): each node's write
batch is one SERIALIZABLE transaction, applied again when it conflicts with
another node's. Transfers spread over two nodes conserve money; two nodes'
conditional writes to the same items never both succeed; a catalog change
on one node is seen by the other on its next request; stream records keep
per-item order across nodes; and after a kill -9 of one node nothing it
acknowledged is lost and the other takes its background leases over.

Runs whenever a PostgreSQL server is configured (HALYARD_TEST_POSTGRES_URL;
scripts/test.sh starts one), in the SQLite pass too."""

import random
import subprocess
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from bank import account, is_conflict, transfer_items
from conftest import Server, create_table
from harness import POSTGRES_URL, PSQL, SINGLE_ATTEMPT, postgres_storage

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs a PostgreSQL server (HALYARD_TEST_POSTGRES_URL)")

LEASE_SECONDS = "2"
# Background work that looks every second, so that a lease moves soon.
BACKGROUND = ["--ttl-interval", "1", "--stream-retention", "24", "--pitr-snapshot-interval", "1"]
TASKS = {"ttl-expiry", "stream-trim", "point-in-time", "audit-mover"}


def nodes(workdir, count=2):
    """`count` started servers over one new database schema."""
    cluster = workdir / f"cluster-{uuid.uuid4().hex[:8]}"
    cluster.mkdir()
    url = postgres_storage(cluster)
    servers = [
        Server(cluster / f"node-{n}", "--storage", url, "--encryption", "off", "--node-lease", LEASE_SECONDS,
               *BACKGROUND)
        for n in range(count)
    ]
    for server in servers:
        server.start()
    return servers


def schema_rows(server, sql):
    """Runs SQL in the nodes' schema (the URL's search_path); its rows, as text."""
    url = server.extra_args[server.extra_args.index("--storage") + 1]
    schema = url.rsplit("search_path%3D", 1)[1]
    done = subprocess.run([str(PSQL), POSTGRES_URL, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c",
                           f"SET search_path = {schema}; {sql}"], check=True, capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line]


def node_id(server):
    return (server.data_dir / "node-id").read_text().strip()


def stop_all(*servers):
    for server in servers:
        if server.process.poll() is None:
            server.stop()


def test_a_table_created_on_one_node_is_usable_on_the_other_at_once(workdir):
    a, b = nodes(workdir)
    try:
        ca, cb = a.client(), b.client()
        create_table(ca, "shared")
        # No waiting: B's next request sees A's CreateTable.
        cb.put_item(TableName="shared", Item={"pk": {"S": "from-b"}})
        assert "Item" in ca.get_item(TableName="shared", Key={"pk": {"S": "from-b"}}, ConsistentRead=True)
        for n in range(3):
            ca.put_item(TableName="shared", Item={"pk": {"S": f"a{n}"}})
        cb.put_item(TableName="shared", Item={"pk": {"S": "b1"}})
        cb.delete_item(TableName="shared", Key={"pk": {"S": "from-b"}})
        # Each node counts its own writes; a table's count is every node's.
        assert ca.describe_table(TableName="shared")["Table"]["ItemCount"] == 4
        assert cb.describe_table(TableName="shared")["Table"]["ItemCount"] == 4
        assert "shared" in cb.list_tables()["TableNames"]
        ca.delete_table(TableName="shared")
        for call in (lambda: cb.describe_table(TableName="shared"),
                     lambda: cb.put_item(TableName="shared", Item={"pk": {"S": "late"}})):
            with pytest.raises(ClientError) as gone:
                call()
            assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
        # And B's create of the name is A's table too.
        create_table(cb, "shared")
        assert ca.describe_table(TableName="shared")["Table"]["ItemCount"] == 0
        with pytest.raises(ClientError) as exists:
            create_table(ca, "shared")
        assert exists.value.response["Error"]["Code"] == "ResourceInUseException"
    finally:
        stop_all(a, b)


ACCOUNTS = 10
START = 1000
THREADS_PER_NODE = 4
TRANSFERS_PER_THREAD = 40


def test_bank_transfers_spread_over_two_nodes_conserve_money(workdir):
    a, b = nodes(workdir)
    try:
        create_table(a.client(), "bank")
        for i in range(ACCOUNTS):
            b.client().put_item(TableName="bank", Item={**account(i), "balance": {"N": str(START)}})
        servers = [a, b] * THREADS_PER_NODE
        clients = [server.client() for server in servers]
        applied = [[] for _ in servers]
        errors = []

        def transfers(n):
            rng = random.Random(n)
            try:
                for _ in range(TRANSFERS_PER_THREAD):
                    source, target = rng.sample(range(ACCOUNTS), 2)
                    amount = rng.randint(1, 300)
                    while True:
                        try:
                            clients[n].transact_write_items(TransactItems=transfer_items("bank", source, target, amount))
                            applied[n].append((source, target, amount))
                            break
                        except ClientError as error:
                            if is_conflict(error):
                                continue
                            if error.response["Error"]["Code"] == "TransactionCanceledException":
                                break  # insufficient funds
                            raise
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=transfers, args=(n,)) for n in range(len(servers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        expected = [START] * ACCOUNTS
        for source, target, amount in (t for ledger in applied for t in ledger):
            expected[source] -= amount
            expected[target] += amount
        for reader in (a.client(), b.client()):
            balances = [int(reader.get_item(TableName="bank", Key=account(i), ConsistentRead=True)["Item"]["balance"]["N"])
                        for i in range(ACCOUNTS)]
            assert sum(balances) == START * ACCOUNTS
            assert balances == expected
            assert min(balances) >= 0
        assert sum(len(ledger) for ledger in applied) > 0
    finally:
        stop_all(a, b)


def test_two_nodes_conditional_writers_on_the_same_items_never_both_succeed(workdir):
    a, b = nodes(workdir)
    try:
        create_table(a.client(), "claims")
        items = 40
        won = {"a": [], "b": []}
        errors = []
        start = threading.Barrier(2)

        def claim(name, server):
            client = server.client()
            start.wait()
            for n in range(items):
                try:
                    client.put_item(TableName="claims", Item={"pk": {"S": f"k{n}"}, "owner": {"S": name}},
                                    ConditionExpression="attribute_not_exists(pk)")
                    won[name].append(n)
                except ClientError as error:
                    if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        errors.append(error)

        threads = [threading.Thread(target=claim, args=args) for args in (("a", a), ("b", b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(won["a"] + won["b"]) == list(range(items))
        reader = b.client()
        for name, claimed in won.items():
            for n in claimed:
                item = reader.get_item(TableName="claims", Key={"pk": {"S": f"k{n}"}}, ConsistentRead=True)["Item"]
                assert item["owner"] == {"S": name}

        # Read-modify-write with a version condition, from both nodes on one
        # hot item: every acknowledged increment is in the final value.
        a.client().put_item(TableName="claims", Item={"pk": {"S": "hot"}, "n": {"N": "0"}})
        acknowledged = []

        def increment(server):
            client = server.client()
            for _ in range(25):
                while True:
                    current = int(client.get_item(TableName="claims", Key={"pk": {"S": "hot"}},
                                                  ConsistentRead=True)["Item"]["n"]["N"])
                    try:
                        client.put_item(TableName="claims", Item={"pk": {"S": "hot"}, "n": {"N": str(current + 1)}},
                                        ConditionExpression="n = :seen",
                                        ExpressionAttributeValues={":seen": {"N": str(current)}})
                        acknowledged.append(current + 1)
                        break
                    except ClientError as error:
                        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                            raise

        threads = [threading.Thread(target=increment, args=(server,)) for server in (a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = reader.get_item(TableName="claims", Key={"pk": {"S": "hot"}}, ConsistentRead=True)["Item"]["n"]
        assert final == {"N": "50"}
        assert sorted(acknowledged) == list(range(1, 51))
    finally:
        stop_all(a, b)


def stream_records(client, arn):
    streams = client.describe_stream(StreamArn=arn)["StreamDescription"]
    records = []
    for shard in streams["Shards"]:
        iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator)
            records.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def test_stream_records_keep_per_item_order_across_nodes(workdir):
    a, b = nodes(workdir)
    try:
        ca = a.client()
        ca.create_table(TableName="ordered", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST",
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
        ca.get_waiter("table_exists").wait(TableName="ordered")
        errors = []

        def writes(server, offset):
            client = server.client()
            try:
                # Both nodes write every item, each write acknowledged before the next.
                for n in range(30):
                    client.put_item(TableName="ordered", Item={"pk": {"S": f"item{n % 3}"},
                                                               "v": {"N": str(2 * n + offset)}})
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=writes, args=args) for args in ((a, 0), (b, 1))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        arn = b.client().describe_table(TableName="ordered")["Table"]["LatestStreamArn"]
        records = stream_records(b.streams(), arn)
        assert len(records) == 60
        sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
        # Per item, the records are in commit order: the last is the item as stored.
        for key in ("item0", "item1", "item2"):
            mine = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == key]
            stored = ca.get_item(TableName="ordered", Key={"pk": {"S": key}}, ConsistentRead=True)["Item"]
            assert mine[-1]["dynamodb"]["NewImage"] == stored
            # Each node's own writes of the item appear in the order it made them.
            for parity in (0, 1):
                values = [int(r["dynamodb"]["NewImage"]["v"]["N"]) for r in mine]
                own = [v for v in values if v % 2 == parity]
                assert own == sorted(own)
    finally:
        stop_all(a, b)


def test_a_killed_node_loses_no_acknowledged_write_and_the_other_takes_its_leases(workdir):
    a, b = nodes(workdir)
    try:
        create_table(a.client(), "survive")
        acknowledged = {"a": [], "b": []}
        stop = threading.Event()

        def write(name, server):
            client = server.client(retries=SINGLE_ATTEMPT)
            n = 0
            while not stop.is_set():
                try:
                    client.put_item(TableName="survive", Item={"pk": {"S": f"{name}{n}"}, "v": {"N": str(n)}})
                    acknowledged[name].append(n)
                except Exception:  # the node is gone: what it acknowledged is what counts
                    if server.process.poll() is not None:
                        return
                n += 1

        threads = [threading.Thread(target=write, args=args) for args in (("a", a), ("b", b))]
        for thread in threads:
            thread.start()
        while len(acknowledged["a"]) < 50 or len(acknowledged["b"]) < 50:
            time.sleep(0.05)
        a.kill()
        time.sleep(0.5)  # B goes on writing alone
        stop.set()
        for thread in threads:
            thread.join()

        survivor = b.client()
        for name, written in acknowledged.items():
            for n in written:
                item = survivor.get_item(TableName="survive", Key={"pk": {"S": f"{name}{n}"}}, ConsistentRead=True)
                assert item["Item"]["v"] == {"N": str(n)}, (name, n)
        # A's leases expire (2 s) and B, looking every second, takes them all.
        survivor_id = node_id(b)
        deadline = time.monotonic() + 60
        while True:
            holders = dict(row.split("|") for row in schema_rows(b, "SELECT name, holder FROM halyard_lease"))
            if all(holders.get(task) == survivor_id for task in TASKS):
                break
            assert time.monotonic() < deadline, holders
            time.sleep(0.2)
        assert b.health()[0] == 200
        # And the survivor's expirer, now holding its lease, deletes an expired item.
        survivor.update_time_to_live(TableName="survive",
                                     TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        expired = str(int(time.time()) - 10)
        survivor.put_item(TableName="survive", Item={"pk": {"S": "expired"}, "expires": {"N": expired}})
        while "Item" in survivor.get_item(TableName="survive", Key={"pk": {"S": "expired"}}, ConsistentRead=True):
            assert time.monotonic() < deadline + 60, "the expired item was never deleted"
            time.sleep(0.2)
    finally:
        stop_all(a, b)
