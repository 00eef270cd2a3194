"""Time to Live (issue 12): UpdateTimeToLive and DescribeTimeToLive with
DynamoDB's states and errors, the background expirer (index entries and
counters maintained as for a client delete), DynamoDB's rules for which
values expire, persistence across restarts, pynamodb's TTLAttribute and the
AWS CLI.

The expirer's tests start servers of their own with a short
`--ttl-interval`; they poll with a generous deadline and assert nothing
about timing. Checked against DynamoDB Local where it has the behaviour
(not the cool-down, nor expiry, which it does not do): see ORACLE_NOTES.md."""

import json
import os
import subprocess
import time
import uuid

import pytest
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from conftest import BINARY, ON_POSTGRES, Server, create_table
from helpers import expect_error, hkey
from test_cli import aws

VE = "ValidationException"
EXTERNAL = bool(os.environ.get("HALYARD_TEST_ENDPOINT"))
# Generous: the expirer runs every 0.2 s on the servers below.
DEADLINE = 60


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


@pytest.fixture(scope="module")
def quick(workdir):
    """A server whose expirer looks every 0.2 s and whose TTL cool-down is
    1 ms, so that a test may enable and disable TTL in turn."""
    external = os.environ.get("HALYARD_TEST_ENDPOINT")
    if external:
        from conftest import ExternalServer
        instance = ExternalServer(external)
    else:
        instance = Server(workdir / f"ttl-quick-{uuid.uuid4().hex[:8]}", "--ttl-interval", "0.2",
                          "--ttl-cooldown", "0.001").start()
    yield instance
    instance.stop()


def ttl_spec(attribute, enabled=True):
    return {"AttributeName": attribute, "Enabled": enabled}


def wait_until(condition, what):
    deadline = time.time() + DEADLINE
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {DEADLINE} s: {what}")


def describe_ttl(client, table):
    return client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]


def test_enable_describe_disable_and_their_errors(quick, table_name):
    client = quick.client()
    create_table(client, table_name)
    assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "DISABLED"}
    expect_error(client.update_time_to_live, VE, "TimeToLive is already disabled",
                 TableName=table_name, TimeToLiveSpecification=ttl_spec("expires", False))

    answer = client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("expires"))
    assert answer["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}

    expect_error(client.update_time_to_live, VE, "TimeToLive is already enabled",
                 TableName=table_name, TimeToLiveSpecification=ttl_spec("expires"))
    for enabled in (True, False):
        expect_error(client.update_time_to_live, VE, "TimeToLive is active on a different AttributeName",
                     TableName=table_name, TimeToLiveSpecification=ttl_spec("other", enabled))

    answer = client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("expires", False))
    assert answer["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": False}
    assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "DISABLED"}

    # Enabled again, on another attribute; a key attribute is allowed too.
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("pk"))
    assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "pk"}


def test_request_validation(quick, table_name):
    client = quick.client()
    lax = quick.client(parameter_validation=False)
    create_table(client, table_name)
    missing = "Cannot do operations on a non-existent table"
    expect_error(client.describe_time_to_live, "ResourceNotFoundException", missing, TableName=table_name + "-x")
    expect_error(client.update_time_to_live, "ResourceNotFoundException", missing,
                 TableName=table_name + "-x", TimeToLiveSpecification=ttl_spec("e"))
    # The table is looked up before the specification is read.
    expect_error(lax.update_time_to_live, "ResourceNotFoundException", missing,
                 TableName=table_name + "-x", TimeToLiveSpecification={"Enabled": True})
    bad_name = ("Invalid table/index name.  Table/index names must be between 3 and 255 characters long, "
                "and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'")
    expect_error(lax.describe_time_to_live, VE, bad_name, TableName="ab")
    expect_error(lax.update_time_to_live, VE, bad_name, TableName="a*b", TimeToLiveSpecification=ttl_spec("e"))
    status, _, body = quick.raw("DescribeTimeToLive", {})
    assert status == 400 and body["message" if "message" in body else "Message"] == bad_name

    expect_error(lax.update_time_to_live, VE, "TimeToLiveSpecification cannot be null", TableName=table_name)
    for specification in ({"Enabled": True}, {"AttributeName": "e"}, {"Enabled": False}, {}):
        expect_error(lax.update_time_to_live, VE, "AttributeName cannot be null when time to live is being enabled",
                     TableName=table_name, TimeToLiveSpecification=specification)
    length = "Names of key attributes and attributes projected into an index must be between 1 and 255 characters, inclusive"
    for attribute in ("", "x" * 256):
        expect_error(lax.update_time_to_live, VE, length, TableName=table_name,
                     TimeToLiveSpecification=ttl_spec(attribute))
    assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "DISABLED"}
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("x" * 255))
    assert describe_ttl(client, table_name)["AttributeName"] == "x" * 255


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local enforces no cool-down (ORACLE_NOTES.md)")
def test_a_second_change_within_the_cooldown_is_refused(client, table_name):
    """The shared server keeps DynamoDB's one-hour cool-down."""
    create_table(client, table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("expires"))
    expect_error(client.update_time_to_live, VE,
                 "Time to live has been modified multiple times within a fixed interval",
                 TableName=table_name, TimeToLiveSpecification=ttl_spec("expires", False))
    # What the request asks is checked first.
    expect_error(client.update_time_to_live, VE, "TimeToLive is already enabled",
                 TableName=table_name, TimeToLiveSpecification=ttl_spec("expires"))
    assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def indexed_table(client, name):
    """pk/sk table with a GSI on g and an LSI on l (both ALL)."""
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "l")],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                   {"AttributeName": "l", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
    )


def ttl_items(now):
    """Items by sort key, and whether each is to expire."""
    five_years = 5 * 365 * 24 * 3600
    values = {
        "past": (N(now - 30), True),
        "fraction": (N(f"{now - 30}.75"), True),
        "four-years-ago": (N(now - five_years + 30 * 24 * 3600), True),
        "future": (N(now + 3600), False),
        "six-years-ago": (N(now - five_years - 365 * 24 * 3600), False),
        "negative": (N(-5), False),
        "string": (S(str(now - 30)), False),
        "number-set": ({"NS": [str(now - 30)]}, False),
        "list": ({"L": [N(now - 30)]}, False),
        "missing": (None, False),
    }
    items = {}
    for sk, (value, expires) in values.items():
        item = {"pk": S("p"), "sk": S(sk), "g": S("g-" + sk), "l": S("l-" + sk)}
        if value is not None:
            item["exp"] = value
        items[sk] = (item, expires)
    return items


def gsi_keys(client, table):
    items = client.scan(TableName=table, IndexName="by-g", ConsistentRead=False)["Items"]
    return {item["sk"]["S"] for item in items}


def lsi_keys(client, table):
    items = client.query(TableName=table, IndexName="by-l", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": S("p")})["Items"]
    return {item["sk"]["S"] for item in items}


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_expired_items_are_deleted_with_their_index_entries(quick, table_name):
    client = quick.client()
    indexed_table(client, table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp"))
    items = ttl_items(int(time.time()))
    for item, _ in items.values():
        client.put_item(TableName=table_name, Item=item)
    kept = {sk for sk, (_, expires) in items.items() if not expires}

    def table_keys():
        return {item["sk"]["S"] for item in client.scan(TableName=table_name, ConsistentRead=True)["Items"]}

    wait_until(lambda: table_keys() == kept, "the expired items deleted")
    assert gsi_keys(client, table_name) == kept
    assert lsi_keys(client, table_name) == kept
    table = client.describe_table(TableName=table_name)["Table"]
    assert table["ItemCount"] == len(kept)
    sizes = {index["IndexName"]: index["ItemCount"]
             for index in table["GlobalSecondaryIndexes"] + table["LocalSecondaryIndexes"]}
    assert sizes == {"by-g": len(kept), "by-l": len(kept)}

    # An item whose TTL is moved into the past by an update expires too;
    # one whose TTL is removed does not.
    client.update_item(TableName=table_name, Key={"pk": S("p"), "sk": S("future")},
                       UpdateExpression="SET exp = :t", ExpressionAttributeValues={":t": N(int(time.time()) - 1)})
    kept.discard("future")
    wait_until(lambda: table_keys() == kept, "the updated item deleted")
    assert client.describe_table(TableName=table_name)["Table"]["ItemCount"] == len(kept)


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_expired_items_not_yet_deleted_are_still_read(fresh_server, table_name):
    """With an expirer that has not run yet, an expired item is returned by
    every read, as in DynamoDB."""
    server = Server(fresh_server.data_dir, "--ttl-interval", "3600").start()
    try:
        client = server.client()
        create_table(client, table_name)
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp"))
        item = {"pk": S("a"), "exp": N(int(time.time()) - 100)}
        client.put_item(TableName=table_name, Item=item)
        assert client.get_item(TableName=table_name, Key=hkey("a"), ConsistentRead=True)["Item"] == item
        assert client.scan(TableName=table_name)["Items"] == [item]
        assert client.query(TableName=table_name, KeyConditionExpression="pk = :a",
                            ExpressionAttributeValues={":a": S("a")})["Items"] == [item]
    finally:
        server.stop()


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_enabling_on_a_populated_table_indexes_its_items(fresh_server, table_name):
    """Items written before TTL was enabled (more than one backfill chunk)
    expire too, deleted a small batch at a time."""
    server = Server(fresh_server.data_dir, "--ttl-interval", "0.2", "--ttl-batch-size", "7").start()
    try:
        client = server.client()
        create_table(client, table_name)
        now = int(time.time())
        expired = set()
        for start in range(0, 1200, 25):
            requests = []
            for i in range(start, start + 25):
                item = {"pk": S(f"item-{i:04}"), "exp": N(now - 60 if i % 3 == 0 else now + 3600)}
                if i % 3 == 0:
                    expired.add(f"item-{i:04}")
                requests.append({"PutRequest": {"Item": item}})
            client.batch_write_item(RequestItems={table_name: requests})
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp"))
        wait_until(lambda: describe_ttl(client, table_name)["TimeToLiveStatus"] == "ENABLED", "TTL ENABLED")
        wait_until(lambda: client.describe_table(TableName=table_name)["Table"]["ItemCount"] == 1200 - len(expired),
                   "the expired items deleted")
        keys = {item["pk"]["S"] for item in client.get_paginator("scan").paginate(TableName=table_name).build_full_result()["Items"]}
        assert len(keys) == 1200 - len(expired) and not keys & expired
    finally:
        server.stop()


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_ttl_and_its_index_survive_a_restart(fresh_server, table_name):
    """Expired items written while the expirer was idle are deleted after a
    restart (the setting and the expiry index are stored)."""
    idle = Server(fresh_server.data_dir, "--ttl-interval", "3600").start()
    client = idle.client()
    indexed_table(client, table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp"))
    items = ttl_items(int(time.time()))
    for item, _ in items.values():
        client.put_item(TableName=table_name, Item=item)
    idle.kill()

    quick = Server(fresh_server.data_dir, "--ttl-interval", "0.2").start()
    try:
        client = quick.client()
        assert describe_ttl(client, table_name) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
        kept = {sk for sk, (_, expires) in items.items() if not expires}
        wait_until(lambda: client.describe_table(TableName=table_name)["Table"]["ItemCount"] == len(kept),
                   "the expired items deleted after the restart")
        assert gsi_keys(client, table_name) == kept
        assert lsi_keys(client, table_name) == kept
    finally:
        quick.stop()
    if ON_POSTGRES:
        return  # `halyard check --data-dir` reads a SQLite data directory.
    # `halyard check` finds the expiry index consistent with the items.
    checked = subprocess.run([str(BINARY), "check", "--data-dir", str(fresh_server.data_dir)],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The kept items with a Number TTL: "future" and "six-years-ago".
    assert f"table {table_name}: 2 expiry index entries match their items" in checked.stdout


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_disabling_stops_expiry_and_deleting_the_table_forgets_the_setting(quick, table_name):
    client = quick.client()
    create_table(client, table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp"))
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp", False))
    client.put_item(TableName=table_name, Item={"pk": S("stays"), "exp": N(int(time.time()) - 100)})
    # A marker item in a table with TTL shows when a pass of the expirer has run.
    marker = table_name + "-m"
    create_table(client, marker)
    client.update_time_to_live(TableName=marker, TimeToLiveSpecification=ttl_spec("exp"))
    client.put_item(TableName=marker, Item={"pk": S("goes"), "exp": N(int(time.time()) - 100)})
    wait_until(lambda: "Item" not in client.get_item(TableName=marker, Key=hkey("goes")), "the marker deleted")
    assert "Item" in client.get_item(TableName=table_name, Key=hkey("stays"))

    client.delete_table(TableName=marker)
    create_table(client, marker)
    assert describe_ttl(client, marker) == {"TimeToLiveStatus": "DISABLED"}


class Session(Model):
    """A pynamodb model with a TTLAttribute."""

    class Meta:
        region = "us-east-1"
        aws_access_key_id = "AKIDHALYARDTEST"
        aws_secret_access_key = "halyard-test-secret"
        billing_mode = "PAY_PER_REQUEST"

    session_id = UnicodeAttribute(hash_key=True)
    user = UnicodeAttribute()
    hits = NumberAttribute(default=0)
    expires = TTLAttribute()


def test_pynamodb_model_with_a_ttl_attribute(quick, table_name):
    class Sessions(Session):
        class Meta(Session.Meta):
            host = quick.endpoint
            table_name = "sessions-" + uuid.uuid4().hex[:8]

    Sessions.create_table(wait=True)
    ttl = describe_ttl(quick.client(), Sessions.Meta.table_name)
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    # update_ttl again (as a deploy would) meets "already enabled", which
    # pynamodb may be told to ignore.
    Sessions.update_ttl(ignore_update_ttl_errors=True)

    from datetime import timedelta
    Sessions("s1", user="ann", expires=timedelta(hours=1)).save()
    Sessions("s2", user="bob", expires=timedelta(hours=2)).save()
    got = Sessions.get("s1")
    assert got.user == "ann" and got.expires is not None
    got.update(actions=[Sessions.hits.add(1)])
    assert Sessions.get("s1").hits == 1
    assert sorted(s.session_id for s in Sessions.scan()) == ["s1", "s2"]
    assert Sessions.count() == 2


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_pynamodb_items_expire(quick):
    class Sessions(Session):
        class Meta(Session.Meta):
            host = quick.endpoint
            table_name = "sessions-" + uuid.uuid4().hex[:8]

    from datetime import datetime, timedelta, timezone
    Sessions.create_table(wait=True)
    Sessions("old", user="ann", expires=datetime.now(timezone.utc) - timedelta(minutes=1)).save()
    Sessions("new", user="bob", expires=timedelta(hours=1)).save()
    wait_until(lambda: [s.session_id for s in Sessions.scan()] == ["new"], "the expired session deleted")


def test_aws_cli_update_and_describe_time_to_live(quick, table_name):
    client = quick.client()
    create_table(client, table_name)
    got = json.loads(aws(quick, "describe-time-to-live", "--table-name", table_name).stdout)
    assert got == {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    got = json.loads(aws(quick, "update-time-to-live", "--table-name", table_name,
                         "--time-to-live-specification", "Enabled=true,AttributeName=ttl").stdout)
    assert got == {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"}}
    got = json.loads(aws(quick, "describe-time-to-live", "--table-name", table_name).stdout)
    assert got == {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}}
    failed = aws(quick, "update-time-to-live", "--table-name", table_name,
                 "--time-to-live-specification", "Enabled=true,AttributeName=ttl", check=False)
    assert failed.returncode != 0 and "TimeToLive is already enabled" in failed.stderr


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not have DescribeContinuousBackups")
def test_describe_continuous_backups(server, client, table_name):
    create_table(client, table_name)
    got = client.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"]
    assert got == {"ContinuousBackupsStatus": "ENABLED",
                   "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    expect_error(client.describe_continuous_backups, "TableNotFoundException",
                 f"Table not found: {table_name}-x", TableName=table_name + "-x")
    got = json.loads(aws(server, "describe-continuous-backups", "--table-name", table_name).stdout)
    assert got["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}


@pytest.mark.skipif(EXTERNAL, reason="DynamoDB Local does not expire items")
def test_a_ttl_delete_is_a_remove_record_by_the_service(quick, table_name):
    """The stream record of a TTL delete names the service as its author;
    a client's delete has no userIdentity."""
    from test_streams import read_stream, stream_table

    client = quick.client()
    arn = stream_table(client, table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl_spec("exp"))
    expired = {"pk": S("old"), "exp": N(int(time.time()) - 60)}
    client.put_item(TableName=table_name, Item=expired)
    client.put_item(TableName=table_name, Item={"pk": S("mine")})
    client.delete_item(TableName=table_name, Key=hkey("mine"))
    wait_until(lambda: "Item" not in client.get_item(TableName=table_name, Key=hkey("old")), "the expired item deleted")

    records = read_stream(quick.streams(), arn)
    removes = {r["dynamodb"]["Keys"]["pk"]["S"]: r for r in records if r["eventName"] == "REMOVE"}
    assert set(removes) == {"old", "mine"}
    assert removes["old"]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert removes["old"]["dynamodb"]["OldImage"] == expired
    assert "userIdentity" not in removes["mine"]
