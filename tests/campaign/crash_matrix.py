#!/usr/bin/env python3
"""Crash matrix: kill -9 Halyard at random moments under different workloads
and check, after each restart, that nothing acknowledged was lost and nothing
was half applied.

Each trial starts the real binary on a fresh data directory, runs one
workload with several client threads, kills the server with SIGKILL after a
random delay, restarts it on the same directory and verifies:

- every item is in the state of its last acknowledged write, or in the state
  of the one write that was in flight for it when the server died; a state
  the clients never sent is a half-applied write, an older one a lost write;
- an atomic write in flight at the kill (a transaction) is all or nothing;
- every index equals a rebuild from its table (expected entries computed
  from the items by index key and projection, compared with a Scan of the
  index), and DescribeTable's ItemCount, for the table and for each index,
  is exact;
- `halyard check --data-dir DIR` passes, when the binary has that command.

A workload is a class with `setup`, `start_clients`, `wait_before_kill`,
`recover` and `verify`; `KeyedWorkload` does the bookkeeping for workloads
whose clients own their keys, so most workloads only say what one write is
(`next_write`). The `ttl` and `trim` workloads also check the tables'
streams (`stream_history`): exactly one record per applied write, in
order, or with trimming a gapless suffix of each item's history.

The `backup`, `restore` and `rekey` workloads are in `crash_backups.py`.

    tests/campaign/crash_matrix.py --trials 100 --seed 1

The same seed gives the same schedule (workload, durability mode, kill delay,
operations per client); the threads' interleaving is the machine's.
"""

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import botocore.exceptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from bank import account, is_conflict, transfer_items  # noqa: E402
from harness import BINARY, SINGLE_ATTEMPT, Server, create_table, scan_all  # noqa: E402
from stream_history import SERVICE_IDENTITY, verify_stream  # noqa: E402

# Every answer is the first attempt's: a retry could apply a write twice.
CLIENT_CONFIG = {"retries": SINGLE_ATTEMPT, "connect_timeout": 2, "read_timeout": 15}


def canonical(item):
    return None if item is None else json.dumps(item, sort_keys=True)


# --- Tables and items -------------------------------------------------------

GROUP_INDEX = {  # a GSI with a range key and an INCLUDE projection
    "IndexName": "by_group",
    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "ver", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["payload"]},
}
TAG_INDEX = {  # a hash-only GSI projecting everything
    "IndexName": "by_tag",
    "KeySchema": [{"AttributeName": "tag", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
}
LEVEL_INDEX = {  # an LSI projecting keys only
    "IndexName": "by_level",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}
ITEM_ATTRIBUTES = [("g", "S"), ("ver", "N"), ("tag", "S"), ("l", "N")]


def create_item_table(client, name, global_indexes=(GROUP_INDEX, TAG_INDEX), local_indexes=(LEVEL_INDEX,),
                      **extra):
    """A table keyed by pk (S) and sk (N) with the given indexes over the
    attributes `make_item` writes (and any other CreateTable arguments)."""
    if global_indexes:
        extra["GlobalSecondaryIndexes"] = list(global_indexes)
    if local_indexes:
        extra["LocalSecondaryIndexes"] = list(local_indexes)
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"},
                              *index_attribute_definitions([*global_indexes, *local_indexes])],
        **extra)


def index_attribute_definitions(indexes):
    """The definitions of the indexes' key attributes other than pk."""
    used = {k["AttributeName"] for index in indexes for k in index["KeySchema"]}
    return [{"AttributeName": n, "AttributeType": t} for n, t in ITEM_ATTRIBUTES if n in used]


def make_item(pk, sk, version, tag):
    """The whole item a write stores: a function of its key, version and the
    writing operation's tag, so that any mix of two writes is recognisable.
    Some versions leave out an index's key attribute (sparse indexes)."""
    item = {"pk": {"S": pk}, "sk": {"N": str(sk)}, "ver": {"N": str(version)}, "tag": {"S": tag},
            "payload": {"S": f"{tag}/{version}/" + "x" * (version * 37 % 300)}}
    if version % 3:
        item["g"] = {"S": f"g{version % 7}"}
    if version % 4 != 1:
        item["l"] = {"N": str(version % 11)}
    return item


OPTIONAL_ATTRIBUTES = ("g", "l")


def key_of(item):
    return {"pk": item["pk"], "sk": item["sk"]}


def update_to(item):
    """UpdateItem arguments that turn whatever is stored into `item`."""
    names, values, sets = {}, {}, []
    for i, (name, value) in enumerate(sorted(item.items())):
        if name in ("pk", "sk"):
            continue
        names[f"#a{i}"], values[f":v{i}"] = name, value
        sets.append(f"#a{i} = :v{i}")
    expression = "SET " + ", ".join(sets)
    removed = [name for name in OPTIONAL_ATTRIBUTES if name not in item]
    if removed:
        expression += " REMOVE " + ", ".join(removed)
    return {"Key": key_of(item), "UpdateExpression": expression,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def condition_on(current):
    """A condition that holds exactly when the item is as last acknowledged:
    a failed check means the server forgot an acknowledged write."""
    if current is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {"ConditionExpression": "ver = :prev", "ExpressionAttributeValues": {":prev": current["ver"]}}


def with_condition(request, current):
    condition = condition_on(current)
    values = {**request.get("ExpressionAttributeValues", {}), **condition.pop("ExpressionAttributeValues", {})}
    return {**request, **condition, **({"ExpressionAttributeValues": values} if values else {})}


# --- What the clients were told --------------------------------------------

@dataclass
class Write:
    """One request: `send(client)` and, per item (table, pk, sk), the state
    it leaves; `applied(response)` says which of the changes the answer
    acknowledges (all, unless a batch left some unprocessed)."""
    send: Callable
    changes: list  # [((table, pk, sk), item or None)]
    atomic: bool = False
    applied: Callable = None


@dataclass
class Findings:
    acknowledged: int = 0        # item writes acknowledged to a client
    checked: int = 0             # items whose final state was checked
    in_flight: int = 0           # item writes without an answer at the kill
    losses: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    notes: Counter = field(default_factory=Counter)


class Ledger:
    """Per item: the last acknowledged state and every one before it (each
    item has one client, so in commit order), every state ever sent, and
    the writes that got no answer."""

    def __init__(self, findings):
        self.lock = threading.Lock()
        self.acked = {}
        self.history = defaultdict(list)
        self.sent = defaultdict(set)
        self.versions = Counter()
        self.unanswered = []
        self.findings = findings

    def next_version(self, ident):
        with self.lock:
            self.versions[ident] += 1
            return self.versions[ident]

    def sending(self, write):
        with self.lock:
            for ident, state in write.changes:
                self.sent[ident].add(canonical(state))

    def acknowledge(self, changes):
        with self.lock:
            for ident, state in changes:
                self.acked[ident] = state
                self.history[ident].append(state)
            self.findings.acknowledged += len(changes)

    def pending_state(self, ident):
        """(True, the state it would leave, canonical) if a write was in
        flight for `ident` at the kill; (False, None) if none was."""
        for write in self.unanswered:
            for changed, state in write.changes:
                if changed == ident:
                    return True, canonical(state)
        return False, None

    def lost_answer(self, write):
        with self.lock:
            self.unanswered.append(write)
            self.findings.in_flight += len(write.changes)


class Workload:
    """The steps of a trial, in order; subclasses fill them in."""
    name = "?"
    clients = 4
    # The server's arguments before the kill and after the restart.
    server_args = ()
    restart_args = None

    def setup(self, client, rng):
        raise NotImplementedError

    def start_clients(self, server, rng, stop):
        """Starts the client threads; returns them."""
        raise NotImplementedError

    def wait_before_kill(self, client, rng):
        time.sleep(rng.uniform(0.3, 2.5))

    def after_kill(self, data_dir, rng):
        """Runs on the dead server's data directory before the restart."""

    def recover(self, client):
        """Waits after the restart for whatever the server resumes."""

    def verify(self, client):
        raise NotImplementedError


def spawn(server, count, target):
    """`count` threads running target(n, client); clients are made here, as
    creating boto3 clients is not thread-safe."""
    clients = [server.client(**CLIENT_CONFIG) for _ in range(count)]
    threads = [threading.Thread(target=target, args=(n, clients[n]), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


class KeyedWorkload(Workload):
    """Clients that each own a set of items, so that every item's expected
    state follows from the answers its one client got."""
    tables = ("items",)
    keys_per_client = 24

    def __init__(self):
        self.findings = Findings()
        self.ledger = Ledger(self.findings)

    def setup(self, client, rng):
        for table in self.tables:
            create_item_table(client, table)

    def preload(self, client, table, count):
        """Writes `count` acknowledged items, among them every client's keys."""
        items = []
        for i in range(count):
            ident = (table, f"c{i % self.clients}-p{(i // self.clients) % 6}", i // self.clients)
            items.append((ident, self.new_state(ident, "preload")))
        for start in range(0, len(items), 25):
            chunk = items[start:start + 25]
            requests = [{"PutRequest": {"Item": item}} for _, item in chunk]
            while requests:
                response = client.batch_write_item(RequestItems={table: requests})
                requests = response.get("UnprocessedItems", {}).get(table, [])
            self.ledger.sending(Write(None, chunk))
            self.ledger.acknowledge(chunk)

    def owned_keys(self, n):
        return [(table, f"c{n}-p{k % 6}", k) for table in self.tables for k in range(self.keys_per_client)]

    def new_state(self, ident, tag):
        table, pk, sk = ident
        return make_item(pk, sk, self.ledger.next_version(ident), tag)

    def next_write(self, rng, keys, tag):
        raise NotImplementedError

    def start_clients(self, server, rng, stop):
        seeds = [rng.random() for _ in range(self.clients)]

        def run(n, client):
            client_rng, keys = random.Random(seeds[n]), self.owned_keys(n)
            for seq in range(1_000_000):
                if stop.is_set():
                    return
                write = self.next_write(client_rng, keys, f"c{n}-{seq}")
                self.ledger.sending(write)
                try:
                    response = write.send(client)
                except botocore.exceptions.ClientError as error:
                    if not is_conflict(error):
                        self.findings.violations.append(f"{self.name}: refused while serving: {error}")
                        return
                    self.findings.notes["conflicts"] += 1
                    continue
                except botocore.exceptions.BotoCoreError:
                    self.ledger.lost_answer(write)
                    return
                self.ledger.acknowledge(write.applied(response) if write.applied else write.changes)

        return spawn(server, self.clients, run)

    def stored_items(self, client):
        """{(table, pk, sk): canonical item} of the clients' items."""
        stored = {}
        for table in self.tables:
            for item in scan_all(client, table, ConsistentRead=True):
                stored[(table, item["pk"]["S"], int(item["sk"]["N"]))] = canonical(item)
        return stored

    def verify(self, client):
        ledger, findings = self.ledger, self.findings
        stored = self.stored_items(client)
        pending = {ident: canonical(state) for write in ledger.unanswered for ident, state in write.changes}
        for ident in set(ledger.sent) | set(stored):
            findings.checked += 1
            have = stored.get(ident)
            allowed = {canonical(ledger.acked.get(ident)), pending.get(ident, canonical(ledger.acked.get(ident)))}
            if have in allowed:
                continue
            if have is None or have in ledger.sent[ident]:  # absent, or an older state
                findings.losses.append(f"{ident}: an acknowledged write was undone (stored: {have})")
            else:
                findings.violations.append(f"{ident}: stored a state no client wrote: {have}")
        for write in ledger.unanswered:
            if write.atomic:
                applied = {stored.get(ident) == canonical(state) for ident, state in write.changes}
                if len(applied) > 1:
                    findings.violations.append(f"transaction half applied: {[i for i, _ in write.changes]}")
                findings.notes["transactions in flight at the kill"] += 1
        return findings


class ItemWrites(KeyedWorkload):
    """PutItem, UpdateItem and DeleteItem from concurrent clients (group
    commit), each conditioned on the item's last acknowledged state, on a
    table with two GSIs and an LSI."""
    name = "items"
    clients = 6

    def next_write(self, rng, keys, tag):
        ident = rng.choice(keys)
        table, current = ident[0], self.ledger.acked.get(ident)
        roll = rng.random()
        if current is not None and roll < 0.2:
            request = with_condition({"TableName": table, "Key": key_of(current)}, current)
            return Write(lambda c: c.delete_item(**request), [(ident, None)])
        item = self.new_state(ident, tag)
        if roll < 0.6:
            request = with_condition({"TableName": table, "Item": item}, current)
            return Write(lambda c: c.put_item(**request), [(ident, item)])
        request = with_condition({"TableName": table, **update_to(item)}, current)
        return Write(lambda c: c.update_item(**request), [(ident, item)])


class Backfill(ItemWrites):
    """UpdateTable adds a GSI to a table of thousands of items while the
    clients go on writing; the kill comes during the backfill, which must
    resume after the restart and make the index ACTIVE."""
    name = "backfill"
    tables = ("backfill",)
    clients = 4
    keys_per_client = 100
    preloaded = 8000

    def setup(self, client, rng):
        create_item_table(client, "backfill", global_indexes=(TAG_INDEX,))
        self.preload(client, "backfill", self.preloaded)

    def wait_before_kill(self, client, rng):
        time.sleep(rng.uniform(0.1, 0.5))
        client.update_table(TableName="backfill", AttributeDefinitions=index_attribute_definitions([GROUP_INDEX]),
                            GlobalSecondaryIndexUpdates=[{"Create": GROUP_INDEX}])
        # The backfill of 8,000 items takes about half a second here.
        time.sleep(rng.uniform(0, 0.6))
        status = index_status(client, "backfill", "by_group")
        self.findings.notes[f"by_group {status} when killed"] += 1

    def recover(self, client):
        deadline = time.time() + 120
        while index_status(client, "backfill", "by_group") != "ACTIVE":
            if time.time() > deadline:
                self.findings.violations.append("the resumed backfill did not make by_group ACTIVE in 120 s")
                return
            time.sleep(0.1)


class StreamedWrites(ItemWrites):
    """ItemWrites on a table with a NEW_AND_OLD_IMAGES stream while the
    stream trimmer runs (a one-second retention before the kill, the default
    after it): what is left of each item's records must be a gapless suffix
    of its committed history, ending with the stored state's record."""
    name = "trim"
    tables = ("streamed",)
    server_args = ("--stream-retention", "1")
    restart_args = ()
    trimmed = True

    def setup(self, client, rng):
        create_item_table(client, self.tables[0],
                          StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})

    def verify(self, client):
        findings = super().verify(client)
        self.records = verify_stream(client, self.streams, self.tables[0], self.ledger, self.stored_items(client),
                                     findings, trimmed=self.trimmed, others=self.written_by_others)
        return findings

    @staticmethod
    def written_by_others(ident):
        return False


class TimeToLive(StreamedWrites):
    """The TTL expirer deletes 1,500 items as they fall due, a small batch at
    a time, while clients write items of their own (which never expire) on the
    same table: after the restart every expired item goes, each with exactly
    one REMOVE record by the service, and the clients' items have exactly one
    record per applied write."""
    name = "ttl"
    tables = ("expiring",)
    expired_items = 1500
    server_args = ("--ttl-interval", "0.2", "--ttl-batch-size", "40")
    restart_args = None
    trimmed = False

    def setup(self, client, rng):
        super().setup(client, rng)
        client.update_time_to_live(TableName=self.tables[0],
                                   TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        # Due one to four seconds from now: they expire while the clients
        # write, around the kill.
        soon = int(time.time()) + 1
        for start in range(0, self.expired_items, 25):
            requests = [{"PutRequest": {"Item": {"pk": {"S": f"x{n % 50}"}, "sk": {"N": str(n)},
                                                 "exp": {"N": str(soon + n % 4)}}}}
                        for n in range(start, min(start + 25, self.expired_items))]
            while requests:
                response = client.batch_write_item(RequestItems={self.tables[0]: requests})
                requests = response.get("UnprocessedItems", {}).get(self.tables[0], [])

    def expired_left(self, client):
        return sum(1 for item in scan_all(client, self.tables[0], ConsistentRead=True)
                   if item["pk"]["S"].startswith("x"))

    def recover(self, client):
        left = self.expired_left(client)
        # Shows that the kill came mid-expiry (some expired, some not yet).
        self.findings.notes["trials killed mid-expiry"] += 0 < left < self.expired_items
        deadline = time.time() + 120
        while self.expired_left(client) and time.time() < deadline:
            time.sleep(0.5)

    @staticmethod
    def written_by_others(ident):
        """The expired items: written in setup, deleted by the service."""
        return ident[1].startswith("x")

    def stored_items(self, client):
        return {ident: item for ident, item in super().stored_items(client).items()
                if not self.written_by_others(ident)}

    def verify(self, client):
        findings = super().verify(client)
        left = self.expired_left(client)
        if left:
            findings.violations.append(f"ttl: {left} expired items still there two minutes after the restart")
        for n in range(self.expired_items):
            ident = (self.tables[0], f"x{n % 50}", n)
            events = [(r["eventName"], r.get("userIdentity")) for r in self.records.get(ident, [])]
            if events != [("INSERT", None), ("REMOVE", SERVICE_IDENTITY)]:
                findings.violations.append(f"ttl: {ident} has records {events}")
        findings.notes["expired items checked"] += self.expired_items
        return findings


def index_status(client, table, index):
    indexes = client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    return next(i["IndexStatus"] for i in indexes if i["IndexName"] == index)


class Transactions(KeyedWorkload):
    """TransactWriteItems across two tables: each transaction writes its
    unique tag to 2-4 items (Put, Update or Delete, each conditioned on the
    item's acknowledged state), sometimes with a ConditionCheck on another."""
    name = "transactions"
    tables = ("ledger_a", "ledger_b")

    def setup(self, client, rng):
        create_item_table(client, "ledger_a")
        create_item_table(client, "ledger_b", global_indexes=(), local_indexes=())

    def next_write(self, rng, keys, tag):
        chosen = rng.sample(keys, rng.randint(2, 5))
        actions, changes = [], []
        for position, ident in enumerate(chosen):
            table, current = ident[0], self.ledger.acked.get(ident)
            if position == 4:
                check = {"TableName": table, "Key": {"pk": {"S": ident[1]}, "sk": {"N": str(ident[2])}}}
                actions.append({"ConditionCheck": with_condition(check, current)})
                continue
            roll = rng.random()
            if current is not None and roll < 0.2:
                actions.append({"Delete": with_condition({"TableName": table, "Key": key_of(current)}, current)})
                changes.append((ident, None))
                continue
            item = self.new_state(ident, tag)
            if roll < 0.6:
                actions.append({"Put": with_condition({"TableName": table, "Item": item}, current)})
            else:
                actions.append({"Update": with_condition({"TableName": table, **update_to(item)}, current)})
            changes.append((ident, item))
        return Write(lambda c: c.transact_write_items(TransactItems=actions), changes, atomic=True)


class BatchWrites(KeyedWorkload):
    """BatchWriteItem of up to 25 puts and deletes; each item of a batch is
    applied on its own (not atomic), unprocessed items are not applied."""
    name = "batch"
    keys_per_client = 60

    def next_write(self, rng, keys, tag):
        requests, changes = [], []
        for ident in rng.sample(keys, rng.randint(1, 25)):
            current = self.ledger.acked.get(ident)
            if current is not None and rng.random() < 0.25:
                requests.append({"DeleteRequest": {"Key": key_of(current)}})
                changes.append((ident, None))
            else:
                item = self.new_state(ident, tag)
                requests.append({"PutRequest": {"Item": item}})
                changes.append((ident, item))

        def processed(response):
            unprocessed = response.get("UnprocessedItems", {}).get("items", [])
            left = {canonical(request) for request in unprocessed}
            return [change for change, request in zip(changes, requests) if canonical(request) not in left]

        return Write(lambda c: c.batch_write_item(RequestItems={"items": requests}), changes, applied=processed)


class Bank(Workload):
    """Conditional two-account transfers (TransactWriteItems) from
    concurrent clients, and a reader taking TransactGetItems snapshots, each
    of which must hold the whole total. After the restart the balances must
    be what the acknowledged transfers make, plus some subset of those in
    flight at the kill."""
    name = "bank"
    accounts = 10
    start = 1000

    def __init__(self):
        self.findings = Findings()
        self.acknowledged = []   # (source, target, amount)
        self.unanswered = []
        self.snapshots = 0
        self.lock = threading.Lock()

    def setup(self, client, rng):
        create_table(client, "bank")
        for i in range(self.accounts):
            client.put_item(TableName="bank", Item={**account(i), "balance": {"N": str(self.start)}})

    def start_clients(self, server, rng, stop):
        seeds = [rng.random() for _ in range(self.clients)]

        def transfers(n, client):
            client_rng = random.Random(seeds[n])
            while not stop.is_set():
                source, target = client_rng.sample(range(self.accounts), 2)
                transfer = (source, target, client_rng.randint(1, 300))
                try:
                    client.transact_write_items(TransactItems=transfer_items("bank", *transfer))
                except botocore.exceptions.ClientError as error:
                    reasons = [r["Code"] for r in error.response.get("CancellationReasons", [])]
                    if not is_conflict(error) and reasons != ["ConditionalCheckFailed", "None"]:
                        self.findings.violations.append(f"bank: transfer refused: {error}")
                        return
                    continue
                except botocore.exceptions.BotoCoreError:
                    with self.lock:
                        self.unanswered.append(transfer)
                    return
                with self.lock:
                    self.acknowledged.append(transfer)
                    self.findings.acknowledged += 2

        def snapshots(_, client):
            while not stop.is_set():
                try:
                    response = client.transact_get_items(TransactItems=[
                        {"Get": {"TableName": "bank", "Key": account(i)}} for i in range(self.accounts)])
                except botocore.exceptions.ClientError as error:
                    if not is_conflict(error):
                        self.findings.violations.append(f"bank: snapshot refused: {error}")
                        return
                    continue
                except botocore.exceptions.BotoCoreError:
                    return
                balances = [int(r["Item"]["balance"]["N"]) for r in response["Responses"]]
                self.snapshots += 1
                if sum(balances) != self.accounts * self.start or min(balances) < 0:
                    self.findings.violations.append(f"bank: snapshot {balances} breaks the total")

        return spawn(server, self.clients, transfers) + spawn(server, 1, snapshots)

    def balances_after(self, transfers):
        balances = [self.start] * self.accounts
        for source, target, amount in transfers:
            balances[source] -= amount
            balances[target] += amount
        return balances

    def verify(self, client):
        stored = {item["pk"]["S"]: int(item["balance"]["N"]) for item in scan_all(client, "bank", ConsistentRead=True)}
        balances = [stored.get(account(i)["pk"]["S"]) for i in range(self.accounts)]
        self.findings.checked = self.accounts
        self.findings.in_flight = 2 * len(self.unanswered)
        self.findings.notes["snapshots"] += self.snapshots
        # Whatever order the server applied them in, the balances are the
        # start plus the applied transfers: the acknowledged ones and some of
        # those in flight (a transfer refused for lack of funds is not applied).
        subsets = [[t for bit, t in enumerate(self.unanswered) if mask >> bit & 1]
                   for mask in range(1 << len(self.unanswered))]
        if not any(balances == self.balances_after(self.acknowledged + subset) for subset in subsets):
            self.findings.losses.append(f"bank: balances {balances} match no outcome of the acknowledged "
                                        f"transfers and those in flight ({len(self.unanswered)})")
        if None in balances or min(balances) < 0:
            self.findings.violations.append(f"bank: balances {balances} after the restart")
        return self.findings


# The workloads of tests/campaign/crash_backups.py take this module's classes.
sys.modules.setdefault("crash_matrix", sys.modules[__name__])
from crash_backups import BACKUP_WORKLOADS  # noqa: E402

WORKLOADS = [ItemWrites, Backfill, Transactions, BatchWrites, Bank, TimeToLive, StreamedWrites, *BACKUP_WORKLOADS]


# --- Checks common to every workload ----------------------------------------

def projected(item, index, table_key):
    """The entry `index` holds for `item`, or None when the item lacks the
    index's key (a sparse index)."""
    index_key = [k["AttributeName"] for k in index["KeySchema"]]
    if any(name not in item for name in index_key):
        return None
    projection = index["Projection"]
    if projection["ProjectionType"] == "ALL":
        return item
    names = set(index_key) | set(table_key) | set(projection.get("NonKeyAttributes", []))
    return {name: value for name, value in item.items() if name in names}


def verify_indexes(client, findings):
    """Every index of every table equals a rebuild from its table; every
    ItemCount is exact."""
    for table in client.list_tables()["TableNames"]:
        description = client.describe_table(TableName=table)["Table"]
        items = scan_all(client, table, ConsistentRead=True)
        if description["ItemCount"] != len(items):
            findings.violations.append(f"{table}: ItemCount {description['ItemCount']} but {len(items)} items")
        table_key = [k["AttributeName"] for k in description["KeySchema"]]
        for index in description.get("GlobalSecondaryIndexes", []) + description.get("LocalSecondaryIndexes", []):
            name = index["IndexName"]
            expected = sorted(filter(None, (canonical(projected(item, index, table_key)) for item in items)))
            actual = sorted(canonical(entry) for entry in scan_all(client, table, IndexName=name))
            if expected != actual:
                missing, extra = len(set(expected) - set(actual)), len(set(actual) - set(expected))
                findings.violations.append(f"{table}.{name}: differs from a rebuild ({missing} entries missing, "
                                           f"{extra} unexpected, {len(expected)} expected)")
            if index["ItemCount"] != len(actual):
                findings.violations.append(f"{table}.{name}: ItemCount {index['ItemCount']} but {len(actual)} entries")
            findings.notes["index entries compared"] += len(actual)


def has_check_command():
    return subprocess.run([str(BINARY), "check", "--help"], capture_output=True).returncode == 0


def run_check(data_dir, findings):
    result = subprocess.run([str(BINARY), "check", "--data-dir", str(data_dir)],
                            capture_output=True, text=True, timeout=300)
    findings.notes["halyard check runs"] += 1
    if result.returncode != 0:
        findings.violations.append(f"halyard check failed ({result.returncode}): {result.stdout[-2000:]}"
                                   f"{result.stderr[-2000:]}")


# --- Trials -----------------------------------------------------------------

def run_trial(workload_class, rng, workdir, check_command):
    workload = workload_class()
    durability = rng.choice(["full", "relaxed"])
    data_dir = workdir / "data"
    # For the workload's own files (backups, restored copies): the data
    # directory's root key is workdir / "data.root-key".
    workload.workdir, workload.scratch = workdir, workdir / "scratch"
    workload.scratch.mkdir()
    server = Server(data_dir, "--durability", durability, *workload.server_args).start()
    try:
        workload.setup(server.client(), rng)
        stop = threading.Event()
        threads = workload.start_clients(server, rng, stop)
        workload.wait_before_kill(server.client(), rng)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        workload.after_kill(data_dir, rng)
        if workload.restart_args is not None:
            server.extra_args = ["--durability", durability, *workload.restart_args]
        server.start()
        client = server.client()
        workload.streams = server.streams()
        workload.recover(client)
        findings = workload.verify(client)
        verify_indexes(client, findings)
        findings.notes[f"durability {durability}"] += 1
    finally:
        server.stop()
    if check_command:
        run_check(data_dir, findings)
    shutil.rmtree(data_dir)
    shutil.rmtree(workload.scratch)
    return findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workload", choices=[w.name for w in WORKLOADS], action="append",
                        help="run only these workloads (repeatable)")
    args = parser.parse_args()
    workloads = [w for w in WORKLOADS if not args.workload or w.name in args.workload]
    check_command = has_check_command()
    print(f"binary {BINARY}; halyard check: {'yes' if check_command else 'absent, skipped'}")

    totals = defaultdict(Findings)
    trials = Counter()
    began = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="halyard-crash-matrix-"))
    try:
        for trial in range(args.trials):
            rng = random.Random(f"{args.seed}/{trial}")
            workload = workloads[(trial + args.seed) % len(workloads)]
            try:
                findings = run_trial(workload, rng, workdir, check_command)
            except Exception:  # noqa: BLE001 - e.g. a server that does not come back: a finding, not a crash
                findings = Findings(violations=[f"the trial failed: {traceback.format_exc()}"])
                shutil.rmtree(workdir / "data", ignore_errors=True)
                shutil.rmtree(workdir / "scratch", ignore_errors=True)
            trials[workload.name] += 1
            total = totals[workload.name]
            total.acknowledged += findings.acknowledged
            total.checked += findings.checked
            total.in_flight += findings.in_flight
            total.losses += findings.losses
            total.violations += findings.violations
            total.notes.update(findings.notes)
            status = "ok" if not (findings.losses or findings.violations) else "FAILED"
            print(f"trial {trial:3d} {workload.name:12s} acknowledged {findings.acknowledged:6d} "
                  f"in flight {findings.in_flight:3d} checked {findings.checked:5d} {status}", flush=True)
            for problem in findings.losses + findings.violations:
                print(f"    seed {args.seed} trial {trial}: {problem}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{sum(trials.values())} trials in {time.time() - began:.0f} s, seed {args.seed}")
    for name, total in totals.items():
        notes = ", ".join(f"{k} {v}" for k, v in sorted(total.notes.items()))
        print(f"  {name:12s} trials {trials[name]:3d}  acknowledged writes {total.acknowledged:7d}  "
              f"in flight at kill {total.in_flight:4d}  items checked {total.checked:6d}  "
              f"losses {len(total.losses)}  violations {len(total.violations)}  ({notes})")
    losses = sum(len(t.losses) for t in totals.values())
    violations = sum(len(t.violations) for t in totals.values())
    print(f"losses {losses}, violations {violations}")
    return 1 if losses or violations else 0


if __name__ == "__main__":
    sys.exit(main())
