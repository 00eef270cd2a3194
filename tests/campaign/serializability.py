#!/usr/bin/env python3
"""Serializability check: concurrent clients append unique values to the
lists of a few keys and read them, optionally while the server is killed
with SIGKILL and restarted; the recorded history is then checked by the
list-append checker (list_append.py, in the style of Jepsen's Elle) for
strict serializability.

The operations: TransactWriteItems appending to 1-3 keys (`list_append`);
UpdateItem appending to one key and returning the new list (ReturnValues
ALL_NEW, a read-modify-write); TransactGetItems of 2-4 keys; and strongly
consistent GetItem. Each is recorded with its invocation and completion
times. A 4xx answer means not applied ("fail"); no answer or a 5xx is
indeterminate ("info"), as for the operations in flight at a kill. When the
clients stop, a final strongly consistent read of every key closes the
history, so that an acknowledged append missing from it is a lost append.

    tests/campaign/serializability.py --rounds 5 --seconds 60 --kills 2 --seed 1
"""

import argparse
import itertools
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import botocore.exceptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import SINGLE_ATTEMPT, Server, create_table  # noqa: E402
from list_append import Op, check  # noqa: E402

APPEND = {"UpdateExpression": "SET #v = list_append(if_not_exists(#v, :empty), :x)",
          "ExpressionAttributeNames": {"#v": "v"}}


def key(name):
    return {"pk": {"S": name}}


def append_request(table, name, value):
    return {"TableName": table, "Key": key(name), **APPEND,
            "ExpressionAttributeValues": {":empty": {"L": []}, ":x": {"L": [{"N": str(value)}]}}}


def list_of(item):
    return [int(element["N"]) for element in (item or {}).get("v", {}).get("L", [])]


def transact_append(client, table, appends):
    client.transact_write_items(TransactItems=[{"Update": append_request(table, k, v)} for k, v in appends])
    return [("append", k, v) for k, v in appends]


def append_and_read(client, table, appends):
    [(name, value)] = appends
    item = client.update_item(**append_request(table, name, value), ReturnValues="ALL_NEW")["Attributes"]
    return [("append", name, value), ("r", name, list_of(item))]


def transact_read(client, table, names):
    responses = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": key(name)}} for name in names])["Responses"]
    return [("r", name, list_of(response.get("Item"))) for name, response in zip(names, responses)]


def consistent_get(client, table, names):
    [name] = names
    return [("r", name, list_of(client.get_item(TableName=table, Key=key(name), ConsistentRead=True).get("Item")))]


def next_operation(rng, keys, values):
    """(function, argument, micro-operations as invoked) of a random op."""
    roll = rng.random()
    if roll < 0.4:
        appends = [(name, next(values)) for name in rng.sample(keys, rng.randint(1, 3))]
        return transact_append, appends, [("append", k, v) for k, v in appends]
    if roll < 0.55:
        appends = [(rng.choice(keys), next(values))]
        return append_and_read, appends, [("append", *appends[0]), ("r", appends[0][0], None)]
    names = rng.sample(keys, rng.randint(2, 4)) if roll < 0.8 else [rng.choice(keys)]
    return (transact_read if len(names) > 1 else consistent_get), names, [("r", name, None) for name in names]


def run_history(server, table, args, rng):
    keys = [f"k{i}" for i in range(args.keys)]
    history, lock = [], threading.Lock()
    stop, serving = threading.Event(), threading.Event()
    serving.set()
    # Every answer is the first attempt's: a retried append could be applied twice.
    clients = [server.client(retries=SINGLE_ATTEMPT, connect_timeout=2, read_timeout=15) for _ in range(args.clients)]
    seeds = [rng.random() for _ in range(args.clients)]

    def run(process):
        client, process_rng = clients[process], random.Random(seeds[process])
        values = itertools.count(process * 10_000_000)
        while not stop.is_set():
            serving.wait()
            function, argument, invoked = next_operation(process_rng, keys, values)
            op = Op("info", invoked, time.monotonic(), process=process)
            try:
                op.mops = function(client, table, argument)
                op.kind = "ok"
            except botocore.exceptions.ClientError as error:
                if error.response["ResponseMetadata"]["HTTPStatusCode"] < 500:
                    op.kind = "fail"
            except botocore.exceptions.BotoCoreError:
                pass  # no answer: indeterminate
            if op.kind != "info":
                op.complete = time.monotonic()
            with lock:
                history.append(op)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    kill_times = sorted(rng.uniform(0.1, 0.9) * args.seconds for _ in range(args.kills))
    began = time.monotonic()
    for at in kill_times:
        time.sleep(max(0.0, began + at - time.monotonic()))
        serving.clear()
        server.kill()
        server.start()
        serving.set()
    time.sleep(max(0.0, began + args.seconds - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    final = server.client()
    for name in keys:
        invoke = time.monotonic()
        history.append(Op("ok", consistent_get(final, table, [name]), invoke, time.monotonic(), process=-1))
    return history


def summary(history, anomalies):
    kinds = Counter(op.kind for op in history)
    ok_mops = Counter(kind for op in history if op.kind == "ok" for kind, _, _ in op.mops)
    final = [len(value) for op in history if op.process == -1 for _, _, value in op.mops]
    return Counter(ops=len(history), ok=kinds["ok"], failed=kinds["fail"], indeterminate=kinds["info"],
                   acknowledged_appends=ok_mops["append"], reads=ok_mops["r"], final_elements=sum(final),
                   anomalies=sum(map(len, anomalies.values())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each round's history")
    parser.add_argument("--rounds", type=int, default=5, help="histories, each on a table of its own")
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs (and restarts) in each round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keys", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--durability", choices=["full", "relaxed"], default="full")
    parser.add_argument("--save", type=Path, help="write each round's history to SAVE.ROUND (JSON lines)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    totals = Counter()
    began = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="halyard-serializability-"))
    server = Server(workdir / "data", "--durability", args.durability).start()
    try:
        for round_number in range(args.rounds):
            table = f"lists_{round_number}"
            create_table(server.client(), table)
            history = run_history(server, table, args, rng)
            checked = time.time()
            anomalies = check(history)
            if args.save:
                Path(f"{args.save}.{round_number}").write_text(
                    "".join(json.dumps(asdict(op)) + "\n" for op in history))
            counts = summary(history, anomalies)
            totals.update(counts)
            print(f"round {round_number}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                  + f" (checked in {time.time() - checked:.1f} s)", flush=True)
            for name, found in sorted(anomalies.items()):
                print(f"  {name}: {len(found)}")
                for description in found[:3]:
                    print(f"    seed {args.seed} round {round_number}: {description[:1500]}")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"{args.rounds} rounds of {args.seconds:.0f} s with {args.kills} kills each in {time.time() - began:.0f} s "
          f"({args.clients} clients, {args.keys} keys, seed {args.seed}, durability {args.durability}): "
          + ", ".join(f"{k} {v}" for k, v in totals.items() if k != "anomalies"))
    print(f"anomalies {totals['anomalies']}")
    return 1 if totals["anomalies"] else 0


if __name__ == "__main__":
    sys.exit(main())
