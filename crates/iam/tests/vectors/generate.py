"""Generates SigV4 test vectors with botocore's own signers.

Run from the repository root with the main checkout's venv:
    /work/main/.venv/bin/python crates/iam/tests/vectors/generate.py
It rewrites botocore.json beside this script. Each vector is a request as
the server receives it (method, raw path, raw query, headers, body), the
credentials it was signed with, the instant it was signed at, and the
verifier options it needs. The Rust tests (tests/sigv4_vectors.rs) verify
each one and tamper with it.
"""
import base64
import datetime
import json
import os
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNED_AT = datetime.datetime(2026, 12, 1, 12, 0, 0)
AKID = "AKIAHALYARDEXAMPLE01"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDHalyard+Session/Token=="

TARGET_GET = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}
GET_ITEM = json.dumps({"TableName": "Music", "Key": {"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}}}).encode()


def sign(name, method, url, headers=(), body=b"", token=None, region="us-east-1",
         service="dynamodb", presign_expires=None, unsigned_payload=False, date_header=False):
    creds = Credentials(AKID, SECRET, token)
    request = AWSRequest(method=method, url=url, data=body)
    split = botocore.compat.urlsplit(url)
    request.headers["Host"] = split.netloc
    for key, value in headers:
        # HTTPHeaders is an email Message: assignment appends, so a key
        # given twice becomes a repeated header.
        request.headers[key] = value
    if date_header:
        request.headers["Date"] = "placeholder"
    if unsigned_payload:
        request.context["payload_signing_enabled"] = False
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        if presign_expires is not None:
            botocore.auth.SigV4QueryAuth(creds, service, region, expires=presign_expires).add_auth(request)
        else:
            botocore.auth.SigV4Auth(creds, service, region).add_auth(request)
    final = botocore.compat.urlsplit(request.url)
    header_list = []
    for key in request.headers.keys():
        if any(k.lower() == key.lower() for k, _ in header_list):
            continue
        for value in request.headers.get_all(key):
            header_list.append([key, value])
    body_bytes = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    return {
        "name": name,
        "method": method,
        "path": final.path or "/",
        "query": final.query,
        "headers": header_list,
        "body_base64": base64.b64encode(body_bytes).decode(),
        "access_key_id": AKID,
        "secret_access_key": SECRET,
        "session_token": token,
        "region": region,
        "service": service,
        "now": SIGNED_AT.strftime("%Y%m%dT%H%M%SZ"),
        "allow_unsigned_payload": unsigned_payload,
    }


def vectors():
    ep = "http://localhost:8000"
    yield sign("get-item", "POST", ep + "/", TARGET_GET.items(), GET_ITEM)
    yield sign("get-item-session-token", "POST", ep + "/", TARGET_GET.items(), GET_ITEM, token=TOKEN)
    yield sign("other-region", "POST", ep + "/", TARGET_GET.items(), GET_ITEM, region="eu-west-3")
    yield sign("empty-body", "POST", ep + "/", TARGET_GET.items(), b"")
    yield sign("unicode-body", "POST", ep + "/", TARGET_GET.items(), json.dumps({"TableName": "T", "Key": {"k": {"S": "ünïcødé ✓"}}}, ensure_ascii=False).encode())
    yield sign("binary-body", "POST", ep + "/", [("Content-Type", "application/octet-stream")], bytes(range(256)))
    yield sign("spaces-in-header-values", "POST", ep + "/", [("X-Amz-Target", "DynamoDB_20120810.Query"), ("X-Custom", "  a   b    c  "), ("Content-Type", "application/x-amz-json-1.0")], b"{}")
    yield sign("repeated-header", "POST", ep + "/", [("X-Amz-Target", "DynamoDB_20120810.Query"), ("X-Multi", "one"), ("X-Multi", "  two  three"), ("Content-Type", "application/x-amz-json-1.0")], b"{}")
    yield sign("mixed-case-header-names", "POST", ep + "/", [("x-AMZ-target", "DynamoDB_20120810.Scan"), ("CONTENT-type", "application/x-amz-json-1.0")], b"{}")
    yield sign("host-with-port", "POST", "http://127.0.0.1:18443/", TARGET_GET.items(), GET_ITEM)
    yield sign("query-unsorted", "GET", ep + "/?b=2&a=1&c=", [], b"")
    yield sign("query-repeated-keys", "GET", ep + "/?k=b&k=a&j=1", [], b"")
    yield sign("query-encoded", "GET", ep + "/?name=a%20b%2Fc&sym=%21%40%23%24&tilde=~x&plus=%2B", [], b"")
    yield sign("path-encoded", "GET", ep + "/a%20b/c", [], b"")
    yield sign("path-dot-segments", "GET", ep + "/a/./b/../c", [], b"")
    yield sign("path-deep", "GET", ep + "/x/y/z/", [], b"")
    yield sign("date-header", "POST", ep + "/", TARGET_GET.items(), GET_ITEM, date_header=True)
    yield sign("unsigned-payload", "POST", "https://localhost:8000/", TARGET_GET.items(), GET_ITEM, unsigned_payload=True)
    yield sign("iam-service", "POST", ep + "/", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], b"Action=ListUsers&Version=2010-05-08", service="iam")
    yield sign("presigned", "GET", ep + "/?Action=ListTables", [], b"", presign_expires=300)
    yield sign("presigned-session-token", "GET", ep + "/?Action=ListTables", [], b"", token=TOKEN, presign_expires=900)
    yield sign("presigned-week", "GET", ep + "/", [], b"", presign_expires=604800)


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "botocore.json")
    with open(out, "w") as f:
        json.dump(list(vectors()), f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", out)
