"""The two endpoints: raw HTTP requests to them, and starting them when no
URL is given (Halyard through tests/e2e/harness.py, DynamoDB Local from the
npm package amplify-dynamodb-simulator, which bundles DynamoDBLocal.jar)."""

import http.client
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness  # noqa: E402

# Gitignored: the downloaded DynamoDB Local package.
CACHE = HERE / ".cache"
LOCAL_PACKAGE = "amplify-dynamodb-simulator@2.9.30"
# Halyard accepts any Authorization header and DynamoDB Local checks only
# its form, so requests need no real signature (and botocore's client-side
# validation never sees them).
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=AKIDHALYARDDIFF/20261201/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0000"
)


class Endpoint:
    """One DynamoDB-compatible HTTP endpoint, on a kept-alive connection."""

    def __init__(self, url):
        self.url = url
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.connection = None
        # What `${NAME}` stands for in this endpoint's requests (stream ARNs,
        # shard ids and iterators, which each endpoint names its own way).
        self.variables = {}

    def substitute(self, body):
        for name, value in self.variables.items():
            body = body.replace(f"${{{name}}}".encode(), value.encode())
        return body

    def generalize(self, text):
        """`text` with this endpoint's own names replaced by `${NAME}`."""
        for name, value in self.variables.items():
            text = text.replace(value, f"${{{name}}}")
        return text

    def send(self, operation, body, target_prefix="DynamoDB_20120810."):
        """POSTs `body` (bytes) as `operation`; returns (status, parsed body)."""
        body = self.substitute(body)
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": target_prefix + operation,
            "X-Amz-Date": "20261201T000000Z",
            "Authorization": AUTHORIZATION,
        }
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request("POST", "/", body=body, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                break
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = {"__type": "<not JSON>", "message": payload[:200].decode(errors="replace")}
        return response.status, parsed

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def wait_until_answering(url, process, timeout=60):
    endpoint = Endpoint(url)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            endpoint.send("ListTables", b"{}")
            endpoint.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start answering")


def dynamodb_local_jar():
    """DynamoDBLocal.jar, fetched with `npm pack` into the cache on first use."""
    emulator = CACHE / "package" / "emulator"
    jar = emulator / "DynamoDBLocal.jar"
    if jar.exists():
        return jar
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", LOCAL_PACKAGE, "--silent"], cwd=CACHE, check=True, stdout=subprocess.DEVNULL)
    tarball = next(CACHE.glob("amplify-dynamodb-simulator-*.tgz"))
    with tarfile.open(tarball) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(CACHE, filter="data")
        else:  # Python before 3.11.4 / 3.12: no extraction filters
            archive.extractall(CACHE)
    tarball.unlink()
    return jar


class Started:
    """The endpoints this run started; stopped by close()."""

    def __init__(self):
        self.processes, self.directories, self.halyard = [], [], None

    def halyard_url(self):
        directory = Path(tempfile.mkdtemp(prefix="halyard-diff-"))
        self.directories.append(directory)
        # Both sides get the same raw, unsigned requests: Halyard, like
        # DynamoDB Local, accepts any credentials with --auth off.
        self.halyard = harness.Server(directory / "data", "--durability", "relaxed", "--auth", "off").start()
        return self.halyard.endpoint

    def local_url(self):
        jar = dynamodb_local_jar()
        port = harness.free_port()
        log = open(CACHE / "dynamodb-local.log", "ab")
        process = subprocess.Popen(
            ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar), "-inMemory", "-port", str(port)],
            cwd=jar.parent, stdout=log, stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_answering(url, process)
        return url

    def close(self):
        if self.halyard:
            self.halyard.stop()
        for process in self.processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for directory in self.directories:
            shutil.rmtree(directory, ignore_errors=True)
