#!/usr/bin/env python3
"""Byte-flip campaign: does Halyard notice a damaged database file?

Builds one data directory (a table with a global secondary index and items
spread over its index keys), stops the server, and then, per trial, copies
that directory, flips one random byte of its halyard.db (XOR with a random
non-zero mask), starts the server on the copy and reads everything back:
every GSI partition by Query, the whole table by Scan, every item by
GetItem. Each trial is one of:

  refused   the server would not start on the file
  detected  it started, and some read failed (a 500) — no read was wrong
  silent    some read answered without error but wrongly (fewer, more or
            different items): the failure this campaign hunts
  harmless  every read was right (the byte was in free space, or unread)
  crashed   the server died during the reads

When the binary has `halyard check`, it is run on every trial's file too,
and the summary says how many of each kind it flagged. The exit status is
1 when a trial crashed the server, or answered wrongly without `halyard
check` flagging the file (without `halyard check`: answered wrongly at all).

    .venv/bin/python tests/campaign/byte_flip.py --trials 100 --seed 1
"""

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import botocore.exceptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from harness import BINARY, Server  # noqa: E402

TABLE = "flip"
INDEX = "by_group"
GROUPS = 8


def keys(items):
    return [(f"p{i % 50}", str(i)) for i in range(items)]


def build(data_dir, items):
    """Writes the table and returns what every read should answer."""
    server = Server(data_dir).start()
    try:
        client = server.client()
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in (("pk", "S"), ("sk", "N"), ("g", "S"))],
            GlobalSecondaryIndexes=[{"IndexName": INDEX, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}],
        )
        for start in range(0, items, 25):
            requests = [{"PutRequest": {"Item": {
                "pk": {"S": pk}, "sk": {"N": sk}, "g": {"S": f"g{int(sk) % GROUPS}"},
                "payload": {"S": f"{sk:>06}-" + "v" * (40 + int(sk) % 60)}}}} for pk, sk in keys(items)[start:start + 25]]
            client.batch_write_item(RequestItems={TABLE: requests})
        return {name: read() for name, read in reads(client, items).items()}
    finally:
        server.stop()


def canonical(items):
    return sorted(json.dumps(item, sort_keys=True) for item in items)


def reads(client, items):
    """The campaign's reads, by name: every GSI partition by Query, the whole
    table by Scan, every item by GetItem. Each returns its answer in a
    comparable form."""
    def pages(operation, **request):
        return canonical(item for page in client.get_paginator(operation).paginate(TableName=TABLE, **request)
                         for item in page["Items"])

    def query(group):
        return pages("query", IndexName=INDEX, KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": f"g{group}"}})

    def get(pk, sk):
        item = client.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"N": sk}}, ConsistentRead=True).get("Item")
        return canonical([item] if item else [])

    named = {f"query g{group}": (lambda group=group: query(group)) for group in range(GROUPS)}
    named["scan"] = lambda: pages("scan")
    for pk, sk in keys(items):
        named[f"get {pk}/{sk}"] = lambda pk=pk, sk=sk: get(pk, sk)
    return named


def trial_reads(server, expected, items):
    """Replays the reads; returns (errors, wrong answers)."""
    errors, wrong = [], []
    for name, read in reads(server.client(), items).items():
        try:
            got = read()
        except botocore.exceptions.ClientError as error:
            errors.append(f"{name}: {error.response['Error']['Code']}")
            continue
        if got != expected[name]:
            wrong.append(f"{name}: {len(got)} items, expected {len(expected[name])}")
    return errors, wrong


def has_check_command(binary):
    return subprocess.run([str(binary), "check", "--help"], capture_output=True).returncode == 0


def run_check(binary, data_dir):
    """True when `halyard check` reports a problem (or refuses the file)."""
    result = subprocess.run([str(binary), "check", "--data-dir", str(data_dir)], capture_output=True, text=True,
                            timeout=300)
    return result.returncode == 1


def one_trial(pristine, trial_dir, rng, expected, items, with_check):
    shutil.copytree(pristine, trial_dir)
    database = trial_dir / "halyard.db"
    data = bytearray(database.read_bytes())
    offset = rng.randrange(len(data))
    data[offset] ^= rng.randrange(1, 256)
    database.write_bytes(bytes(data))
    flagged = run_check(BINARY, trial_dir) if with_check else None
    server = Server(trial_dir)
    try:
        server.start()
    except RuntimeError:
        return "refused", offset, flagged, []
    try:
        try:
            errors, wrong = trial_reads(server, expected, items)
        except (botocore.exceptions.BotoCoreError, OSError) as error:
            return "crashed", offset, flagged, [repr(error)]
        if server.process.poll() is not None:
            return "crashed", offset, flagged, errors + wrong
        if wrong:
            return "silent", offset, flagged, wrong + errors
        if errors:
            return "detected", offset, flagged, errors
        return "harmless", offset, flagged, []
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--items", type=int, default=400, help="items in the table (default 400)")
    parser.add_argument("--verbose", action="store_true", help="print every trial")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with_check = has_check_command(BINARY)
    work = Path(tempfile.mkdtemp(prefix="halyard-byte-flip-"))
    try:
        pristine = work / "pristine"
        expected = build(pristine, args.items)
        size = (pristine / "halyard.db").stat().st_size
        print(f"binary {BINARY}; {args.items} items, halyard.db {size} bytes; seed {args.seed}; "
              f"halyard check: {'yes' if with_check else 'not in this binary'}")
        outcomes, flagged_by_outcome = Counter(), Counter()
        for trial in range(args.trials):
            outcome, offset, flagged, details = one_trial(pristine, work / f"trial-{trial}", rng, expected, args.items, with_check)
            outcomes[outcome] += 1
            if flagged:
                flagged_by_outcome[outcome] += 1
            if args.verbose or outcome in ("silent", "crashed"):
                page = offset // 4096 + 1
                print(f"trial {trial}: {outcome} (byte {offset}, page {page}; check flagged: {flagged}) {details[:3]}")
            shutil.rmtree(work / f"trial-{trial}", ignore_errors=True)
        print(f"{args.trials} trials: " + ", ".join(f"{kind} {outcomes[kind]}" for kind in
                                                  ("refused", "detected", "silent", "harmless", "crashed")))
        if with_check:
            print("flagged by halyard check: " + ", ".join(
                f"{kind} {flagged_by_outcome[kind]}/{outcomes[kind]}" for kind in
                ("refused", "detected", "silent", "harmless", "crashed")))
        unflagged_silent = outcomes["silent"] - flagged_by_outcome["silent"]
        print(f"silent and not flagged by halyard check: {unflagged_silent}")
        return 1 if unflagged_silent or outcomes["crashed"] else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
