"""Differential tester: the same requests to Halyard and to DynamoDB Local,
compared by HTTP status, `__type` and message (and, for a cancelled
transaction, its CancellationReasons).

    python tests/differential/difftest.py [--seed N] [--count N]
        [--halyard URL] [--local URL] [--operations A,B] [--report FILE]

Without --halyard it starts target/release/halyard (or $HALYARD_BIN) in
memory; without --local it starts DynamoDB Local, downloaded once with npm
into tests/differential/.cache. Exits 1 when a difference is not on the
known list (known_differences.py). See README.md beside this file."""

import argparse
import io
import json
import random
import sys
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402
import known_differences  # noqa: E402
from endpoints import Endpoint, Started  # noqa: E402
from model import Mutator, apply_edits, body_of, load_shapes, overlaps  # noqa: E402

OPERATIONS = list(cases.BASE)
STREAMS_PREFIX = "DynamoDBStreams_20120810."


def target_prefix(operation):
    return STREAMS_PREFIX if operation in cases.STREAMS_OPERATIONS else "DynamoDB_20120810."


def service(operation):
    return "dynamodbstreams" if operation in cases.STREAMS_OPERATIONS else "dynamodb"
# Shares of a run's requests per operation; the valid request is always one.
SHARES = (("semantic", 0.30), ("single", 0.35), ("wrong_type", 0.10))


class Case:
    def __init__(self, operation, kind, label, request):
        self.operation, self.kind, self.label, self.request = operation, kind, label, request
        self.body = body_of(request).encode()


def generate(operation, count, seed, mutator, operations):
    """`count` requests for `operation`, the same ones for the same seed."""
    rng = random.Random(f"{seed}:{operation}")
    base = cases.BASE[operation]
    shape = mutator.input_shape(operations, operation)
    edits = mutator.edits(shape, base)
    pools = {
        "semantic": [Case(operation, "semantic", f"semantic #{i + 1}", request) for i, request in enumerate(cases.SEMANTIC.get(operation, []))],
        "single": [Case(operation, "single", e.describe(), apply_edits(base, [e])) for e in edits if "belongs" not in e.label],
        "wrong_type": [Case(operation, "wrong_type", e.describe(), apply_edits(base, [e])) for e in edits if "belongs" in e.label],
    }
    chosen = [Case(operation, "valid", "valid request", base)]
    for kind, share in SHARES:
        pool = pools[kind]
        chosen.extend(rng.sample(pool, min(len(pool), round(count * share))))
    constraint_edits = [e for e in edits if "belongs" not in e.label]
    seen = {case.body for case in chosen}
    attempts = 0
    while len(chosen) < count and attempts < 50 * count and len(constraint_edits) >= 2:
        attempts += 1
        picked = []
        for edit in rng.sample(constraint_edits, min(len(constraint_edits), rng.choice((2, 2, 3)))):
            if not any(overlaps(edit, other) for other in picked):
                picked.append(edit)
        if len(picked) < 2:
            continue
        case = Case(operation, "multi", " + ".join(e.describe() for e in picked), apply_edits(base, picked))
        if case.body not in seen:
            seen.add(case.body)
            chosen.append(case)
    return chosen[:count]


def summary(endpoint, status, body):
    """What is compared of one response."""
    if status == 200:
        return ("200",)
    body = body if isinstance(body, dict) else {}
    error_type = body.get("__type", "")
    message = body.get("message", body.get("Message"))
    if message is not None:
        message = endpoint.generalize(message)
    reasons = tuple((r.get("Code"), r.get("Message")) for r in body.get("CancellationReasons", []))
    return (str(status), error_type, message) + ((reasons,) if reasons else ())


def describe(result):
    if result == ("200",):
        return "200 OK"
    text = f"{result[0]} {result[1].split('#')[-1]}: {result[2]}"
    if len(result) > 3:
        text += "  reasons=" + json.dumps(result[3])
    return text


def setup(endpoints):
    """Both endpoints to the same state: the fixture tables, fresh."""
    for endpoint in endpoints:
        names, start = [], None
        while True:
            request = {"ExclusiveStartTableName": start} if start else {}
            status, body = endpoint.send("ListTables", body_of(request).encode())
            names += body.get("TableNames", [])
            start = body.get("LastEvaluatedTableName")
            if not start:
                break
        for name in names:
            if name.startswith(cases.PREFIX):
                endpoint.send("DeleteTable", body_of({"TableName": name}).encode())
        for table in cases.SETUP_TABLES:
            status, body = endpoint.send("CreateTable", body_of(table).encode())
            if status != 200:
                raise RuntimeError(f"setup of {table['TableName']} on {endpoint.url} failed: {body}")
        for table, item in cases.SETUP_ITEMS:
            status, body = endpoint.send("PutItem", body_of({"TableName": table, "Item": item}).encode())
            if status != 200:
                raise RuntimeError(f"setup item on {endpoint.url} failed: {body}")
        endpoint.variables = stream_variables(endpoint)


def stream_variables(endpoint):
    """The stream table's stream ARN, its first shard and an iterator at the
    shard's start, as this endpoint names them."""

    def call(operation, request, prefix="DynamoDB_20120810."):
        status, body = endpoint.send(operation, body_of(request).encode(), prefix)
        if status != 200:
            raise RuntimeError(f"{operation} on {endpoint.url} failed during setup: {body}")
        return body

    arn = call("DescribeTable", {"TableName": cases.STREAM})["Table"]["LatestStreamArn"]
    shard = call("DescribeStream", {"StreamArn": arn}, STREAMS_PREFIX)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = call("GetShardIterator", {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"},
                    STREAMS_PREFIX)["ShardIterator"]
    return {"STREAM_ARN": arn, "SHARD_ID": shard, "SHARD_ITERATOR": iterator}


def run(halyard, local, all_cases):
    """Sends every case to both; returns the differences."""
    differences = []
    for case in all_cases:
        results = []
        for endpoint in (halyard, local):
            status, body = endpoint.send(case.operation, case.body, target_prefix(case.operation))
            results.append(summary(endpoint, status, body))
            if status == 200 and case.operation in cases.CLEANUP:
                for operation, request in cases.CLEANUP[case.operation](case.request):
                    endpoint.send(operation, body_of(request).encode())
        if results[0] != results[1]:
            halyard_text, local_text = describe(results[0]), describe(results[1])
            reason = known_differences.explain(case.operation, halyard_text, local_text)
            differences.append((case, halyard_text, local_text, reason))
    return differences


def report(all_cases, differences, listed, out):
    """Counts, per operation and in all; then the `listed` differences,
    grouped by the pair of answers. Returns the unexplained differences."""
    unexplained = [d for d in differences if d[3] is None]
    print(f"requests: {len(all_cases)}", file=out)
    print(f"differences: {len(differences)} ({len(differences) - len(unexplained)} known, {len(unexplained)} unexplained)", file=out)
    per_operation = OrderedDict((op, [0, 0, 0]) for op in OPERATIONS)
    for case in all_cases:
        per_operation[case.operation][0] += 1
    for case, _halyard, _local, reason in differences:
        per_operation[case.operation][1 if reason is None else 2] += 1
    for operation, (sent, differing, known) in per_operation.items():
        if sent:
            print(f"  {operation:20} {sent:5} requests {differing:5} unexplained {known:5} known", file=out)
    groups = OrderedDict()
    for case, halyard_text, local_text, reason in listed:
        groups.setdefault((case.operation, halyard_text, local_text, reason), []).append(case)
    for (operation, halyard_text, local_text, reason), group in groups.items():
        print(f"\n=== {operation}: {len(group)} request(s){' [known: ' + reason + ']' if reason else ''}", file=out)
        print(f"  halyard: {halyard_text}", file=out)
        print(f"  local:   {local_text}", file=out)
        for case in group[:3]:
            body = case.body.decode()
            print(f"  case ({case.kind}) {case.label}", file=out)
            print(f"    {body if len(body) < 400 else body[:400] + '...'}", file=out)
    return unexplained


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=40, help="requests per operation")
    parser.add_argument("--halyard", help="Halyard's URL (default: start the binary)")
    parser.add_argument("--local", help="DynamoDB Local's URL (default: start it)")
    parser.add_argument("--operations", help="comma-separated subset of: " + ",".join(OPERATIONS))
    parser.add_argument("--report", help="also write the report to this file")
    parser.add_argument("--known", action="store_true", help="list the known differences too, not only count them")
    args = parser.parse_args(argv)

    models = {}
    for name in ("dynamodb", "dynamodbstreams"):
        operations_model, shapes = load_shapes(name)
        models[name] = (Mutator(shapes), operations_model)
    selected = args.operations.split(",") if args.operations else OPERATIONS
    all_cases = [case for op in selected for case in generate(op, args.count, args.seed, *models[service(op)])]

    started = Started()
    try:
        halyard = Endpoint(args.halyard or started.halyard_url())
        local = Endpoint(args.local or started.local_url())
        setup([halyard, local])
        differences = run(halyard, local, all_cases)
    finally:
        started.close()
    listed = differences if args.known else [d for d in differences if d[3] is None]
    text = io.StringIO()
    unexplained = report(all_cases, differences, listed, text)
    sys.stdout.write(text.getvalue())
    if args.report:
        Path(args.report).write_text(text.getvalue())
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
