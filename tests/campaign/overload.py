#!/usr/bin/env python3
"""Overload campaign: the real halyard binary under abusive clients.

For --duration seconds, at once:
  - --connections keep-alive connections (10x the benchmark's 32) send real
    PutItem/GetItem requests as fast as they are answered;
  - --slow-headers clients dribble request headers (slowloris), and
    --slow-bodies clients dribble request bodies, reconnecting when cut off;
  - --huge clients send 16 MB bodies (an item of 16 MB, refused as too
    large) and 17 MB ones (refused as over the request limit);
  - --nested clients send deeply nested JSON bodies;
  - --idle sockets are opened and kept open, beyond --max-connections,
    and reopened when the server closes them;
  - one well-behaved boto3 client, in a process of its own, does PutItem
    then GetItem in a loop (also for 3 s alone before the storm, to compare).

It reports the server's peak RSS (VmHWM from /proc), whether it stayed up,
every answer by status, and the latency the boto3 client saw (p50, p99).
It fails (exit 1) if the server crashed, answered any 5xx, or failed the
boto3 client; it asserts nothing about speed.

    .venv/bin/python tests/campaign/overload.py --binary target/release/halyard --duration 60
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import resource
import select
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import boto3
from botocore.config import Config

TABLE = "overload"
AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=AKIDHALYARDTEST/20261125/us-east-1/dynamodb/aws4_request, "
                 "SignedHeaders=host, Signature=00")
CREDENTIALS = {"aws_access_key_id": "AKIDHALYARDTEST", "aws_secret_access_key": "halyard-test-secret"}
KEYS = 10_000


class Tally:
    """Thread-safe counters by category and outcome."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, category, outcome, n=1):
        with self.lock:
            self.counts.setdefault(category, Counter())[str(outcome)] += n

    def snapshot(self):
        with self.lock:
            return {category: dict(counter) for category, counter in self.counts.items()}


def headers_for(operation):
    return {"X-Amz-Target": f"DynamoDB_20120810.{operation}", "Authorization": AUTHORIZATION,
            "Content-Type": "application/x-amz-json-1.0"}


def request_head(operation, content_length):
    lines = [f"POST / HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers_for(operation).items()),
             f"Content-Length: {content_length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def readable(sock, timeout):
    """Whether `sock` has data (or is closed) within `timeout` seconds; poll,
    unlike select, takes descriptors above 1023."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def answer_type(status, payload):
    if status == 200:
        return "200"
    try:
        return f"{status} {json.loads(payload)['__type'].rsplit('#', 1)[-1]}"
    except (ValueError, KeyError, TypeError):
        return str(status)


def boto3_client(port):
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=60,
                                      read_timeout=60, max_pool_connections=1), **CREDENTIALS)


def well_behaved(port, stop, results):
    """The well-behaved client: PutItem then a consistent GetItem of the same
    item, in a loop, in a process of its own (the campaign's clients would
    otherwise delay it on the GIL). Sends back (latencies, failures)."""
    client = boto3_client(port)
    latencies, failures = [], []
    n = 0
    while not stop.is_set():
        key = {"pk": {"S": f"wb{n % 100}"}}
        started = time.perf_counter()
        try:
            client.put_item(TableName=TABLE, Item={**key, "n": {"N": str(n)}})
            item = client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
            if item["n"] != {"N": str(n)}:
                failures.append(f"read {item} after writing {n}")
        except Exception as error:  # every failure is reported, whatever its kind
            failures.append(repr(error))
        latencies.append(time.perf_counter() - started)
        n += 1
    results.put((latencies, failures))


def measure_well_behaved(port, seconds=None, stop=None):
    """Runs the well-behaved client until `stop` is set (or for `seconds`)."""
    context = multiprocessing.get_context("spawn")
    stop_child, results = context.Event(), context.Queue()
    child = context.Process(target=well_behaved, args=(port, stop_child, results))
    child.start()
    if stop is None:
        time.sleep(seconds)
    else:
        stop.wait()
    stop_child.set()
    outcome = results.get(timeout=180)
    child.join(30)
    return outcome


def latency_summary(latencies, failures):
    latencies = sorted(latencies)

    def percentile(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    return {"iterations (PutItem + GetItem)": len(latencies), "failures": len(failures),
            "first_failures": failures[:5], "p50_ms": percentile(0.50), "p99_ms": percentile(0.99),
            "max_ms": percentile(1.0)}


class Campaign:
    def __init__(self, args):
        self.args = args
        self.tally = Tally()
        self.stop = threading.Event()
        self.rss_samples = []
        self.crashed = None
        self.client_errors = []

    # --- the server -------------------------------------------------------

    def start_server(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="halyard-overload-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = open(self.workdir / "halyard.log", "wb")
        command = [self.args.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir",
                   str(self.workdir / "data"), "--max-connections", str(self.args.max_connections),
                   # The flood's raw requests carry a fixed, unsigned Authorization header.
                   "--auth", "off", *self.args.server_args]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"halyard exited with {self.process.returncode}")
                time.sleep(0.05)
        raise RuntimeError("halyard did not start")

    def stop_server(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.log.close()
        if not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def client(self):
        return boto3_client(self.port)

    def monitor(self):
        status = Path(f"/proc/{self.process.pid}/status")
        while not self.stop.is_set():
            if self.process.poll() is not None:
                self.crashed = self.process.returncode
                self.stop.set()
                return
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.rss_samples.append(int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.1)

    def peak_rss_kib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    # --- clients ------------------------------------------------------------

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def load(self, seed):
        rng = random.Random(seed)
        connection = self.connect()
        while not self.stop.is_set():
            key = f"k{rng.randrange(KEYS)}"
            if rng.random() < 0.5:
                operation = "PutItem"
                body = {"TableName": TABLE, "Item": {"pk": {"S": key}, "v": {"S": "x" * 150}}}
            else:
                operation = "GetItem"
                body = {"TableName": TABLE, "Key": {"pk": {"S": key}}}
            try:
                connection.request("POST", "/", body=json.dumps(body), headers=headers_for(operation))
                response = connection.getresponse()
                self.tally.add("load", answer_type(response.status, response.read()))
            except (OSError, http.client.HTTPException):
                self.tally.add("load", "connection lost, reconnected")
                connection.close()
                connection = self.connect()
        connection.close()

    def dribble(self, category, head, piece, interval):
        """Sends `head`, then `piece` every `interval` seconds until the
        server answers or closes; then reconnects."""
        while not self.stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            except OSError:
                self.tally.add(category, "connect failed")
                time.sleep(0.5)
                continue
            with sock:
                answer = b""
                try:
                    sock.sendall(head)
                    while not self.stop.is_set():
                        if readable(sock, interval):
                            chunk = sock.recv(65536)
                            if not chunk:
                                break
                            answer += chunk
                            continue
                        sock.sendall(piece)
                except OSError:
                    pass
                if self.stop.is_set():
                    return
                if answer.startswith(b"HTTP/1.1 "):
                    status = int(answer[9:12])
                    self.tally.add(category, answer_type(status, answer.split(b"\r\n\r\n", 1)[-1]))
                else:
                    self.tally.add(category, "cut off")

    def slow_headers(self, _):
        self.dribble("slow headers", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: a\r\n", 1.0)

    def slow_body(self, index):
        # Half declare a budgeted body (1 MiB), half a small one.
        length = 1024 * 1024 if index % 2 == 0 else 10_000
        self.dribble("slow bodies", request_head("PutItem", length), b" ", 0.5)

    def huge(self, index):
        connection = self.connect()
        # 16 MB exactly (an item far over 400 KB) and 17 MB (over the limit).
        size = 16 * 1024 * 1024 if index % 2 == 0 else 17 * 1024 * 1024
        prefix = json.dumps({"TableName": TABLE, "Item": {"pk": {"S": "huge"}, "v": {"S": ""}}})[:-4]
        body = (prefix + "x" * (size - len(prefix) - 4) + '"}}}').encode()
        while not self.stop.is_set():
            try:
                connection.request("POST", "/", body=body, headers=headers_for("PutItem"))
                response = connection.getresponse()
                self.tally.add("huge bodies", answer_type(response.status, response.read()))
            except (OSError, http.client.HTTPException):
                self.tally.add("huge bodies", "connection closed")
                connection.close()
                connection = self.connect()
        connection.close()

    def nested(self, index):
        depth = 100_000
        bodies = [
            # An item nested far past DynamoDB's 32 levels.
            ('{"TableName":"%s","Item":{"pk":{"S":"n"},"m":' % TABLE + '{"M":{"a":' * depth + '{"S":"x"}'
             + "}}" * depth + "}}").encode(),
            ("[" * depth + "]" * depth).encode(),
            ('{"a":' * depth + "1" + "}" * depth).encode(),
        ]
        connection = self.connect()
        rng = random.Random(index)
        while not self.stop.is_set():
            try:
                connection.request("POST", "/", body=rng.choice(bodies), headers=headers_for("PutItem"))
                response = connection.getresponse()
                self.tally.add("nested bodies", answer_type(response.status, response.read()))
            except (OSError, http.client.HTTPException):
                self.tally.add("nested bodies", "connection closed")
                connection.close()
                connection = self.connect()
        connection.close()

    def idle(self, _):
        watched = selectors.DefaultSelector()
        while not self.stop.is_set():
            while len(watched.get_map()) < self.args.idle and not self.stop.is_set():
                try:
                    watched.register(socket.create_connection(("127.0.0.1", self.port), timeout=5),
                                     selectors.EVENT_READ)
                    self.tally.add("idle sockets", "opened")
                except OSError:
                    self.tally.add("idle sockets", "connect failed")
                    break
            for key, _ in watched.select(0.5):
                try:
                    data = key.fileobj.recv(1)
                except OSError:
                    data = b""
                if not data:
                    self.tally.add("idle sockets", "closed by the server")
                    watched.unregister(key.fileobj)
                    key.fileobj.close()
        for key in list(watched.get_map().values()):
            key.fileobj.close()
        watched.close()

    def guarded(self, work, index):
        """Runs one client; a client that breaks makes the campaign fail
        rather than report too little."""
        try:
            work(index)
        except Exception as error:  # reported whatever its kind
            self.client_errors.append(f"{work.__name__}: {error!r}")

    # --- the run --------------------------------------------------------------

    def run(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        self.start_server()
        try:
            self.client().create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
            quiet = latency_summary(*measure_well_behaved(self.port, seconds=3))
            baseline = self.peak_rss_kib()
            groups = [(self.load, self.args.connections), (self.slow_headers, self.args.slow_headers),
                      (self.slow_body, self.args.slow_bodies), (self.huge, self.args.huge),
                      (self.nested, self.args.nested), (self.idle, 1 if self.args.idle else 0)]
            threads = [threading.Thread(target=self.monitor, daemon=True)]
            threads += [threading.Thread(target=self.guarded, args=(work, i), daemon=True)
                        for work, count in groups for i in range(count)]
            for thread in threads:
                thread.start()
            started = time.monotonic()
            timer = threading.Timer(self.args.duration, self.stop.set)
            timer.start()
            loaded = latency_summary(*measure_well_behaved(self.port, stop=self.stop))
            timer.cancel()
            elapsed = time.monotonic() - started
            for thread in threads:
                thread.join(120)
            alive = self.process.poll() is None
            after = None
            if alive:
                after = self.client().describe_table(TableName=TABLE)["Table"]["TableStatus"]
            return self.report(elapsed, baseline, alive, after, quiet, loaded)
        finally:
            self.stop.set()
            self.stop_server()

    def report(self, elapsed, baseline, alive, after, quiet, loaded):
        counts = self.tally.snapshot()
        server_errors = sum(n for outcomes in counts.values() for outcome, n in outcomes.items()
                            if outcome[:1] == "5")
        return {
            "duration_s": round(elapsed, 1),
            "server_args": ["--max-connections", str(self.args.max_connections), *self.args.server_args],
            "clients": {"load connections": self.args.connections, "slow headers": self.args.slow_headers,
                        "slow bodies": self.args.slow_bodies, "huge": self.args.huge, "nested": self.args.nested,
                        "idle sockets": self.args.idle},
            "server_alive": alive and self.crashed is None,
            "server_exit_code": self.crashed,
            "answers_after_the_run": after,
            "rss_kib": {"baseline_peak": baseline, "peak_vmhwm": self.peak_rss_kib() if alive else None,
                        "max_sampled_vmrss": max(self.rss_samples, default=None)},
            "answers": counts,
            "server_errors_5xx": server_errors,
            "campaign_client_errors": self.client_errors,
            "load_requests_per_s": round(sum(counts.get("load", {}).values()) / elapsed, 1),
            "well_behaved_alone": quiet,
            "well_behaved": loaded,
        }


def parse_args(argv=None):
    root = Path(__file__).resolve().parents[2]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.environ.get("HALYARD_BIN", str(root / "target/release/halyard")))
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--connections", type=int, default=320)
    parser.add_argument("--slow-headers", type=int, default=100)
    parser.add_argument("--slow-bodies", type=int, default=50)
    parser.add_argument("--huge", type=int, default=8)
    parser.add_argument("--nested", type=int, default=4)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--max-connections", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the data directory and log")
    parser.add_argument("server_args", nargs="*", default=["--header-timeout", "5", "--body-timeout", "10"],
                        help="further halyard flags (after --), default: --header-timeout 5 --body-timeout 10")
    return parser.parse_args(argv)


def failures(report):
    """What makes the campaign fail: a crash, a 5xx, or a failed boto3 call."""
    problems = []
    if not report["server_alive"]:
        problems.append(f"the server died (exit code {report['server_exit_code']})")
    if report["answers_after_the_run"] != "ACTIVE":
        problems.append("the server did not answer after the run")
    if report["campaign_client_errors"]:
        problems.append(f"campaign clients broke: {report['campaign_client_errors'][:5]}")
    if report["server_errors_5xx"]:
        problems.append(f"{report['server_errors_5xx']} answers were 5xx")
    if report["well_behaved"]["failures"] or not report["well_behaved"]["iterations (PutItem + GetItem)"]:
        problems.append(f"the well-behaved client failed: {report['well_behaved']['first_failures']}")
    return problems


def main(argv=None):
    report = Campaign(parse_args(argv)).run()
    print(json.dumps(report, indent=2))
    problems = failures(report)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
