"""The HTTP protocol: targets, content types, headers, malformed bodies, limits."""

import json
import urllib.request
import zlib

from conftest import create_table
from harness import sign


def test_health_check(server):
    with urllib.request.urlopen(server.endpoint + "/") as response:
        assert response.status == 200
        assert b"healthy" in response.read()


def test_headers_and_crc32(server):
    status, headers, body = server.raw("ListTables", {})
    assert status == 200
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["content-type"] == "application/x-amz-json-1.0"
    assert lower["x-amzn-requestid"]
    raw = json.dumps(body, separators=(",", ":")).encode()
    # Recompute over the exact bytes: fetch again without parsing.
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
    headers.update(sign(server.endpoint + "/", b"{}", headers))
    request = urllib.request.Request(server.endpoint + "/", data=b"{}", method="POST", headers=headers)
    with urllib.request.urlopen(request) as response:
        payload = response.read()
        assert int(response.headers["x-amz-crc32"]) == zlib.crc32(payload)
    assert raw  # the body is JSON


def test_malformed_json(server):
    for payload in [b"{not json", b"", b"[1,2]", b"null", b'"text"']:
        status, headers, body = server.raw("ListTables", payload)
        assert status == 400, payload
        assert body["__type"] == "com.amazon.coral.service#SerializationException", body
        assert {k.lower() for k in headers} >= {"x-amzn-requestid", "x-amz-crc32"}


def test_unknown_operation_and_missing_target(server):
    status, _, body = server.raw("Frobnicate", {})
    assert status == 400
    assert body["__type"].endswith("#UnknownOperationException")
    status, _, body = server.raw(None, {})
    assert status == 400 and body["__type"].endswith("#UnknownOperationException")
    status, _, body = server.raw("ListTables", {}, target_prefix="Nope_2012.")
    assert status == 400 and body["__type"].endswith("#UnknownOperationException")


def test_missing_authorization(server):
    status, _, body = server.raw("ListTables", {}, headers={"Authorization": None})
    assert status == 400
    assert body["__type"].endswith("#MissingAuthenticationTokenException")


def test_request_over_16_mb_is_rejected(server, client, table_name):
    create_table(client, table_name)
    item = {"pk": {"S": "big"}, "data": {"S": "x" * (16 * 1024 * 1024 + 10)}}
    status, _, body = server.raw("PutItem", {"TableName": table_name, "Item": item})
    assert status == 413
    assert body["__type"].endswith("#RequestEntityTooLarge")
    assert "16777216" in body["message"]
    assert client.scan(TableName=table_name)["Count"] == 0


def test_error_body_shape(server, table_name):
    status, _, body = server.raw("DescribeTable", {"TableName": table_name})
    assert status == 400
    assert body == {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                    "message": f"Requested resource not found: Table: {table_name} not found"}
    status, _, body = server.raw("DescribeTable", {"TableName": "ab"})
    assert body["__type"] == "com.amazon.coral.validate#ValidationException"
