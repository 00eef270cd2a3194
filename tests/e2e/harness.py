"""The real `halyard` binary as a process the tests and the campaign scripts
(tests/campaign) start, kill with SIGKILL and restart on a data directory,
with boto3 clients for it. Imports nothing from pytest, so that scripts run
outside pytest can use it."""

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("HALYARD_BIN", ROOT / "target" / "release" / "halyard"))
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "AKIDHALYARDTEST", "aws_secret_access_key": "halyard-test-secret"}
SINGLE_ATTEMPT = {"total_max_attempts": 1}
# HALYARD_TEST_STORAGE=postgres: every server keeps its data in PostgreSQL
# (the server at HALYARD_TEST_POSTGRES_URL, e.g. one that
# scripts/postgres-cluster.sh started), in a schema of its own per data
# directory; SQLite otherwise.
STORAGE = os.environ.get("HALYARD_TEST_STORAGE", "sqlite")
POSTGRES_URL = os.environ.get("HALYARD_TEST_POSTGRES_URL")
PSQL = Path(os.environ.get("HALYARD_PG_BIN", "/usr/lib/postgresql/15/bin")) / "psql"
ON_POSTGRES = STORAGE == "postgres"


def postgres_storage(data_dir):
    """The --storage URL of the PostgreSQL schema that stands for
    `data_dir` (created when new): a server restarted on the same directory
    finds its data again, a new directory starts empty."""
    if not POSTGRES_URL:
        raise RuntimeError("HALYARD_TEST_STORAGE=postgres needs HALYARD_TEST_POSTGRES_URL")
    schema = "h_" + hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:24]
    subprocess.run(
        [str(PSQL), POSTGRES_URL, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE SCHEMA IF NOT EXISTS {schema}"],
        check=True, capture_output=True,
    )
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def storage_args(data_dir, extra_args=()):
    """The server's storage flags beside --data-dir (none for an in-memory
    server: that one is SQLite in a temporary directory; none when the test
    names its storage itself)."""
    if not ON_POSTGRES or "--in-memory" in extra_args or "--storage" in extra_args:
        return []
    return ["--storage", postgres_storage(data_dir)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One halyard process on a data directory; can be stopped, killed and
    restarted on the same directory."""

    def __init__(self, data_dir, *extra_args, env=None, root_from_environment=True):
        self.data_dir = Path(data_dir)
        # False: the server generates its root credentials into
        # <data-dir>/credentials, as on a user's first start.
        self.root_from_environment = root_from_environment
        self.extra_args = list(extra_args)
        # The process's environment (None: this one's), e.g. to preload a shim.
        self.env = env
        self.port = free_port()
        self.process = None
        self.log = None
        # Run in the child before exec, e.g. to lower its resource limits.
        self.preexec_fn = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait=True):
        self.log = open(self.data_dir.parent / f"halyard-{self.port}.log", "ab")
        # The clients' credentials are the server's root credentials.
        env = dict(os.environ if self.env is None else self.env)
        if self.root_from_environment:
            env.setdefault("HALYARD_ROOT_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
            env.setdefault("HALYARD_ROOT_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
        else:
            env.pop("HALYARD_ROOT_ACCESS_KEY_ID", None)
            env.pop("HALYARD_ROOT_SECRET_ACCESS_KEY", None)
        if ON_POSTGRES:
            # Halyard encrypts only its SQLite store (docs/postgres.md).
            env.setdefault("HALYARD_ENCRYPTION", "off")
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir),
             *storage_args(self.data_dir, self.extra_args), *self.extra_args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=self.preexec_fn,
            env=env,
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"halyard exited with {self.process.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        raise RuntimeError("halyard did not become ready")

    def health(self):
        """GET /health: (HTTP status, JSON body)."""
        try:
            with urllib.request.urlopen(self.endpoint + "/health", timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def read_log(self):
        self.log.flush()
        return (self.data_dir.parent / f"halyard-{self.port}.log").read_text(errors="replace")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)
        if self.log:
            self.log.close()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)
        self.log.close()

    def client(self, retries=None, **config):
        """A boto3 client. botocore's max_attempts counts retries: by default
        a failed request is retried once; pass SINGLE_ATTEMPT where a retry
        would hide what happened to the first attempt."""
        return boto3.client(
            "dynamodb", endpoint_url=self.endpoint, region_name=REGION,
            config=Config(retries=retries or {"max_attempts": 1}, **config), **CREDENTIALS,
        )

    def streams(self, **config):
        """A boto3 DynamoDB Streams client (same endpoint)."""
        return boto3.client(
            "dynamodbstreams", endpoint_url=self.endpoint, region_name=REGION,
            config=Config(retries={"max_attempts": 1}, **config), **CREDENTIALS,
        )

    def resource(self):
        return boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def raw(self, operation, body, target_prefix="DynamoDB_20120810.", headers=None):
        """POST a raw body (bytes, str or JSON-able) and return (status, headers, parsed body)."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        request_headers = {"Content-Type": "application/x-amz-json-1.0"}
        if operation is not None:
            request_headers["X-Amz-Target"] = target_prefix + operation
        request_headers.update(headers or {})
        if "Authorization" not in request_headers:
            request_headers.update(sign(self.endpoint + "/", body, request_headers))
        request_headers = {k: v for k, v in request_headers.items() if v is not None}
        request = urllib.request.Request(self.endpoint + "/", data=body, headers=request_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            payload = error.read()
            return error.code, dict(error.headers), json.loads(payload) if payload else None


class TlsServer(Server):
    """A halyard process serving HTTPS, trusted through `ca_bundle` (the
    self-signed certificate in the data directory unless given)."""

    def __init__(self, data_dir, *extra_args, ca_bundle=None, host="127.0.0.1", env=None):
        super().__init__(data_dir, *extra_args, env=env)
        self.ca_bundle = Path(ca_bundle) if ca_bundle else self.data_dir / "tls" / "cert.pem"
        self.host = host

    @property
    def endpoint(self):
        return f"https://{self.host}:{self.port}"

    def context(self):
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"halyard exited with {self.process.returncode}: {self.read_log()}")
            if self.ca_bundle.exists():
                try:
                    with urllib.request.urlopen(self.endpoint + "/", timeout=1, context=self.context()) as response:
                        if response.status == 200:
                            return
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"halyard did not become ready: {self.read_log()}")

    def client(self, verify=None, **config):
        return boto3.client(
            "dynamodb", endpoint_url=self.endpoint, region_name=REGION,
            verify=str(verify or self.ca_bundle),
            config=Config(retries={"max_attempts": 1}, **config), **CREDENTIALS,
        )


AWS_CLI = str(Path(sys.executable).parent / "aws")


def aws(server, *args, check=True, service="dynamodb", credentials=None):
    """Runs the AWS CLI (`aws SERVICE ARGS...`) against the server, with the
    root's credentials unless others are given; returns the CompletedProcess."""
    credentials = credentials or CREDENTIALS
    env = {**os.environ, "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
           "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1"}
    env.pop("AWS_SESSION_TOKEN", None)
    if credentials.get("aws_session_token"):
        env["AWS_SESSION_TOKEN"] = credentials["aws_session_token"]
    result = subprocess.run([AWS_CLI, "--endpoint-url", server.endpoint, "--output", "json", service, *args],
                            capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def sign(url, body, headers, service="dynamodb", credentials=None, at=None):
    """The SigV4 headers (Authorization, X-Amz-Date) botocore would add to a
    POST of `body` with `headers`, signed with `credentials` (the root's
    by default) at `at` (a naive UTC datetime; now by default)."""
    credentials = credentials or CREDENTIALS
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={k: v for k, v in headers.items() if v is not None})
    signer = SigV4Auth(Credentials(credentials["aws_access_key_id"], credentials["aws_secret_access_key"],
                                   credentials.get("aws_session_token")), service, REGION)
    if at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
    return {name: request.headers[name] for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
            if name in request.headers}


def create_table(client, name, hash_key=("pk", "S"), range_key=None, **extra):
    definitions = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        definitions.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    extra.setdefault("BillingMode", "PAY_PER_REQUEST")
    return client.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=definitions, **extra)


def scan_all(client, table, **kwargs):
    """Every item of a table (or of an index, with IndexName), across pages."""
    items = []
    for page in client.get_paginator("scan").paginate(TableName=table, **kwargs):
        items.extend(page["Items"])
    return items
