"""Connections: the Content-Type answers, the header, body and idle timeouts
(slowloris), the connection limit and file-descriptor exhaustion, and the
memory budget of request bodies. Timeouts are shortened by flags; the tests
assert what happens, never how fast (elapsed times are printed)."""

import http.client
import json
import resource
import select
import signal
import socket
import threading
import time
import urllib.parse
import zlib

import pytest

from conftest import create_table
from harness import sign
from helpers import closed_by_server, hkey

# A bound on how long the server may take to act, so that a test fails
# rather than hangs; far above every timeout the tests set.
PATIENCE = 30


def post(server, body, content_type, operation="ListTables", signed=True):
    """POSTs with exactly the given Content-Type (None: no such header),
    signed with the root's credentials unless `signed` is false; returns
    (status, lower-cased headers, raw body)."""
    headers = {"X-Amz-Target": f"DynamoDB_20120810.{operation}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if signed:
        headers.update(sign(server.endpoint + "/", body, headers))
    endpoint = urllib.parse.urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=PATIENCE)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def request_head(operation, content_length, extra="", body=b""):
    """A request's head, signed for `body` (what the test will send after it,
    if it sends it all)."""
    headers = {"X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"}
    signature = sign("http://127.0.0.1/", body, headers)
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: DynamoDB_20120810.{operation}\r\n"
            f"Authorization: {signature['Authorization']}\r\nX-Amz-Date: {signature['X-Amz-Date']}\r\n"
            f"Content-Type: application/x-amz-json-1.0\r\n"
            f"Content-Length: {content_length}\r\n{extra}\r\n").encode()


def still_serves(server):
    client = server.client()
    assert "TableNames" in client.list_tables()


# --- Content-Type ----------------------------------------------------------

@pytest.mark.parametrize("content_type,answered_as", [
    ("application/x-amz-json-1.0", "application/x-amz-json-1.0"),
    ("application/x-amz-json-1.0; charset=utf-8", "application/x-amz-json-1.0"),
    ("APPLICATION/X-AMZ-JSON-1.0", "application/x-amz-json-1.0"),
    ("application/json", "application/json"),
    ("application/json; charset=UTF-8", "application/json"),
])
def test_json_content_types_are_served(server, content_type, answered_as):
    status, headers, body = post(server, b"{}", content_type)
    assert status == 200, body
    assert headers["content-type"] == answered_as
    assert "TableNames" in json.loads(body)


@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/xml", "application/x-amz-json-1.1", "application/x-amz-json-1.1; charset=utf-8",
    "application/x-amz-json", "application/x-www-form-urlencoded", "application/cbor", "",
])
def test_other_content_types_get_dynamodbs_404(server, content_type):
    status, headers, body = post(server, b"{}", content_type)
    assert status == 404
    assert body == b"<UnknownOperationException/>\n"
    assert "content-type" not in headers
    assert headers["x-amzn-requestid"]
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)


def test_content_type_is_checked_before_authentication(server):
    status, _, body = post(server, b"{}", "text/plain", signed=False)
    assert status == 404 and body == b"<UnknownOperationException/>\n"


def test_content_type_is_not_checked_without_a_body(server):
    status, _, body = post(server, b"", "text/plain")
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"


# --- Timeouts ----------------------------------------------------------------

def test_slow_headers_are_cut_off_and_the_server_keeps_serving(fresh_server):
    fresh_server.extra_args = ["--header-timeout", "1", "--idle-timeout", "60"]
    fresh_server.start()
    with socket.create_connection(("127.0.0.1", fresh_server.port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        closed = False
        # A header line every 0.2 s: the request never completes, and the
        # client never stops sending.
        while not closed and time.monotonic() - started < PATIENCE:
            try:
                sock.sendall(b"X-Slow: a\r\n")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            closed = closed_by_server(sock, 0.2)
        print(f"slow headers cut off after {time.monotonic() - started:.1f} s")
        assert closed
    still_serves(fresh_server)


def test_silent_and_idle_connections_are_closed(fresh_server):
    fresh_server.extra_args = ["--header-timeout", "1", "--idle-timeout", "1"]
    fresh_server.start()
    with socket.create_connection(("127.0.0.1", fresh_server.port)) as silent:
        assert closed_by_server(silent, PATIENCE)
    with socket.create_connection(("127.0.0.1", fresh_server.port)) as idle:
        idle.sendall(request_head("ListTables", 2, body=b"{}") + b"{}")
        response = b""
        while b"TableNames" not in response:
            chunk = idle.recv(65536)
            assert chunk, response
            response += chunk
        assert response.startswith(b"HTTP/1.1 200")
        # Kept alive after the response, then closed for idleness.
        assert closed_by_server(idle, PATIENCE)
    still_serves(fresh_server)


def test_slow_body_gets_a_timeout_error_and_the_server_keeps_serving(fresh_server):
    fresh_server.extra_args = ["--body-timeout", "2"]
    fresh_server.start()
    with socket.create_connection(("127.0.0.1", fresh_server.port)) as sock:
        sock.sendall(request_head("ListTables", 1000))
        started = time.monotonic()
        response = b""
        while time.monotonic() - started < PATIENCE:
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                response += chunk
        print(f"slow body answered after {time.monotonic() - started:.1f} s")
    assert response.startswith(b"HTTP/1.1 400"), response
    body = json.loads(response.split(b"\r\n\r\n", 1)[1])
    assert body == {"__type": "com.amazon.coral.service#RequestTimeoutException",
                    "message": "The request body was not received within 2 seconds"}
    still_serves(fresh_server)


def test_shutdown_answers_the_request_in_flight_and_closes_the_rest(fresh_server):
    fresh_server.start()
    silent = socket.create_connection(("127.0.0.1", fresh_server.port))
    with socket.create_connection(("127.0.0.1", fresh_server.port)) as sock:
        sock.sendall(request_head("ListTables", 2, body=b"{}") + b"{")
        time.sleep(0.3)
        fresh_server.process.send_signal(signal.SIGTERM)
        # The silent connection is closed at once; the request goes on.
        assert closed_by_server(silent, PATIENCE)
        sock.sendall(b"}")
        response = b""
        while b"TableNames" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    silent.close()
    assert response.startswith(b"HTTP/1.1 200"), response
    assert fresh_server.process.wait(PATIENCE) == 0


# --- Connection limit and file descriptors -----------------------------------

def lowered_descriptor_limit(limit):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return apply


@pytest.mark.parametrize("how", ["descriptor-limit", "max-connections"])
def test_idle_sockets_cannot_starve_new_clients(fresh_server, table_name, how):
    if how == "descriptor-limit":
        # Room for about 64 connections; the server cannot raise it.
        fresh_server.preexec_fn = lowered_descriptor_limit(128)
    else:
        fresh_server.extra_args = ["--max-connections", "20"]
    fresh_server.start()
    idle = [socket.create_connection(("127.0.0.1", fresh_server.port)) for _ in range(300)]
    try:
        client = fresh_server.client(connect_timeout=PATIENCE, read_timeout=PATIENCE)
        create_table(client, table_name)
        client.put_item(TableName=table_name, Item={**hkey("a"), "v": {"S": "served"}})
        assert client.get_item(TableName=table_name, Key=hkey("a"))["Item"]["v"] == {"S": "served"}
        closed = sum(closed_by_server(sock, 0) for sock in idle)
        print(f"{closed} of {len(idle)} idle sockets closed to make room")
        assert closed > 0
    finally:
        for sock in idle:
            sock.close()
    assert fresh_server.process.poll() is None


def test_slow_header_senders_cannot_fill_the_server(fresh_server):
    fresh_server.extra_args = ["--max-connections", "10", "--header-timeout", "60"]
    fresh_server.start()
    slow = [socket.create_connection(("127.0.0.1", fresh_server.port)) for _ in range(10)]
    try:
        for sock in slow:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        # Every connection is taken by a client stuck in its headers; the
        # longest stuck is closed to make room for the next client.
        still_serves(fresh_server)
    finally:
        for sock in slow:
            sock.close()


# --- Memory budget of bodies -------------------------------------------------

def test_huge_bodies_wait_for_the_budget_and_small_ones_do_not(fresh_server, table_name):
    fresh_server.extra_args = ["--body-memory-mib", "16", "--body-timeout", "5"]
    fresh_server.start()
    client = fresh_server.client()
    create_table(client, table_name)
    events = []
    # Declares a 16 MiB body, the whole budget, and sends almost none of it.
    hog = socket.create_connection(("127.0.0.1", fresh_server.port))
    hog.sendall(request_head("PutItem", 16 * 1024 * 1024) + b"{")
    time.sleep(0.5)

    def large_request():
        item = {**hkey("large"), "data": {"S": "x" * 300_000}}
        status, _, body = post(fresh_server, json.dumps({"TableName": table_name, "Item": item}).encode(),
                               "application/x-amz-json-1.0", operation="PutItem")
        events.append(("large answered", status, json.loads(body) if body else None))

    waiter = threading.Thread(target=large_request)
    waiter.start()
    time.sleep(0.5)
    # A small request does not wait behind the budget.
    client.put_item(TableName=table_name, Item={**hkey("small"), "v": {"S": "served"}})
    events.append(("small answered",))
    assert closed_by_server(hog, PATIENCE)
    events.append(("hog closed",))
    hog.close()
    waiter.join(PATIENCE)
    assert not waiter.is_alive()
    order = [event[0] for event in events]
    assert order.index("small answered") < order.index("hog closed"), events
    status, body = next((event[1], event[2]) for event in events if event[0] == "large answered")
    if status == 200:
        # Served, but only once the hog's share was given back.
        assert order.index("large answered") > order.index("small answered"), events
    else:
        assert status == 400 and body["__type"] == "com.amazon.coral.availability#ThrottlingException", events
    still_serves(fresh_server)
