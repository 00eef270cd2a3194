"""The classic bank test (issue 6): concurrent TransactWriteItems transfers
between accounts, with conditions, alongside plain single-item UpdateItem
writes on the same items and TransactGetItems snapshots. Afterwards the total
is conserved, no balance is negative, every balance equals what the
successful transfers imply, and every touch counter equals the number of
successful touches.

Checked against DynamoDB Local."""

import random
import threading
import time

import botocore.exceptions

from bank import account, is_conflict, transfer_items
from conftest import create_table

ACCOUNTS = 20
START = 1000
TRANSFER_THREADS = 8
TRANSFERS_PER_THREAD = 100
TOUCH_THREADS = 2
DEADLINE_SECONDS = 60  # a guard: the test normally takes a few seconds


def test_bank_transfers_conserve_money(server, client, table_name):
    create_table(client, table_name)
    for i in range(ACCOUNTS):
        client.put_item(TableName=table_name, Item={**account(i), "balance": {"N": str(START)}, "touches": {"N": "0"}})

    deadline = time.monotonic() + DEADLINE_SECONDS
    errors = []
    stop_readers = threading.Event()
    # Per-thread ledgers, merged at the end.
    applied = [[] for _ in range(TRANSFER_THREADS)]          # (source, target, amount) of committed transfers
    insufficient = [0] * TRANSFER_THREADS
    conflicts = [0] * TRANSFER_THREADS
    touched = [[0] * ACCOUNTS for _ in range(TOUCH_THREADS)]
    snapshots = []

    # Clients are made here: creating boto3 clients is not thread-safe.
    transfer_clients = [server.client() for _ in range(TRANSFER_THREADS)]
    touch_clients = [server.client() for _ in range(TOUCH_THREADS)]
    reader_client = server.client()

    def transfers(n):
        rng = random.Random(1000 + n)
        c = transfer_clients[n]
        try:
            for _ in range(TRANSFERS_PER_THREAD):
                source, target = rng.sample(range(ACCOUNTS), 2)
                amount = rng.randint(1, 400)
                while True:
                    if time.monotonic() > deadline:
                        raise TimeoutError("transfers did not finish in time")
                    try:
                        c.transact_write_items(TransactItems=transfer_items(table_name, source, target, amount))
                        applied[n].append((source, target, amount))
                        break
                    except botocore.exceptions.ClientError as error:
                        if is_conflict(error):
                            conflicts[n] += 1
                            time.sleep(rng.uniform(0, 0.01))
                            continue
                        if error.response["Error"]["Code"] == "TransactionCanceledException":
                            reasons = [r["Code"] for r in error.response["CancellationReasons"]]
                            assert reasons == ["ConditionalCheckFailed", "None"], error.response
                            insufficient[n] += 1
                            break
                        raise
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    def touches(n):
        rng = random.Random(2000 + n)
        c = touch_clients[n]
        try:
            while not stop_touching.is_set() or sum(touched[n]) < 50:
                if time.monotonic() > deadline:
                    raise TimeoutError("touches did not finish in time")
                i = rng.randrange(ACCOUNTS)
                try:
                    c.update_item(TableName=table_name, Key=account(i), UpdateExpression="ADD touches :one",
                                  ExpressionAttributeValues={":one": {"N": "1"}})
                    touched[n][i] += 1
                except botocore.exceptions.ClientError as error:
                    # A single-item write that meets a transaction in progress is rejected, not applied.
                    if not is_conflict(error):
                        raise
                    time.sleep(rng.uniform(0, 0.005))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    def reader():
        """TransactGetItems of every account is a consistent snapshot: it always sums to the total."""
        rng = random.Random(3000)
        try:
            while not stop_readers.is_set():
                if time.monotonic() > deadline:
                    raise TimeoutError("reader did not finish in time")
                try:
                    response = reader_client.transact_get_items(TransactItems=[
                        {"Get": {"TableName": table_name, "Key": account(i), "ProjectionExpression": "balance"}}
                        for i in range(ACCOUNTS)])
                except botocore.exceptions.ClientError as error:
                    if not is_conflict(error):
                        raise
                    time.sleep(rng.uniform(0, 0.01))
                    continue
                balances = [int(r["Item"]["balance"]["N"]) for r in response["Responses"]]
                snapshots.append(balances)
                time.sleep(0.01)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    stop_touching = threading.Event()
    transfer_threads = [threading.Thread(target=transfers, args=(n,)) for n in range(TRANSFER_THREADS)]
    touch_threads = [threading.Thread(target=touches, args=(n,)) for n in range(TOUCH_THREADS)]
    reader_thread = threading.Thread(target=reader)
    for thread in transfer_threads + touch_threads + [reader_thread]:
        thread.start()
    for thread in transfer_threads:
        thread.join(DEADLINE_SECONDS + 5)
    stop_touching.set()
    for thread in touch_threads:
        thread.join(DEADLINE_SECONDS + 5)
    stop_readers.set()
    reader_thread.join(DEADLINE_SECONDS + 5)
    assert not any(t.is_alive() for t in transfer_threads + touch_threads + [reader_thread]), "a worker hung"
    assert not errors, errors

    print(f"committed={sum(map(len, applied))} insufficient={sum(insufficient)} conflicts={sum(conflicts)} "
          f"touches={sum(map(sum, touched))} snapshots={len(snapshots)}")
    # Every transfer was either committed or cancelled for lack of funds.
    committed = [t for ledger in applied for t in ledger]
    assert len(committed) + sum(insufficient) == TRANSFER_THREADS * TRANSFERS_PER_THREAD
    assert len(committed) > TRANSFER_THREADS * TRANSFERS_PER_THREAD // 2

    expected = [START] * ACCOUNTS
    for source, target, amount in committed:
        expected[source] -= amount
        expected[target] += amount

    items = {}
    start = None
    while True:
        page = client.scan(TableName=table_name, ConsistentRead=True, **({"ExclusiveStartKey": start} if start else {}))
        for item in page["Items"]:
            items[item["pk"]["S"]] = item
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert len(items) == ACCOUNTS
    balances = [int(items[account(i)["pk"]["S"]]["balance"]["N"]) for i in range(ACCOUNTS)]
    assert sum(balances) == ACCOUNTS * START
    assert min(balances) >= 0
    assert balances == expected

    touches_expected = [sum(t[i] for t in touched) for i in range(ACCOUNTS)]
    assert [int(items[account(i)["pk"]["S"]]["touches"]["N"]) for i in range(ACCOUNTS)] == touches_expected
    assert sum(touches_expected) >= TOUCH_THREADS * 50

    # Snapshots taken while transfers ran never saw a half-applied transfer.
    assert snapshots, "the reader never got a snapshot"
    for snapshot in snapshots:
        assert sum(snapshot) == ACCOUNTS * START, snapshot
        assert min(snapshot) >= 0, snapshot
