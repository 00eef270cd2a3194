#!/usr/bin/env python3
"""Storage-fault campaign: faults injected at random points under concurrent
writes, then a restart that must keep every acknowledged write.

Each trial starts Halyard on a fresh data directory, runs concurrent writers
(PutItem, two-item TransactWriteItems, three-item BatchWriteItem) and injects
one fault at a random moment (or after a random number of I/O calls):

  enospc-tmpfs  the data directory is a 16 MiB tmpfs, filled up, later freed
  enospc-shim   the faultfs shim fails every write with ENOSPC, later stops
  wal-*, checkpoint-*
                the shim fails one write or fsync of the WAL (a commit's) or
                of the database file (a checkpoint's) with EIO, or an fsync
                with ENOSPC

While space is short, writes must fail with the out-of-space error and then
succeed again by themselves; after a failed write-back or fsync, writes must
be refused with the stopped-writes error and /health must say so. Then the server is stopped
(SIGTERM or SIGKILL) and restarted without faults, and the trial checks that
every acknowledged write is present and intact, no transaction is half
applied, nothing appears that was never written, and the table's ItemCount
and its global index agree with its items.

    .venv/bin/python tests/campaign/storage_faults.py --trials 100 --seed 1

Uses target/release/halyard (or HALYARD_BIN); the tmpfs kind needs root
(mount), and is left out elsewhere.
"""

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

import boto3  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore.config import Config  # noqa: E402

from harness import CREDENTIALS, REGION, Server  # noqa: E402
from faultfs import (OUT_OF_SPACE_MESSAGE, STOPPED_MESSAGE, Shim, build_shim, create_indexed_table,  # noqa: E402
                     fill, free, mount_small_disk, unmount)

TABLE = "campaign"
# Faults that must stop writes. The WAL's writes and fsyncs are the
# commit's; the database file's are the checkpoint's. An fsync that fails
# with ENOSPC (as on NFS or thin-provisioned volumes) has lost write-backs
# as surely as one failing with EIO.
# Each with the range of its countdown: a commit makes one fsync and a few
# writes of the WAL, a checkpoint many writes and one fsync of the database.
STOP_RULES = {
    "wal-fsync-eio": ("fsync EIO once file=/halyard.db-wal", range(50, 1500)),
    "wal-write-eio": ("write EIO once file=/halyard.db-wal", range(50, 3000)),
    "wal-fsync-enospc": ("fsync ENOSPC once file=/halyard.db-wal", range(50, 1500)),
    # Creating the database syncs it once (tests/e2e covers that one).
    "checkpoint-fsync-eio": ("fsync EIO once file=/halyard.db", range(1, 4)),
    "checkpoint-write-eio": ("write EIO once file=/halyard.db", range(50, 1500)),
}


def client(server):
    config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION, config=config, **CREDENTIALS)



class Writers:
    """Concurrent writers that record what was acknowledged and what failed."""

    def __init__(self, server, count, rng):
        self.server = server
        self.acknowledged = {}  # key -> payload
        self.unacknowledged = {}  # key -> payload (may or may not be applied)
        self.groups = []  # keys written by one transaction or batch
        self.errors = {}  # error message -> count
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.seeds = [rng.randrange(1 << 30) for _ in range(count)]
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(count)]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def errors_since(self, message):
        with self.lock:
            return self.errors.get(message, 0)

    def run(self, writer):
        rng = random.Random(self.seeds[writer])
        dynamodb = client(self.server)
        seq = 0
        while not self.stop.is_set():
            keys = [f"w{writer}-{seq + i}" for i in range(rng.choice([1, 1, 1, 2, 3]))]
            seq += len(keys)
            items = {key: f"{key}:" + "x" * rng.randrange(100, 8000) for key in keys}
            try:
                write(dynamodb, items)
                acknowledged = True
            except botocore.exceptions.ClientError as error:
                message = error.response["Error"].get("Message", "")
                acknowledged = False
            except botocore.exceptions.BotoCoreError as error:
                message = type(error).__name__
                acknowledged = False
            with self.lock:
                (self.acknowledged if acknowledged else self.unacknowledged).update(items)
                if len(keys) > 1:
                    self.groups.append(keys)
                if not acknowledged:
                    self.errors[message] = self.errors.get(message, 0) + 1
            if not acknowledged:
                time.sleep(0.01)


def write(dynamodb, items):
    """One item: PutItem; two: a transaction; three: a batch (all or nothing
    here, as the writer commits a batch in one transaction)."""
    rows = [{"pk": {"S": key}, "payload": {"S": payload}, "g": {"S": "all"}} for key, payload in items.items()]
    if len(rows) == 1:
        dynamodb.put_item(TableName=TABLE, Item=rows[0])
    elif len(rows) == 2:
        dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": row}} for row in rows])
    else:
        answer = dynamodb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": row}} for row in rows]})
        if answer.get("UnprocessedItems"):
            raise botocore.exceptions.ClientError({"Error": {"Message": "unprocessed items"}}, "BatchWriteItem")


def peak_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def wait_until(condition, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def run_trial(number, kind, rng, work, shim_library, writer_count):
    base = work / f"trial-{number}"
    data = base / "data"
    base.mkdir()
    result = {"trial": number, "kind": kind, "problems": []}
    problem = result["problems"].append
    on_tmpfs = kind == "enospc-tmpfs"
    if on_tmpfs and not mount_small_disk(data):
        raise RuntimeError("could not mount a tmpfs")
    shim = Shim(shim_library, data, base)
    env = None if on_tmpfs else shim.env()
    countdown = kind in STOP_RULES and rng.random() < 0.5
    if countdown:
        # Armed from the start, counting the rule's calls: past the setup's.
        rule, calls = STOP_RULES[kind]
        env = shim.env(FAULTFS_COUNTDOWN=str(rng.choice(calls)), FAULTFS_RULE=rule)
    result["injection"] = "countdown" if countdown else "control file"
    server = Server(data, env=env)
    try:
        server.start()
        create_indexed_table(client(server), TABLE)
        writers = Writers(server, writer_count, rng).start()
        time.sleep(rng.uniform(0.2, 1.5))
        if kind.startswith("enospc"):
            result["acknowledged_before_fault"] = writers.count()
            if on_tmpfs:
                fill(data)
            else:
                shim.inject("write ENOSPC")
            result["fault_fired"] = wait_until(lambda: writers.errors_since(OUT_OF_SPACE_MESSAGE) > 0, 20)
            if not result["fault_fired"]:
                problem("no write failed with the out-of-space error while the disk was full")
            # A small write may still fit, and clear the state until the next one fails.
            if not wait_until(lambda: server.health()[1]["status"] == "out_of_space", 5):
                problem(f"/health never said out_of_space while the disk was full: {server.health()}")
            time.sleep(rng.uniform(0.2, 1.0))
            if on_tmpfs:
                free(data)
            else:
                shim.clear()
            recovered_from = writers.count()
            if not wait_until(lambda: writers.count() > recovered_from + writer_count, 20):
                problem("writes did not succeed again once space was freed")
            if not wait_until(lambda: server.health()[0] == 200, 10):
                problem(f"/health after space returned: {server.health()}")
        else:
            if not countdown:
                shim.inject(STOP_RULES[kind][0])
            fired = wait_until(lambda: shim.fired(), 20)
            if fired:
                if not wait_until(lambda: writers.errors_since(STOPPED_MESSAGE) > 0, 10):
                    problem("no write was refused with the stopped-writes error after the failure")
                # Answers to writes committed before the failure may still be on their way.
                time.sleep(0.2)
                stopped_at = writers.count()
                time.sleep(0.3)
                if writers.count() != stopped_at:
                    problem(f"{writers.count() - stopped_at} writes acknowledged after writes had stopped")
                status, report = server.health()
                if status != 503 or report["status"] != "writes_stopped":
                    problem(f"/health after the failure: {status} {report}")
            result["fault_fired"] = fired
        writers.finish()
        result["server_peak_rss_kib"] = peak_rss_kib(server.process.pid)
        result["stop"] = rng.choice(["SIGTERM", "SIGKILL"])
        if result["stop"] == "SIGKILL":
            server.kill()
        else:
            server.stop()
        result["injected_failures"] = len(shim.fired())
        if on_tmpfs:
            free(data)
        server.env = None
        server.start()
        verify(server, writers, result)
        server.stop()
    finally:
        server.stop()
        if on_tmpfs:
            unmount(data)
        shutil.rmtree(base, ignore_errors=True)
    return result


def verify(server, writers, result):
    problem = result["problems"].append
    dynamodb = client(server)
    present = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
        for item in page["Items"]:
            present[item["pk"]["S"]] = item["payload"]["S"]
    lost = [key for key, payload in writers.acknowledged.items() if present.get(key) != payload]
    applied = [key for key, payload in writers.unacknowledged.items() if present.get(key) == payload]
    phantoms = [key for key in present if key not in writers.acknowledged and key not in writers.unacknowledged]
    torn = [keys for keys in writers.groups if 0 < sum(key in present for key in keys) < len(keys)]
    item_count = dynamodb.describe_table(TableName=TABLE)["Table"]["ItemCount"]
    indexed = sum(page["Count"] for page in dynamodb.get_paginator("query").paginate(
        TableName=TABLE, IndexName="by-g", KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "all"}}, Select="COUNT"))
    result.update(acknowledged=len(writers.acknowledged), unacknowledged=len(writers.unacknowledged),
                  unacknowledged_applied=len(applied), lost=len(lost), torn=len(torn), errors=writers.errors)
    if lost:
        problem(f"{len(lost)} acknowledged writes lost, e.g. {lost[:5]}")
    if torn:
        problem(f"{len(torn)} transactions or batches half applied, e.g. {torn[:3]}")
    if phantoms:
        problem(f"{len(phantoms)} items never written, e.g. {phantoms[:5]}")
    if item_count != len(present) or indexed != len(present):
        problem(f"{len(present)} items, but ItemCount {item_count} and {indexed} index entries")
    try:
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "after-restart"}, "payload": {"S": "-"}, "g": {"S": "x"}})
    except botocore.exceptions.ClientError as error:
        problem(f"a write after the restart failed: {error}")
    if server.health()[0] != 200:
        problem(f"/health after the restart: {server.health()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="halyard-faults-"))
    try:
        shim_library = build_shim(work)
        kinds = ["enospc-shim", *STOP_RULES]
        probe = work / "probe"
        if mount_small_disk(probe):
            unmount(probe)
            kinds.append("enospc-tmpfs")
        else:
            print("tmpfs mounts are not permitted here: ENOSPC comes from the shim only", file=sys.stderr)
        results = []
        for number in range(args.trials):
            kind = kinds[number % len(kinds)] if number < len(kinds) else rng.choice(kinds)
            started = time.time()
            result = run_trial(number, kind, rng, work, shim_library, args.writers)
            result["seconds"] = round(time.time() - started, 1)
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        "trials": len(results),
        "seed": args.seed,
        "by_kind": {kind: sum(r["kind"] == kind for r in results) for kind in sorted({r["kind"] for r in results})},
        "faults_fired": sum(r["fault_fired"] for r in results),
        "acknowledged_item_writes": sum(r["acknowledged"] for r in results),
        "unacknowledged_item_writes": sum(r["unacknowledged"] for r in results),
        "unacknowledged_but_applied": sum(r["unacknowledged_applied"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "torn": sum(r["torn"] for r in results),
        "server_peak_rss_kib": max(r["server_peak_rss_kib"] or 0 for r in results),
        "trials_with_problems": sum(bool(r["problems"]) for r in results),
    }
    print(json.dumps({"summary": summary}))
    return 1 if summary["trials_with_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
