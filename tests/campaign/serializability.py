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

    tests/campaign/serializability.py --seconds 300 --kills 5 --seed 1
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
from harness import Server, create_table  # noqa: E402
from list_append import Op, check  # noqa: E402

TABLE = "lists"
APPEND = {"UpdateExpression": "SET #v = list_append(if_not_exists(#v, :empty), :x)",
          "ExpressionAttributeNames": {"#v": "v"}}


def key(name):
    return {"pk": {"S": name}}


def append_request(name, value):
    return {"TableName": TABLE, "Key": key(name), **APPEND,
            "ExpressionAttributeValues": {":empty": {"L": []}, ":x": {"L": [{"N": str(value)}]}}}


def list_of(item):
    return [int(element["N"]) for element in (item or {}).get("v", {}).get("L", [])]


def transact_append(client, appends):
    client.transact_write_items(TransactItems=[{"Update": append_request(k, v)} for k, v in appends])
    return [("append", k, v) for k, v in appends]


def append_and_read(client, appends):
    [(name, value)] = appends
    item = client.update_item(**append_request(name, value), ReturnValues="ALL_NEW")["Attributes"]
    return [("append", name, value), ("r", name, list_of(item))]


def transact_read(client, names):
    responses = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": TABLE, "Key": key(name)}} for name in names])["Responses"]
    return [("r", name, list_of(response.get("Item"))) for name, response in zip(names, responses)]


def consistent_get(client, names):
    [name] = names
    return [("r", name, list_of(client.get_item(TableName=TABLE, Key=key(name), ConsistentRead=True).get("Item")))]


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


def run_history(server, args, rng):
    keys = [f"k{i}" for i in range(args.keys)]
    history, lock = [], threading.Lock()
    stop, serving = threading.Event(), threading.Event()
    serving.set()
    clients = [server.client(connect_timeout=2, read_timeout=15) for _ in range(args.clients)]
    seeds = [rng.random() for _ in range(args.clients)]

    def run(process):
        client, process_rng = clients[process], random.Random(seeds[process])
        values = itertools.count(process * 10_000_000)
        while not stop.is_set():
            serving.wait()
            function, argument, invoked = next_operation(process_rng, keys, values)
            op = Op("info", invoked, time.monotonic(), process=process)
            try:
                op.mops = function(client, argument)
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
        history.append(Op("ok", consistent_get(final, [name]), invoke, time.monotonic(), process=-1))
    return history


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs (and restarts) during the history")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keys", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--durability", choices=["full", "relaxed"], default="full")
    parser.add_argument("--save", type=Path, help="write the history here (JSON lines)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="halyard-serializability-"))
    server = Server(workdir / "data", "--durability", args.durability).start()
    try:
        create_table(server.client(), TABLE)
        began = time.time()
        history = run_history(server, args, random.Random(args.seed))
        ran = time.time() - began
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    checked = time.time()
    anomalies = check(history)
    if args.save:
        args.save.write_text("".join(json.dumps(asdict(op)) + "\n" for op in history))
    kinds = Counter(op.kind for op in history)
    appends = sum(kind == "append" for op in history if op.kind == "ok" for kind, _, _ in op.mops)
    reads = sum(kind == "r" for op in history if op.kind == "ok" for kind, _, _ in op.mops)
    final = [len(value) for op in history if op.process == -1 for _, _, value in op.mops]
    print(f"history of {len(history)} ops in {ran:.0f} s with {args.kills} kills ({args.clients} clients, "
          f"{args.keys} keys, seed {args.seed}, durability {args.durability}): ok {kinds['ok']}, "
          f"failed {kinds['fail']}, indeterminate {kinds['info']}; acknowledged appends {appends}, "
          f"reads {reads}; final list lengths {final}; checked in {time.time() - checked:.1f} s")
    for name, found in sorted(anomalies.items()):
        print(f"  {name}: {len(found)}")
        for description in found[:3]:
            print(f"    {description[:1500]}")
    print("anomalies: " + (", ".join(f"{n} {len(f)}" for n, f in sorted(anomalies.items())) or "none"))
    return 1 if anomalies else 0


if __name__ == "__main__":
    sys.exit(main())
