"""SigV4 authentication (issue 13), end to end with boto3, the AWS CLI and
raw requests: what a good signature gets, and DynamoDB's answer to every
way of getting it wrong."""

import datetime
import json
import os
import re
import urllib.request
from unittest import mock

import boto3
import botocore.auth
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from harness import CREDENTIALS, REGION, Server, aws, sign

pytestmark = pytest.mark.skipif(
    os.environ.get("HALYARD_TEST_ENDPOINT") is not None,
    reason="DynamoDB Local accepts any signature (ORACLE_NOTES.md)")

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")
TARGET = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"}


def client_with(server, **credentials):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                        config=Config(retries={"total_max_attempts": 1}), **{**CREDENTIALS, **credentials})


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call()
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def post(server, body, headers):
    """POSTs exactly `headers` and `body`; returns (status, JSON body)."""
    request = urllib.request.Request(server.endpoint + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_good_signature_is_served_and_the_secret_is_never_logged(server, client):
    assert client.list_tables()["TableNames"] is not None
    assert CREDENTIALS["aws_secret_access_key"] not in server.read_log()


def test_a_wrong_secret_is_refused(server):
    assert refused(client_with(server, aws_secret_access_key="not-the-secret").list_tables) == (
        400, "InvalidSignatureException", MISMATCH)


def test_an_unknown_key_is_refused(server):
    assert refused(client_with(server, aws_access_key_id="AKIAUNKNOWNKEY000000").list_tables) == (
        400, "UnrecognizedClientException", "The security token included in the request is invalid.")


def test_a_tampered_body_is_refused(server):
    headers = {**TARGET}
    headers.update(sign(server.endpoint + "/", b'{"Limit": 1}', headers))
    status, body = post(server, b'{"Limit": 2}', headers)
    assert (status, body) == (400, {"__type": "com.amazon.coral.service#InvalidSignatureException", "message": MISMATCH})


def test_a_tampered_signed_header_is_refused(server):
    headers = {**TARGET}
    headers.update(sign(server.endpoint + "/", b"{}", headers))
    headers["X-Amz-Target"] = "DynamoDB_20120810.DescribeLimits"
    status, body = post(server, b"{}", headers)
    assert status == 400 and body["__type"].endswith("#InvalidSignatureException")


def test_stale_and_future_dates_are_refused_with_dynamodbs_texts(server):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    for offset, pattern in [
        (-20, r"Signature expired: (\d{8}T\d{6}Z) is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)"),
        (20, r"Signature not yet current: (\d{8}T\d{6}Z) is still later than \d{8}T\d{6}Z \(current time \+ 15 min\.\)"),
    ]:
        at = now + datetime.timedelta(minutes=offset)
        headers = {**TARGET}
        headers.update(sign(server.endpoint + "/", b"{}", headers, at=at))
        status, body = post(server, b"{}", headers)
        assert status == 400 and body["__type"] == "com.amazon.coral.service#InvalidSignatureException", body
        match = re.fullmatch(pattern, body["message"])
        assert match and match.group(1) == at.strftime("%Y%m%dT%H%M%SZ"), body["message"]
    # Within 15 minutes either way is accepted.
    for offset in (-14, 14):
        headers = {**TARGET}
        headers.update(sign(server.endpoint + "/", b"{}", headers, at=now + datetime.timedelta(minutes=offset)))
        assert post(server, b"{}", headers)[0] == 200


def test_a_missing_or_malformed_authorization_header(server):
    status, body = post(server, b"{}", TARGET)
    assert (status, body) == (400, {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                                    "message": "Request is missing Authentication Token"})
    status, body = post(server, b"{}", {**TARGET, "Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert status == 400 and body["__type"] == "com.amazon.coral.service#IncompleteSignatureException", body


def test_a_signature_for_another_service_is_refused(server):
    headers = {**TARGET}
    headers.update(sign(server.endpoint + "/", b"{}", headers, service="s3"))
    status, body = post(server, b"{}", headers)
    assert status == 400 and body["__type"] == "com.amazon.coral.service#InvalidSignatureException", body


def test_a_presigned_request_is_authenticated_and_its_expiry_enforced(server):
    """botocore presigns by moving the body into the query string, which
    leaves a DynamoDB request without its JSON: past authentication, the
    answer is the SerializationException of an empty body."""
    def presigned(expires, at, tamper=False):
        request = AWSRequest(method="POST", url=server.endpoint + "/", data=b"{}", headers=dict(TARGET))
        signer = botocore.auth.SigV4QueryAuth(
            Credentials(CREDENTIALS["aws_access_key_id"], CREDENTIALS["aws_secret_access_key"]),
            "dynamodb", REGION, expires=expires)
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(request)
        assert "X-Amz-Signature=" in request.url and "Authorization" not in request.headers
        url = request.url[:-1] + ("0" if request.url[-1] != "0" else "1") if tamper else request.url
        http = urllib.request.Request(url, data=request.body or b"", headers=dict(request.headers), method="POST")
        try:
            with urllib.request.urlopen(http, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    status, body = presigned(300, now)
    assert (status, body["__type"]) == (400, "com.amazon.coral.service#SerializationException"), body
    status, body = presigned(300, now, tamper=True)
    assert (status, body["__type"]) == (400, "com.amazon.coral.service#InvalidSignatureException"), body
    status, body = presigned(60, now - datetime.timedelta(minutes=5))
    assert status == 400 and body["__type"] == "com.amazon.coral.service#InvalidSignatureException", body
    assert body["message"].startswith("Signature expired:"), body


def test_the_aws_cli_with_the_root_credentials_and_with_a_wrong_secret(server):
    assert "TableNames" in json.loads(aws(server, "list-tables").stdout)
    result = aws(server, "list-tables", check=False,
                 credentials={**CREDENTIALS, "aws_secret_access_key": "wrong"})
    assert result.returncode != 0 and "InvalidSignatureException" in result.stderr


def test_auth_off_accepts_any_credentials_and_says_so(workdir):
    server = Server(workdir / "auth-off", "--auth", "off").start()
    try:
        anyone = client_with(server, aws_access_key_id="anything", aws_secret_access_key="at-all")
        assert anyone.list_tables()["TableNames"] == []
        assert "authentication is OFF" in server.read_log()
        # Still DynamoDB's answer without any Authorization header.
        assert post(server, b"{}", TARGET)[1]["__type"].endswith("#MissingAuthenticationTokenException")
    finally:
        server.stop()


def test_generated_root_credentials_work_from_the_credentials_file(workdir):
    data = workdir / "generated" / "data"
    data.parent.mkdir()
    server = Server(data, root_from_environment=False).start()
    try:
        text = (data / "credentials").read_text()
        assert (data / "credentials").stat().st_mode & 0o777 == 0o600
        key = re.search(r"aws_access_key_id = (\S+)", text).group(1)
        secret = re.search(r"aws_secret_access_key = (\S+)", text).group(1)
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key) and len(secret) == 40
        assert client_with(server, aws_access_key_id=key, aws_secret_access_key=secret).list_tables()
        assert secret not in server.read_log()
        # The harness's credentials are not this server's.
        assert refused(client_with(server).list_tables)[1] == "UnrecognizedClientException"
        # The same credentials after a restart.
        server.stop()
        server.start()
        assert client_with(server, aws_access_key_id=key, aws_secret_access_key=secret).list_tables()
    finally:
        server.stop()
