"""End-to-end fixtures: start the real `halyard` binary and talk to it with
real clients (boto3, the AWS CLI, raw HTTP for malformed requests)."""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

# Re-exported: the tests import the process and table helpers from here.
from harness import BINARY, ON_POSTGRES, Server, create_table  # noqa: F401


def sqlite_only(reason):
    """Skips a test (or, as `pytestmark`, a module) of the SQLite adapter's
    files when the suite runs over PostgreSQL (HALYARD_TEST_STORAGE)."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="halyard-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class ExternalServer(Server):
    """An already running DynamoDB-compatible endpoint (HALYARD_TEST_ENDPOINT),
    e.g. DynamoDB Local, to check that a test asserts what DynamoDB does."""

    def __init__(self, endpoint):
        super().__init__(Path(tempfile.gettempdir()))
        self._endpoint = endpoint

    @property
    def endpoint(self):
        return self._endpoint

    def stop(self):
        pass


@pytest.fixture(scope="session")
def server(workdir):
    """A server shared by the tests of a session (tests use unique table names)."""
    external = os.environ.get("HALYARD_TEST_ENDPOINT")
    instance = ExternalServer(external) if external else Server(workdir / "shared-data").start()
    yield instance
    instance.stop()


@pytest.fixture
def fresh_server(workdir):
    """A server of the test's own, on its own data directory."""
    instance = Server(workdir / f"data-{uuid.uuid4().hex[:8]}")
    yield instance
    instance.stop()


@pytest.fixture
def plaintext(monkeypatch):
    """Servers and commands the test starts run with --encryption off: for
    tests that read or damage the SQLite file itself."""
    monkeypatch.setenv("HALYARD_ENCRYPTION", "off")


@pytest.fixture
def client(server):
    return server.client()


@pytest.fixture
def lax(server):
    """A client that sends what it is given (no client-side validation)."""
    return server.client(parameter_validation=False)


@pytest.fixture
def tables(client, table_name):
    """Two tables: `h` (pk S) and `r` (pk S, sk N)."""
    h, r = table_name + "-h", table_name + "-r"
    create_table(client, h)
    create_table(client, r, range_key=("sk", "N"))
    return h, r


@pytest.fixture
def table_name():
    return f"t-{uuid.uuid4().hex[:12]}"
