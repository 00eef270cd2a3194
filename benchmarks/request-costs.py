#!/usr/bin/env python3
"""What one request costs the server, in measures that hold on a loaded machine.

Starts `halyard serve` with its defaults (SigV4 verification, authorisation,
the audit trail at its defaults, encryption at rest, durability full), preloads
two tables, then for each operation sends a fixed number of pre-signed requests
over one keep-alive connection while `perf stat` counts, in the server process
only:

- by default, instructions executed in user space (valgrind's callgrind,
  exact and unmoved by other jobs; the VM exposes no hardware counters to
  `perf stat`), divided by the requests sent;
- with --allocs, calls into the allocators (uprobes on mimalloc, which serves
  Rust's allocations, and on libc's malloc, which SQLCipher and OpenSSL use),
  divided by the requests sent.

Instruction and allocation counts barely move when other jobs share the CPU,
unlike throughput. The tables are preloaded by the server running natively;
it is then restarted (under callgrind unless --allocs) on the same data.
Needs valgrind, root (perf, uprobes) and botocore.

    benchmarks/request-costs.py --halyard target/release/halyard --label after [--allocs]
"""
import argparse, http.client, json, os, random, shutil, signal, subprocess, sys, tempfile, time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AK, SK, REGION = "benchaccess", "benchsecret", "us-east-1"
KV, Q = "bench_kv", "bench_q"
KV_ITEMS, Q_PARTS = 10_000, 500
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
MI_FUNCTIONS = ["mi_malloc_aligned", "mi_zalloc_aligned", "mi_realloc_aligned"]
# Also counted with --allocs: pages SQLCipher decrypts or encrypts (a read
# served from SQLite's page cache decrypts none).
PAGE_FUNCTIONS = ["sqlcipher_page_cipher"]


def text(rnd, n):
    return "".join(rnd.choice(LETTERS) for _ in range(n))


def kv_item(i, rnd):
    """About 200 bytes as DynamoDB counts them, as ../shared/bench's items."""
    return {
        "pk": {"S": "user#%09d" % i},
        "name": {"S": text(rnd, 20)},
        "email": {"S": text(rnd, 16) + "@example.com"},
        "age": {"N": str(rnd.randrange(18, 99))},
        "score": {"N": str(rnd.randrange(0, 1_000_000))},
        "active": {"BOOL": bool(rnd.getrandbits(1))},
        "bio": {"S": text(rnd, 100)},
    }


def q_item(p, j, rnd):
    return {
        "pk": {"S": "part#%06d" % p},
        "sk": {"S": "item#%04d" % j},
        "name": {"S": text(rnd, 20)},
        "val": {"N": str(rnd.randrange(0, 1_000_000))},
        "data": {"S": text(rnd, 80)},
    }


def kv_key(rnd):
    return {"pk": {"S": "user#%09d" % rnd.randrange(KV_ITEMS)}}


REQUESTS = {
    "GetItem": lambda rnd: ("GetItem", {"TableName": KV, "Key": kv_key(rnd)}),
    "PutItem": lambda rnd: ("PutItem", {"TableName": KV, "Item": kv_item(rnd.randrange(2 * KV_ITEMS), rnd)}),
    "Query": lambda rnd: ("Query", {
        "TableName": Q, "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "part#%06d" % rnd.randrange(Q_PARTS)}}}),
    "UpdateItem": lambda rnd: ("UpdateItem", {
        "TableName": KV, "Key": kv_key(rnd),
        "UpdateExpression": "SET c = if_not_exists(c, :z) + :one, bio = :b",
        "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"}, ":b": {"S": text(rnd, 100)}}}),
    "BatchGetItem": lambda rnd: ("BatchGetItem", {"RequestItems": {KV: {"Keys": [
        {"pk": {"S": "user#%09d" % i}} for i in rnd.sample(range(KV_ITEMS), 100)]}}}),
    "Scan": lambda rnd: ("Scan", {"TableName": KV, "Limit": 100,
                                  "ExclusiveStartKey": kv_key(rnd)}),
}


class Client:
    """Pre-signs requests, then sends them on one keep-alive connection."""

    def __init__(self, port):
        self.port = port
        self.auth = SigV4Auth(Credentials(AK, SK), "dynamodb", REGION)
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def sign(self, operation, body):
        data = json.dumps(body, separators=(",", ":")).encode()
        request = AWSRequest(method="POST", url=f"http://127.0.0.1:{self.port}/", data=data, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + operation})
        self.auth.add_auth(request)
        return data, dict(request.headers.items())

    def send(self, signed):
        data, headers = signed
        self.conn.request("POST", "/", body=data, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {body[:300]!r}")
        return json.loads(body)

    def call(self, operation, body):
        return self.send(self.sign(operation, body))


def preload(client, rnd):
    client.call("CreateTable", {"TableName": KV, "BillingMode": "PAY_PER_REQUEST",
                                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    client.call("CreateTable", {"TableName": Q, "BillingMode": "PAY_PER_REQUEST",
                                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                         {"AttributeName": "sk", "AttributeType": "S"}],
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "sk", "KeyType": "RANGE"}]})
    items = [(KV, kv_item(i, rnd)) for i in range(KV_ITEMS)]
    items += [(Q, q_item(p, j, rnd)) for p in range(Q_PARTS) for j in range(10)]
    for start in range(0, len(items), 25):
        batch = {}
        for table, item in items[start:start + 25]:
            batch.setdefault(table, []).append({"PutRequest": {"Item": item}})
        while batch:
            batch = client.call("BatchWriteItem", {"RequestItems": batch}).get("UnprocessedItems") or {}


def add_probes(binary):
    events = []
    for function in MI_FUNCTIONS + PAGE_FUNCTIONS:
        subprocess.run(["perf", "probe", "-q", "-x", binary, "--add", f"hb_{function}={function}"],
                       check=True, capture_output=True)
        events.append(f"probe_halyard:hb_{function}")
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    for function in ["malloc", "calloc", "realloc"]:
        subprocess.run(["perf", "probe", "-q", "-x", libc, "--add", f"hb_{function}={function}"],
                       check=True, capture_output=True)
        events.append(f"probe_libc:hb_{function}")
    return events


def remove_probes():
    subprocess.run(["perf", "probe", "-q", "-d", "probe_halyard:hb_*", "-d", "probe_libc:hb_*"],
                   capture_output=True)


def instructions(pid, client, signed, dumps):
    """Ir of the server between zeroing and dumping callgrind's counters."""
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
    for request in signed:
        client.send(request)
    before = set(os.listdir(dumps))
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
    total = 0
    for name in sorted(set(os.listdir(dumps)) - before):
        with open(os.path.join(dumps, name)) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = max(total, int(line.split()[1]))
    return {"instructions": total}


def count(pid, events, client, signed):
    out = tempfile.NamedTemporaryFile(suffix=".perf", delete=False).name
    perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", out, "-e", ",".join(events), "-p", str(pid)])
    time.sleep(0.3)  # perf attaches
    for request in signed:
        client.send(request)
    perf.send_signal(signal.SIGINT)
    perf.wait()
    counts = {}
    with open(out) as f:
        for line in f:
            fields = line.strip().split(",")
            if len(fields) > 2 and fields[0].replace(".", "").isdigit():
                counts[fields[2]] = float(fields[0])
    os.unlink(out)
    return counts


def start(binary, port, data, wrapper=()):
    env = dict(os.environ, HALYARD_ROOT_ACCESS_KEY_ID=AK, HALYARD_ROOT_SECRET_ACCESS_KEY=SK)
    server = subprocess.Popen([*wrapper, binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data + "/db"],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(data + "/server.log", "a"))
    for _ in range(600):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port)
            probe.request("GET", "/")
            probe.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def stop(server):
    server.send_signal(signal.SIGTERM)
    server.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--halyard", default="target/release/halyard")
    ap.add_argument("--label", default="halyard")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--ops", default=",".join(REQUESTS))
    ap.add_argument("--allocs", action="store_true", help="count allocator calls (uprobes), not instructions")
    ap.add_argument("--port", type=int, default=18411)
    ap.add_argument("--json", help="append the results as one JSON line")
    ap.add_argument("--profiles", help="keep callgrind's dumps (one per operation) in this directory")
    a = ap.parse_args()
    binary = os.path.abspath(a.halyard)
    data = tempfile.mkdtemp(prefix="halyard-costs.")
    dumps = os.path.join(data, "callgrind")
    os.mkdir(dumps)
    server = start(binary, a.port, data)
    try:
        rnd = random.Random(42)
        preload(Client(a.port), rnd)
        stop(server)
        if a.allocs:
            remove_probes()
            events = add_probes(binary)
            server = start(binary, a.port, data)
        else:
            server = start(binary, a.port, data, ["valgrind", "--tool=callgrind", "--trace-children=no",
                                                   f"--callgrind-out-file={dumps}/callgrind.out.%p"])
        client = Client(a.port)
        results = {}
        for op in a.ops.split(","):
            signed = [client.sign(*REQUESTS[op](rnd)) for _ in range(a.warmup + a.requests)]
            for request in signed[:a.warmup]:  # warm caches and the statement cache
                client.send(request)
            if a.allocs:
                counts = count(server.pid, events, client, signed[a.warmup:])
            else:
                counts = instructions(server.pid, client, signed[a.warmup:], dumps)
                if a.profiles:
                    os.makedirs(a.profiles, exist_ok=True)
                    newest = max(os.listdir(dumps), key=lambda n: os.path.getmtime(os.path.join(dumps, n)))
                    shutil.copy(os.path.join(dumps, newest), os.path.join(a.profiles, f"{a.label}-{op}.callgrind"))
            results[op] = {event.split(":")[-1]: value / a.requests for event, value in counts.items()}
            if a.allocs:
                results[op]["total"] = sum(v for k, v in results[op].items() if k.removeprefix("hb_") not in PAGE_FUNCTIONS)
            shown = "  ".join(f"{event}={value:,.1f}" for event, value in results[op].items())
            print(f"{a.label:10} {op:13} per request: {shown}", flush=True)
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps({"label": a.label, "allocs": a.allocs, "results": results}) + "\n")
    finally:
        if a.allocs:
            remove_probes()
        stop(server)
        subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    sys.exit(main())
