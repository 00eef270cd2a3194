"""/metrics after a known workload: parsed with the Prometheus text-format
parser (prometheus_client), the counts must match the workload exactly —
requests per table and operation, errors by type, consumed capacity (as
ReturnConsumedCapacity reported it), returned items, item counts — and the
scrape needs the bearer token, on the main and on the metrics listener."""

import os
import stat
import time
import urllib.error
import urllib.request
from collections import defaultdict

import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from harness import SINGLE_ATTEMPT, Server, create_table, free_port

TOKEN = "metrics-test-token-0123456789abcdef"
ORDERS = "mtr-orders"
SLOW = "mtr-slow"


def scrape(url, token=TOKEN):
    """(status, body) of GET url, with the bearer token if given."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(text):
    """Every sample, by (name, frozenset of labels), via the official parser."""
    found = {}
    types = {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, f"duplicate sample {key}"
            found[key] = sample.value
    return found, types


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_server(workdir):
    metrics_port = free_port()
    env = {**os.environ, "HALYARD_METRICS_TOKEN": TOKEN}
    instance = Server(
        workdir / f"metrics-{metrics_port}",
        "--metrics-listen",
        f"127.0.0.1:{metrics_port}",
        env=env,
    ).start()
    instance.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    yield instance
    instance.stop()


class Capacity:
    """Consumed capacity as the responses reported it (INDEXES)."""

    def __init__(self):
        self.units = defaultdict(float)

    def add(self, kind, consumed):
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            table = entry["TableName"]
            self.units[(kind, table, None)] += entry["Table"]["CapacityUnits"]
            for index, spent in entry.get("GlobalSecondaryIndexes", {}).items():
                self.units[(kind, table, index)] += spent["CapacityUnits"]


def run_workload(client):
    """The workload; returns what the metrics must show."""
    capacity = Capacity()
    returned = defaultdict(int)
    client.create_table(
        TableName=ORDERS,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byStatus",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    create_table(
        client,
        SLOW,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    rc = {"ReturnConsumedCapacity": "INDEXES"}
    for n in range(5):
        item = {"pk": {"S": "customer"}, "sk": {"N": str(n)}, "status": {"S": "open" if n % 2 else "shipped"}}
        capacity.add("write", client.put_item(TableName=ORDERS, Item=item, **rc)["ConsumedCapacity"])
    key = {"pk": {"S": "customer"}, "sk": {"N": "1"}}
    capacity.add("read", client.get_item(TableName=ORDERS, Key=key, **rc)["ConsumedCapacity"])
    capacity.add("read", client.get_item(TableName=ORDERS, Key=key, ConsistentRead=True, **rc)["ConsumedCapacity"])
    missing = {"pk": {"S": "nobody"}, "sk": {"N": "1"}}
    capacity.add("read", client.get_item(TableName=ORDERS, Key=missing, **rc)["ConsumedCapacity"])
    page = client.query(
        TableName=ORDERS,
        KeyConditionExpression="pk = :p AND sk >= :s",
        ExpressionAttributeValues={":p": {"S": "customer"}, ":s": {"N": "2"}},
        **rc,
    )
    capacity.add("read", page["ConsumedCapacity"])
    returned["Query"] += len(page["Items"])
    page = client.query(
        TableName=ORDERS,
        IndexName="byStatus",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "open"}},
        **rc,
    )
    capacity.add("read", page["ConsumedCapacity"])
    returned["Query"] += len(page["Items"])
    page = client.scan(TableName=ORDERS, **rc)
    capacity.add("read", page["ConsumedCapacity"])
    returned["Scan"] += len(page["Items"])
    capacity.add(
        "write",
        client.update_item(
            TableName=ORDERS,
            Key=key,
            UpdateExpression="SET note = :n",
            ExpressionAttributeValues={":n": {"S": "fragile"}},
            **rc,
        )["ConsumedCapacity"],
    )
    capacity.add(
        "write",
        client.delete_item(TableName=ORDERS, Key={"pk": {"S": "customer"}, "sk": {"N": "4"}}, **rc)["ConsumedCapacity"],
    )
    batch = client.batch_write_item(
        RequestItems={
            ORDERS: [
                {"PutRequest": {"Item": {"pk": {"S": "batch"}, "sk": {"N": str(n)}}}} for n in range(2)
            ]
        },
        **rc,
    )
    capacity.add("write", batch["ConsumedCapacity"])
    batch = client.batch_get_item(RequestItems={ORDERS: {"Keys": [key, missing]}}, **rc)
    capacity.add("read", batch["ConsumedCapacity"])
    transaction = client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": ORDERS, "Item": {"pk": {"S": "tx"}, "sk": {"N": str(n)}}}} for n in range(2)
        ],
        ReturnConsumedCapacity="INDEXES",
    )
    capacity.add("write", transaction["ConsumedCapacity"])
    client.describe_table(TableName=ORDERS)
    client.list_tables()

    # A conditional check failure, two validation errors (one on a table
    # that exists, one naming none), a table that does not exist.
    with pytest.raises(ClientError) as failure:
        client.put_item(
            TableName=ORDERS,
            Item={"pk": {"S": "customer"}, "sk": {"N": "0"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert failure.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as failure:
        client.get_item(TableName=ORDERS, Key={"pk": {"S": "customer"}})
    assert failure.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as failure:
        client.query(TableName=ORDERS, KeyConditionExpression="pk = :p")
    assert failure.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as failure:
        client.get_item(TableName="mtr-no-such-table", Key=missing)
    assert failure.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # Throttling: a 1 WCU table holds 300 units of burst; a 350 KB item
    # runs on a full bucket and leaves it in debt, so the next write is
    # refused.
    big = {"pk": {"S": "big"}, "blob": {"S": "x" * (350 * 1024)}}
    capacity.add("write", client.put_item(TableName=SLOW, Item=big, **rc)["ConsumedCapacity"])
    with pytest.raises(ClientError) as failure:
        client.put_item(TableName=SLOW, Item={"pk": {"S": "small"}})
    assert failure.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    return capacity, returned


def test_metrics_match_a_known_workload(metrics_server):
    client = metrics_server.client(retries=SINGLE_ATTEMPT)
    capacity, returned = run_workload(client)
    # A request whose signature does not verify is refused before any table.
    status, _, body = metrics_server.raw("ListTables", {}, headers={"Authorization": "AWS4-HMAC-SHA256 garbage"})
    assert status == 400

    described = client.describe_table(TableName=ORDERS)["Table"]

    status, text = scrape(metrics_server.endpoint + "/metrics")
    assert status == 200
    found, types = samples(text)
    assert types["halyard_requests"] == "counter"
    assert types["halyard_successful_request_latency_seconds"] == "histogram"

    requests = {
        "CreateTable": 1,
        "PutItem": 6,
        "GetItem": 4,
        "Query": 3,
        "Scan": 1,
        "UpdateItem": 1,
        "DeleteItem": 1,
        "BatchWriteItem": 1,
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
        "DescribeTable": 2,
    }
    for operation, count in requests.items():
        labels = {"table": ORDERS, "operation": operation}
        assert value(found, "halyard_requests_total", **labels) == count, operation
    successes = dict(requests, PutItem=5, GetItem=3, Query=2)
    for operation, count in successes.items():
        labels = {"table": ORDERS, "operation": operation}
        assert value(found, "halyard_successful_request_latency_seconds_count", **labels) == count, operation
        assert value(found, "halyard_successful_request_latency_seconds_bucket", le="+Inf", **labels) == count
    assert value(found, "halyard_conditional_check_failed_requests_total", table=ORDERS, operation="PutItem") == 1
    assert value(found, "halyard_user_errors_total", table=ORDERS, operation="PutItem") == 0
    assert value(found, "halyard_user_errors_total", table=ORDERS, operation="GetItem") == 1
    assert value(found, "halyard_user_errors_total", table=ORDERS, operation="Query") == 1
    # Requests naming no existing table count without a table label.
    assert value(found, "halyard_requests_total", operation="GetItem") == 1
    assert value(found, "halyard_user_errors_total", operation="GetItem") == 1
    assert value(found, "halyard_requests_total", operation="ListTables") == 2
    assert value(found, "halyard_user_errors_total", operation="ListTables") == 1
    assert not any(dict(labels).get("table") == "mtr-no-such-table" for _, labels in found)
    assert sum(v for (name, _), v in found.items() if name == "halyard_system_errors_total") == 0

    assert value(found, "halyard_returned_items_total", table=ORDERS, operation="Query") == returned["Query"]
    assert value(found, "halyard_returned_items_total", table=ORDERS, operation="Scan") == returned["Scan"]

    assert value(found, "halyard_requests_total", table=SLOW, operation="PutItem") == 2
    assert value(found, "halyard_throttled_requests_total", table=SLOW, operation="PutItem") == 1
    assert value(found, "halyard_write_throttle_events_total", table=SLOW) == 1
    assert value(found, "halyard_read_throttle_events_total", table=SLOW) == 0

    assert capacity.units, "the workload reported consumed capacity"
    for (kind, table, index), units in capacity.units.items():
        name = f"halyard_consumed_{kind}_capacity_units_total"
        labels = {"table": table} if index is None else {"table": table, "index": index}
        assert value(found, name, **labels) == pytest.approx(units), (kind, table, index)
    assert capacity.units[("write", ORDERS, "byStatus")] > 0
    assert capacity.units[("read", ORDERS, "byStatus")] > 0

    # 5 puts - 1 delete + 2 batch puts + 2 transaction puts.
    assert described["ItemCount"] == 8
    assert value(found, "halyard_table_items", table=ORDERS) == 8
    assert value(found, "halyard_table_size_bytes", table=ORDERS) == described["TableSizeBytes"]
    assert value(found, "halyard_index_items", table=ORDERS, index="byStatus") == 4
    assert value(found, "halyard_table_items", table=SLOW) == 1

    assert value(found, "halyard_writer_batch_size_count") >= 13
    assert value(found, "halyard_writer_commit_duration_seconds_count") >= 1
    assert value(found, "halyard_writer_queue_depth") == 0
    assert value(found, "halyard_read_snapshot_wait_seconds_count") >= 1
    assert value(found, "halyard_open_connections") >= 1
    assert value(found, "process_resident_memory_bytes") > 0
    assert value(found, "process_open_fds") > 0
    assert value(found, "halyard_build_info", version="0.1.0") == 1

    # The metrics listener serves the same series.
    status, separate = scrape(metrics_server.metrics_url)
    assert status == 200
    separate_found, _ = samples(separate)
    for operation, count in requests.items():
        labels = {"table": ORDERS, "operation": operation}
        assert value(separate_found, "halyard_requests_total", **labels) == count


def test_a_scrape_needs_the_token_on_both_listeners(metrics_server):
    for url in [metrics_server.endpoint + "/metrics", metrics_server.metrics_url]:
        status, _ = scrape(url, token=None)
        assert status == 401
        status, _ = scrape(url, token="wrong-token")
        assert status == 401
        status, _ = scrape(url, token=TOKEN[:-1])
        assert status == 401
        status, text = scrape(url)
        assert status == 200
        assert "halyard_build_info" in text
    # The metrics listener serves nothing else.
    status, _ = scrape(metrics_server.metrics_url.replace("/metrics", "/"))
    assert status == 404


def test_a_generated_token_is_kept_in_a_private_file(fresh_server):
    env = {key: value for key, value in os.environ.items() if key != "HALYARD_METRICS_TOKEN"}
    fresh_server.env = env
    fresh_server.start()
    token_file = fresh_server.data_dir / "metrics-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 32
    assert scrape(fresh_server.endpoint + "/metrics", token=None)[0] == 401
    assert scrape(fresh_server.endpoint + "/metrics", token=token)[0] == 200
    # The same token after a restart.
    fresh_server.stop()
    fresh_server.start()
    assert token_file.read_text().strip() == token
    assert scrape(fresh_server.endpoint + "/metrics", token=token)[0] == 200


def test_metrics_auth_off_and_metrics_off(workdir):
    open_server = Server(workdir / "metrics-open", "--metrics-auth", "off").start()
    try:
        status, text = scrape(open_server.endpoint + "/metrics", token=None)
        assert status == 200
        assert "halyard_build_info" in text
    finally:
        open_server.stop()
    off_server = Server(workdir / "metrics-off", "--metrics", "off").start()
    try:
        status, _ = scrape(off_server.endpoint + "/metrics")
        assert status != 200
        # Nothing is recorded, and the server still serves.
        off_server.client().list_tables()
    finally:
        off_server.stop()


def test_ttl_and_stream_backlogs(workdir):
    # The expirer waits an hour between passes, so expired items stay.
    env = {**os.environ, "HALYARD_METRICS_TOKEN": TOKEN}
    instance = Server(workdir / "metrics-backlogs", "--ttl-interval", "3600", env=env).start()
    try:
        client = instance.client()
        table = "mtr-backlogs"
        create_table(client, table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
        )
        # Expired a minute ago (DynamoDB ignores values over five years old).
        expired = str(int(time.time()) - 60)
        for n in range(3):
            client.put_item(TableName=table, Item={"pk": {"S": f"old{n}"}, "expires": {"N": expired}})
        client.put_item(TableName=table, Item={"pk": {"S": "future"}, "expires": {"N": "99999999999"}})
        found, _ = samples(scrape(instance.endpoint + "/metrics")[1])
        assert value(found, "halyard_ttl_backlog_items", table=table) == 3
        assert value(found, "halyard_table_items", table=table) == 4
        age = found[("halyard_stream_oldest_record_age_seconds", frozenset({("table", table)}))]
        assert 0 <= age < 3600
    finally:
        instance.stop()
