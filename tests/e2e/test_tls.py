"""HTTPS: `--tls self-signed` (a certificate made once and kept in the data
directory) and `--tls-cert`/`--tls-key` (PEM files, here made with the
openssl command), used by boto3 with `verify=<certificate>`; plain HTTP to
the HTTPS port, and clients that never finish their handshake. Timeouts
are shortened by flags; the tests assert what happens, never how fast
(elapsed times are printed)."""

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import create_table
from harness import BINARY, CREDENTIALS, REGION, Server, TlsServer
from helpers import closed_by_server, hkey

# A bound on how long the server may take to act, so that a test fails
# rather than hangs; far above every timeout the tests set.
PATIENCE = 30


@pytest.fixture
def data_dir(workdir):
    return workdir / f"data-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def servers():
    """Servers a test starts; each is stopped at its end."""
    started = []
    yield started
    for server in started:
        server.stop()


def start(servers, server):
    servers.append(server)
    return server.start()


def openssl_certificate(directory, name="localhost"):
    """A self-signed RSA certificate for `name` and 127.0.0.1, and its key."""
    certificate, key = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(certificate), "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name},IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return certificate, key


def round_trip(client, table):
    create_table(client, table)
    client.put_item(TableName=table, Item={**hkey("a"), "v": {"S": "over TLS"}})
    assert client.get_item(TableName=table, Key=hkey("a"))["Item"]["v"] == {"S": "over TLS"}


# --- Self-signed -------------------------------------------------------------

def test_self_signed_certificate_is_made_once_and_trusted_by_boto3(servers, data_dir, table_name):
    server = start(servers, TlsServer(data_dir, "--tls", "self-signed"))
    certificate = data_dir / "tls" / "cert.pem"
    # One line tells where the certificate is, for AWS_CA_BUNDLE.
    assert f"AWS_CA_BUNDLE={certificate.resolve()}" in server.read_log()
    round_trip(server.client(), table_name)
    for host in ("localhost", "127.0.0.1"):
        server.host = host
        assert table_name in server.client().list_tables()["TableNames"]
    first = certificate.read_bytes()

    server.stop()
    server = start(servers, TlsServer(data_dir, "--tls", "self-signed"))
    # The same certificate: a client given it before still trusts the server.
    assert certificate.read_bytes() == first
    assert "kept from an earlier start" in server.read_log()
    assert server.client().get_item(TableName=table_name, Key=hkey("a"))["Item"]["v"] == {"S": "over TLS"}


def test_in_memory_self_signed_certificate_is_in_the_temporary_directory(servers, workdir):
    # --in-memory takes no --data-dir: the process is started here.
    server = TlsServer(workdir / f"in-memory-{uuid.uuid4().hex[:8]}")
    servers.append(server)
    server.log = open(workdir / f"halyard-{server.port}.log", "ab")
    server.process = subprocess.Popen(
        [str(BINARY), "serve", "--listen", f"127.0.0.1:{server.port}", "--in-memory", "--tls", "self-signed"],
        stdout=server.log, stderr=subprocess.STDOUT,
        env={**os.environ, "HALYARD_ROOT_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
             "HALYARD_ROOT_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"]},
    )
    deadline = time.time() + PATIENCE
    found = None
    while found is None and time.time() < deadline and server.process.poll() is None:
        found = re.search(r"AWS_CA_BUNDLE=(\S+)", server.read_log())
        time.sleep(0.05)
    assert found, server.read_log()
    server.ca_bundle = Path(found.group(1))
    server.wait_ready()
    assert "TableNames" in server.client().list_tables()
    server.stop()
    # Deleted with the temporary directory.
    assert not server.ca_bundle.exists()


# --- Given certificate and key ----------------------------------------------

def test_given_certificate_and_key_serve_https(servers, data_dir, workdir, table_name):
    certificate, key = openssl_certificate(workdir)
    server = start(servers, TlsServer(data_dir, "--tls-cert", str(certificate), "--tls-key", str(key),
                                      ca_bundle=certificate))
    round_trip(server.client(), table_name)
    server.host = "localhost"
    assert table_name in server.client().list_tables()["TableNames"]
    # Nothing was written into the data directory for TLS.
    assert not (data_dir / "tls").exists()


def test_certificate_and_key_can_be_given_in_the_environment(servers, data_dir, workdir):
    certificate, key = openssl_certificate(workdir)
    env = {**os.environ, "HALYARD_TLS_CERT": str(certificate), "HALYARD_TLS_KEY": str(key)}
    server = start(servers, TlsServer(data_dir, ca_bundle=certificate, env=env))
    assert "TableNames" in server.client().list_tables()


def test_a_client_that_does_not_trust_the_certificate_is_refused(servers, data_dir, workdir):
    certificate, key = openssl_certificate(workdir)
    stranger, _ = openssl_certificate(workdir, name="stranger")
    server = start(servers, TlsServer(data_dir, "--tls-cert", str(certificate), "--tls-key", str(key),
                                      ca_bundle=certificate))
    with pytest.raises(botocore.exceptions.SSLError):
        server.client(verify=stranger).list_tables()
    assert "TableNames" in server.client().list_tables()


@pytest.mark.parametrize("problem", ["mismatched key", "key for certificate", "missing file", "cert without key"])
def test_unusable_certificate_or_key_stops_the_start_with_a_reason(data_dir, workdir, problem):
    certificate, key = openssl_certificate(workdir)
    other_certificate, other_key = openssl_certificate(workdir, name="other")
    args, reason = {
        "mismatched key": (["--tls-cert", str(certificate), "--tls-key", str(other_key)],
                           "the certificate and key cannot be used"),
        "key for certificate": (["--tls-cert", str(key), "--tls-key", str(key)],
                                "the certificate file holds no PEM certificate"),
        "missing file": (["--tls-cert", str(workdir / "absent.pem"), "--tls-key", str(key)],
                         f"--tls-cert {workdir / 'absent.pem'}: No such file"),
        "cert without key": (["--tls-cert", str(certificate)], "--tls-key"),
    }[problem]
    server = Server(data_dir, *args)
    server.start(wait=False)
    assert server.process.wait(PATIENCE) != 0
    log = server.read_log()
    server.stop()
    assert reason in log, log


# --- Plain HTTP and silent clients -------------------------------------------

def test_plain_http_to_the_https_port_is_told_so_and_the_server_goes_on(servers, data_dir):
    server = start(servers, TlsServer(data_dir, "--tls", "self-signed"))
    plain = f"http://127.0.0.1:{server.port}/"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(plain, data=b"{}", method="POST"), timeout=PATIENCE)
    assert refused.value.code == 400
    assert refused.value.read() == b"This port serves HTTPS: use an https:// endpoint.\n"
    # An SDK pointed at http:// fails with an error, not a hang.
    plain_client = boto3.client("dynamodb", endpoint_url=plain, region_name=REGION,
                                config=Config(retries={"max_attempts": 1}), **CREDENTIALS)
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        plain_client.list_tables()
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Bytes that are neither TLS nor HTTP: answered the same way, and closed.
    with socket.create_connection(("127.0.0.1", server.port)) as junk:
        junk.sendall(b"\x00\x01\x02\x03")
        assert closed_by_server(junk, PATIENCE)
    assert "TableNames" in server.client().list_tables()


@pytest.mark.parametrize("sends", [b"", b"\x16\x03\x01"], ids=["nothing", "a partial ClientHello"])
def test_a_handshake_never_completed_is_dropped_without_blocking_others(servers, data_dir, sends):
    server = start(servers, TlsServer(data_dir, "--tls", "self-signed", "--header-timeout", "1"))
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        silent.sendall(sends)
        started = time.monotonic()
        # Served meanwhile.
        assert "TableNames" in server.client().list_tables()
        assert closed_by_server(silent, PATIENCE)
        print(f"handshake that sent {sends!r} dropped after {time.monotonic() - started:.1f} s")
    assert "TableNames" in server.client().list_tables()


@pytest.mark.parametrize("sends", [b"", b"\x16\x03\x01", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"],
                         ids=["nothing", "a partial ClientHello", "plain HTTP, never read"])
def test_stalled_connections_cannot_fill_the_connection_limit(servers, data_dir, sends):
    # A header timeout far beyond the test: only the connection limit acts.
    server = start(servers, TlsServer(data_dir, "--tls", "self-signed", "--max-connections", "5",
                                      "--header-timeout", "600"))
    stalled = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
    try:
        for sock in stalled:
            sock.sendall(sends)
        # Every slot is taken by a connection that goes nowhere; the oldest
        # is closed to make room for the client.
        client = server.client(connect_timeout=PATIENCE, read_timeout=PATIENCE)
        assert "TableNames" in client.list_tables()
        closed = sum(closed_by_server(sock, 0.5) for sock in stalled)
        print(f"{closed} of {len(stalled)} stalled connections that sent {sends!r} closed to make room")
        assert closed > 0
    finally:
        for sock in stalled:
            sock.close()
