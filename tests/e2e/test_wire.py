"""Wire details the SDKs rely on: compressed request bodies (gzip, deflate,
stacked, corrupt, a zip bomb), compressed responses and their x-amz-crc32,
CORS, request ids, connections that survive refused requests, and the
README's quick start run as a script."""

import gzip
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import urllib.parse
import zlib
from pathlib import Path

import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import create_table
from harness import CREDENTIALS, REGION, ROOT, Server, sign
import boto3

AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=AKIDHALYARDTEST/20261125/us-east-1/dynamodb/aws4_request, "
                 "SignedHeaders=host, Signature=00")
JSON_1_0 = "application/x-amz-json-1.0"
REQUEST_ID = re.compile(r"^[0-9A-V]{52}$")
LIMIT = 16 * 1024 * 1024
BOTOCORE_MODEL = Path(botocore.__file__).parent / "data" / "dynamodb" / "2012-08-10" / "service-2.json.gz"


def connect(server):
    endpoint = urllib.parse.urlsplit(server.endpoint)
    return http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=60)


def send(connection, operation, body, headers=None, method="POST"):
    """One request on `connection` (kept open); returns (status, lower-cased
    headers, raw body)."""
    request_headers = {"Content-Type": JSON_1_0}
    if operation:
        request_headers["X-Amz-Target"] = f"DynamoDB_20120810.{operation}"
    request_headers.update(headers or {})
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    if "Authorization" not in request_headers:
        request_headers.update(sign(f"http://{connection.host}:{connection.port}/", body, request_headers))
    request_headers = {k: v for k, v in request_headers.items() if v is not None}
    connection.request(method, "/", body=body, headers=request_headers)
    response = connection.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def post(server, operation, body, headers=None, method="POST"):
    connection = connect(server)
    try:
        return send(connection, operation, body, headers, method)
    finally:
        connection.close()


def error_type(body):
    return json.loads(body)["__type"].split("#")[-1]


def gzipped_zeros(count):
    """`count` zero bytes, gzip-compressed, without holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = []
    for _ in range(count // len(block)):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(bytes(count % len(block))))
    parts.append(compressor.flush())
    return b"".join(parts)


def peak_rss_kib(server):
    """VmHWM, the peak resident set of the server process, in KiB."""
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))


def compressing_client(server, sent_encodings):
    """A boto3 client that gzips every request body with botocore's own
    request compression. DynamoDB's model does not turn it on (its
    operations have no `requestcompression` trait), so it is turned on here
    for every operation, from the first byte, as an SDK configured for it
    would; `sent_encodings` records each request's Content-Encoding."""
    client = server.client(request_min_compression_size_bytes=1)
    operations = client.meta.service_model._service_description["operations"]
    for operation in operations.values():
        operation["requestcompression"] = {"encodings": ["gzip"]}
    client.meta.events.register(
        "before-send.dynamodb.*",
        lambda request, **_: sent_encodings.append(request.headers.get("Content-Encoding")))
    return client


# --- Compressed request bodies ------------------------------------------------

def test_gzip_compressed_put_item_and_batch_write_item(server, client, table_name):
    create_table(client, table_name)
    sent = []
    compressing = compressing_client(server, sent)
    compressing.put_item(TableName=table_name, Item={"pk": {"S": "one"}, "v": {"S": "x" * 10_000}})
    compressing.batch_write_item(RequestItems={table_name: [
        {"PutRequest": {"Item": {"pk": {"S": f"batch-{i}"}, "n": {"N": str(i)}}}} for i in range(25)]})
    assert [encoding if isinstance(encoding, str) else encoding.decode() for encoding in sent] == ["gzip", "gzip"]
    assert client.get_item(TableName=table_name, Key={"pk": {"S": "one"}})["Item"]["v"]["S"] == "x" * 10_000
    assert client.scan(TableName=table_name, Select="COUNT")["Count"] == 26
    # A compressed read works the same way.
    got = compressing.get_item(TableName=table_name, Key={"pk": {"S": "batch-7"}}, ConsistentRead=True)
    assert got["Item"]["n"] == {"N": "7"}


@pytest.mark.parametrize("encoding,compress", [
    ("deflate", zlib.compress),
    ("x-gzip", gzip.compress),
    ("gzip, deflate", lambda data: zlib.compress(gzip.compress(data))),
    ("deflate, identity, gzip", lambda data: gzip.compress(zlib.compress(data))),
])
def test_deflate_and_stacked_encodings(server, client, table_name, encoding, compress):
    create_table(client, table_name)
    request = {"TableName": table_name, "Item": {"pk": {"S": "k"}, "encoding": {"S": encoding}}}
    status, headers, body = post(server, "PutItem", compress(json.dumps(request).encode()),
                                 {"Content-Encoding": encoding})
    assert status == 200, body
    assert REQUEST_ID.match(headers["x-amzn-requestid"])
    assert client.get_item(TableName=table_name, Key={"pk": {"S": "k"}})["Item"]["encoding"]["S"] == encoding


def test_stacked_encodings_over_two_header_lines(server, client, table_name):
    create_table(client, table_name)
    request = json.dumps({"TableName": table_name, "Item": {"pk": {"S": "lines"}}}).encode()
    connection = connect(server)
    try:
        connection.putrequest("POST", "/")
        payload = zlib.compress(gzip.compress(request))
        signed = {"Content-Type": JSON_1_0, "X-Amz-Target": "DynamoDB_20120810.PutItem"}
        signed.update(sign(server.endpoint + "/", payload, signed))
        for name, value in [*signed.items(), ("Content-Encoding", "gzip"), ("Content-Encoding", "deflate")]:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload)
        response = connection.getresponse()
        assert response.status == 200, response.read()
    finally:
        connection.close()
    assert "Item" in client.get_item(TableName=table_name, Key={"pk": {"S": "lines"}})


CORRUPT = {
    "not compressed": ("gzip", lambda request: request),
    "cut short": ("gzip", lambda request: gzip.compress(request)[:-1]),
    "empty": ("gzip", lambda request: b""),
    "gzip sent as deflate": ("deflate", gzip.compress),
    "gzip with junk after it": ("gzip", lambda request: gzip.compress(request) + b"junk"),
    "br": ("br", lambda request: request),
    "garbage": ("garbage", lambda request: request),
}


@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_bodies_and_unknown_codings_are_refused(server, client, table_name, case):
    # DynamoDB answers both with a 500 (ORACLE_NOTES.md, "Wire details").
    create_table(client, table_name)
    encoding, corrupt = CORRUPT[case]
    request = json.dumps({"TableName": table_name, "Item": {"pk": {"S": case}}}).encode()
    status, headers, body = post(server, "PutItem", corrupt(request), {"Content-Encoding": encoding})
    assert status == 500, body
    assert error_type(body) == "InternalServerError"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert client.scan(TableName=table_name)["Count"] == 0


def test_the_limit_applies_to_the_decompressed_size(server, client, table_name):
    create_table(client, table_name)
    prefix = json.dumps({"TableName": table_name, "Item": {"pk": {"S": "big"}, "v": {"S": ""}}})[:-3]
    # Just over 16 MB of JSON compresses to a few kilobytes.
    request = prefix.encode() + b"x" * LIMIT + b'"}}}'
    status, _, body = post(server, "PutItem", gzip.compress(request), {"Content-Encoding": "gzip"})
    assert status == 413, body
    assert error_type(body) == "RequestEntityTooLarge"
    assert "16777216" in json.loads(body)["message"]
    assert client.scan(TableName=table_name)["Count"] == 0


def test_a_zip_bomb_is_refused_and_memory_stays_bounded(fresh_server):
    server = fresh_server.start()
    bomb = gzipped_zeros(1024 * 1024 * 1024)
    print(f"1 GiB of zeros gzips to {len(bomb)} bytes")
    assert len(bomb) < 2 * 1024 * 1024
    # Warm the server up with a request of the same path, then measure.
    assert post(server, "ListTables", gzip.compress(b"{}"), {"Content-Encoding": "gzip"})[0] == 200
    before = peak_rss_kib(server)
    bombs = [("gzip", bomb), ("gzip, deflate", zlib.compress(bomb))] * 2
    for encoding, payload in bombs:
        status, headers, body = post(server, "PutItem", payload, {"Content-Encoding": encoding})
        assert status == 413, body
        assert error_type(body) == "RequestEntityTooLarge"
        assert "Decompressed" in json.loads(body)["message"]
    after = peak_rss_kib(server)
    print(f"peak RSS {before} KiB before the {len(bombs)} bombs, {after} KiB after")
    # Each is refused at the 16 MB limit, against the 1 GiB it expands to;
    # the allocator keeps some freed memory for reuse, per thread.
    assert after - before < 96 * 1024
    assert "TableNames" in server.client().list_tables()


# --- Compressed responses -----------------------------------------------------

def put_large_item(client, table_name):
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item={"pk": {"S": "large"}, "v": {"S": "abc" * 5000}})
    client.put_item(TableName=table_name, Item={"pk": {"S": "small"}, "v": {"S": "abc"}})


@pytest.mark.parametrize("encoding,decompress", [("gzip", gzip.decompress), ("deflate", zlib.decompress)])
def test_large_responses_are_compressed_with_the_crc_of_the_compressed_bytes(server, client, table_name,
                                                                             encoding, decompress):
    put_large_item(client, table_name)
    request = {"TableName": table_name, "Key": {"pk": {"S": "large"}}}
    status, headers, body = post(server, "GetItem", request, {"Accept-Encoding": encoding})
    assert status == 200
    assert headers["content-encoding"] == encoding
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert int(headers["content-length"]) == len(body)
    item = json.loads(decompress(body))["Item"]
    assert item["v"]["S"] == "abc" * 5000
    assert len(body) < 1000
    # Small answers, and clients that do not ask, get plain bytes.
    small = {"TableName": table_name, "Key": {"pk": {"S": "small"}}}
    for request_body, accept in [(small, encoding), (request, None), (request, "identity"), (request, "br")]:
        status, headers, body = post(server, "GetItem", request_body, {"Accept-Encoding": accept})
        assert status == 200 and "content-encoding" not in headers, (request_body, accept)
        assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
        assert "Item" in json.loads(body)


def gzip_accepting_client(server, on_response=None):
    """A boto3 client (legacy retries: its CRC32 check raises on a mismatch)
    that asks for gzip and decompresses what botocore has checked: botocore
    checks x-amz-crc32 over the bytes received, then parses; the decoding
    goes between, as in the SDKs that support compressed responses."""
    client = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                          config=Config(retries={"mode": "legacy", "total_max_attempts": 1}), **CREDENTIALS)

    def accept_gzip(params, **_):
        params["headers"]["Accept-Encoding"] = "gzip"

    def decompress(response_dict, **_):
        if response_dict["headers"].get("Content-Encoding") == "gzip":
            if on_response:
                on_response(response_dict)
            response_dict["body"] = gzip.decompress(response_dict["body"])

    client.meta.events.register("before-call.dynamodb.*", accept_gzip)
    client.meta.events.register("before-parse.dynamodb.*", decompress)
    return client


def test_botocore_accepts_a_compressed_get_item_response(server, client, table_name):
    put_large_item(client, table_name)
    compressed = []
    accepting = gzip_accepting_client(server, on_response=lambda response: compressed.append(len(response["body"])))
    got = accepting.get_item(TableName=table_name, Key={"pk": {"S": "large"}})
    assert got["Item"]["v"]["S"] == "abc" * 5000
    assert len(compressed) == 1 and compressed[0] < 1000
    # The check is real: a CRC of the decompressed bytes would be refused.
    def crc_of_decompressed(response):
        response["headers"]["x-amz-crc32"] = str(zlib.crc32(gzip.decompress(response["body"])))

    misled = gzip_accepting_client(server, on_response=crc_of_decompressed)
    with pytest.raises(botocore.exceptions.ChecksumError):
        misled.get_item(TableName=table_name, Key={"pk": {"S": "large"}})


# --- CORS -----------------------------------------------------------------------

PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-date,authorization,x-amz-user-agent"}


def test_cors_preflight_from_a_browser_origin(server):
    status, headers, body = post(server, None, b"", {**PREFLIGHT, "Content-Type": None, "Authorization": None},
                                 method="OPTIONS")
    assert status == 200 and body == b""
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "POST"
    assert headers["access-control-allow-headers"] == PREFLIGHT["Access-Control-Request-Headers"]
    assert int(headers["access-control-max-age"]) > 0
    exposed = {name.strip().lower() for name in headers["access-control-expose-headers"].split(",")}
    assert {"x-amzn-requestid", "x-amz-crc32"} <= exposed
    assert REQUEST_ID.match(headers["x-amzn-requestid"])


def test_cors_headers_on_actual_responses(server, table_name):
    for operation, request in [("ListTables", {}), ("DescribeTable", {"TableName": table_name})]:
        status, headers, _ = post(server, operation, request, {"Origin": "https://app.example"})
        assert status in (200, 400)
        assert headers["access-control-allow-origin"] == "*"
        assert "x-amzn-RequestId" in headers["access-control-expose-headers"]
    status, headers, _ = post(server, "ListTables", {})
    assert "access-control-allow-origin" not in headers


def test_cors_origins_can_be_restricted(fresh_server):
    fresh_server.extra_args = ["--cors-origins", "https://app.example,http://localhost:3000"]
    server = fresh_server.start()
    preflight = {**PREFLIGHT, "Content-Type": None, "Authorization": None}
    status, headers, _ = post(server, None, b"", {**preflight, "Origin": "http://localhost:3000"}, method="OPTIONS")
    assert status == 200
    assert headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "Origin" in headers["vary"]
    status, headers, _ = post(server, None, b"", {**preflight, "Origin": "https://evil.example"}, method="OPTIONS")
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, _ = post(server, "ListTables", {}, {"Origin": "https://evil.example"})
    assert status == 200 and "access-control-allow-origin" not in headers
    status, headers, _ = post(server, "ListTables", {}, {"Origin": "https://app.example"})
    assert headers["access-control-allow-origin"] == "https://app.example"


# --- Refusals and the connection ----------------------------------------------

@pytest.mark.parametrize("headers,status,answer", [
    ({"Content-Type": "text/plain"}, 404, b"<UnknownOperationException/>\n"),
    ({"Authorization": None}, 400, "MissingAuthenticationTokenException"),
    ({"X-Amz-Target": "DynamoDB_20120810.Frobnicate"}, 400, "UnknownOperationException"),
    ({"Content-Encoding": "br"}, 500, "InternalServerError"),
])
def test_an_early_refusal_leaves_the_connection_usable(server, headers, status, answer):
    connection = connect(server)
    try:
        body = json.dumps({"padding": "x" * 100_000}).encode()
        got_status, got_headers, got_body = send(connection, "ListTables", body, headers)
        assert got_status == status
        if isinstance(answer, bytes):
            assert got_body == answer
        else:
            assert error_type(got_body) == answer
        assert REQUEST_ID.match(got_headers["x-amzn-requestid"])
        assert got_headers.get("connection") != "close"
        first_socket = connection.sock
        # The next request on the same connection is served.
        got_status, _, got_body = send(connection, "ListTables", {})
        assert got_status == 200, got_body
        assert connection.sock is first_socket
    finally:
        connection.close()


def read_answer(sock):
    """Reads until the server closes; returns what it sent."""
    sock.settimeout(60)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk


@pytest.mark.parametrize("content_type,status", [("text/plain", 404), (JSON_1_0, 413)])
def test_a_large_refused_body_is_answered_not_reset(server, content_type, status):
    size = LIMIT + 4 * 1024 * 1024
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
            f"Authorization: {AUTHORIZATION}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", int(urllib.parse.urlsplit(server.endpoint).port))) as sock:
        # The whole body goes out (no broken pipe), then the answer is read.
        sock.sendall(head + b"x" * size)
        answer = read_answer(sock)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(f"HTTP/1.1 {status}".encode()), answer[:300]
    assert b"connection: close" in rest.lower()
    if status == 413:
        assert b"RequestEntityTooLarge" in rest


def test_a_chunked_body_over_the_limit_is_answered(server):
    connection = connect(server)
    try:
        def chunks():
            for _ in range(20):
                yield b" " * (1024 * 1024)
        connection.request("POST", "/", body=chunks(), encode_chunked=True, headers={
            "Content-Type": JSON_1_0, "Authorization": AUTHORIZATION, "X-Amz-Target": "DynamoDB_20120810.ListTables"})
        response = connection.getresponse()
        assert response.status == 413
        assert error_type(response.read()) == "RequestEntityTooLarge"
        assert response.getheader("Connection") == "close"
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/health", "/halyard/check"])
def test_other_methods_on_the_admin_paths_are_dynamodb_requests(server, path):
    connection = connect(server)
    try:
        for method, operation, status, answer in [("POST", "ListTables", 200, None),
                                                  ("PUT", None, 400, "UnknownOperationException")]:
            headers = {"Content-Type": JSON_1_0}
            if operation:
                headers["X-Amz-Target"] = f"DynamoDB_20120810.{operation}"
            headers.update(sign(server.endpoint + path, b"{}", headers))
            connection.request(method, path, body=b"{}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            assert response.status == status, body
            assert REQUEST_ID.match(response.getheader("x-amzn-RequestId"))
            if answer:
                assert error_type(body) == answer
            else:
                assert "TableNames" in json.loads(body)
    finally:
        connection.close()


# --- Oversized and unparseable request heads ------------------------------------

HEADER_LIMIT = 16 * 1024


@pytest.mark.parametrize("extra_headers", [
    {"X-Big": "a" * (HEADER_LIMIT + 1000)},
    {f"X-Field-{n}": "v" * 100 for n in range(300)},
    {"X-Big": "a" * 200_000},
])
def test_oversized_headers_get_a_dynamodb_error_and_the_connection_survives(server, extra_headers):
    connection = connect(server)
    try:
        status, headers, body = send(connection, "ListTables", {}, extra_headers)
        assert status == 431, body
        assert error_type(body) == "RequestHeaderFieldsTooLarge"
        assert json.loads(body)["message"].endswith(f"exceeded the limit of {HEADER_LIMIT} bytes")
        assert REQUEST_ID.match(headers["x-amzn-requestid"])
        assert headers["content-type"] == JSON_1_0
        assert headers.get("connection") != "close"
        first_socket = connection.sock
        status, _, body = send(connection, "ListTables", {})
        assert status == 200, body
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_headers_under_the_limit_are_served(server):
    # Many fields (hyper alone stops at 100) and a large one, together under 16 KB.
    extra = {f"X-Field-{n}": "v" for n in range(200)}
    extra["X-Big"] = "a" * 8000
    status, _, body = post(server, "ListTables", {}, extra)
    assert status == 200, body


@pytest.mark.parametrize("head", [
    b"GARBAGE\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nNot a header line\r\n\r\n",
    b"POST / HTTP/9.9\r\nHost: x\r\n\r\n",
])
def test_an_unparseable_request_is_answered_400_and_closed(server, head):
    # hyper answers these itself, without a body (docs/wire.md); the connection is closed, so
    # nothing of the request can be read as a next one.
    with socket.create_connection(("127.0.0.1", int(urllib.parse.urlsplit(server.endpoint).port))) as sock:
        sock.sendall(head)
        answer = read_answer(sock)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"connection: close" in rest.lower()


# --- Request ids ----------------------------------------------------------------

def test_request_ids_are_shaped_like_dynamodbs_and_unique(server):
    ids = set()
    for _ in range(50):
        _, headers, _ = post(server, "ListTables", {})
        ids.add(headers["x-amzn-requestid"])
    for path in ["/", "/health"]:
        connection = connect(server)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        ids.add(response.getheader("x-amzn-RequestId"))
        connection.close()
    _, headers, _ = post(server, "ListTables", b"{}", {"Content-Type": "text/plain"})
    ids.add(headers["x-amzn-requestid"])
    assert len(ids) == 53
    assert all(REQUEST_ID.match(request_id) for request_id in ids), ids


# --- For a new user -----------------------------------------------------------

def readme():
    return (ROOT / "README.md").read_text()


def test_readme_quick_start_runs_as_a_script(workdir):
    # As on a first start: the server generates root credentials into its
    # data directory, and the script finds them there.
    (workdir / "quick-start").mkdir()
    server = Server(workdir / "quick-start" / "halyard-data", root_from_environment=False).start()
    try:
        section = readme().split("## Quick start with the AWS CLI", 1)[1]
        script = next(block for block in re.findall(r"```sh\n(.*?)```", section, re.S) if "ddb()" in block)
        assert "alias " not in script
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update({"HALYARD": server.endpoint, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                    "AWS_CONFIG_FILE": os.devnull, "AWS_PAGER": ""})
        result = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, env=env, timeout=300,
                                cwd=workdir / "quick-start")
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    assert '"Jane"' in result.stdout
    assert '"Count": 3' in result.stdout


def test_readme_names_every_operation_not_supported(server):
    if os.environ.get("HALYARD_TEST_ENDPOINT"):
        pytest.skip("about Halyard's README")
    operations = json.loads(gzip.decompress(BOTOCORE_MODEL.read_bytes()))["operations"]
    unsupported = set()
    for operation in operations:
        status, _, body = post(server, operation, {})
        if status == 400 and error_type(body) == "UnknownOperationException":
            unsupported.add(operation)
    row = next(line for line in readme().splitlines() if line.startswith("| Operations not supported yet"))
    listed = set(re.findall(r"\b[A-Z][A-Za-z]+\b", row.split("):", 1)[1].split("|")[0]))
    assert listed == unsupported, {"missing from README": unsupported - listed, "supported": listed - unsupported}


def test_logs_have_no_colour_codes_when_not_a_terminal(fresh_server):
    server = fresh_server.start()
    server.client().list_tables()
    log = server.read_log()
    assert "Halyard listening" in log
    assert "\x1b[" not in log
