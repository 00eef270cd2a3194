"""Export to and import from a bucket on an S3-compatible endpoint (issue
17): the server started with --s3-endpoint and a credentials file, against
moto's S3 server (started here, with its request authentication on: an IAM
user's access key signs every request, SigV4). The export is read back
with boto3's S3 client as a tool for DynamoDB's exports reads one; an
import reads it back into a table that equals the source. Also: a big data
file uploaded in parts, ZSTD-compressed imports, a missing bucket and bad
credentials failing the job with DynamoDB's failure codes, and a kill -9
during an export. Waits poll with a generous deadline and assert nothing
about timing."""

import base64
import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
import zstandard

from harness import REGION, Server, aws, free_port, scan_all
from test_backups import wait_for, wait_table_active
from test_export_import import (DAY, N, S, as_wire, enable_pitr, import_parameters, indexed_table, key_of,
                                normalise, put_items, read_export, table_arn, unique, varied_item, wait_export,
                                wait_import)


class Moto:
    """moto's S3 server, with an IAM user whose key signs requests."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / f"moto-{self.port}.log", "wb")
        moto_server = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen([str(moto_server), "-p", str(self.port)], stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_for(self.answers, "moto's server")
        # Until authentication is switched on, any key is accepted.
        iam = boto3.client("iam", endpoint_url=self.url, region_name=REGION, aws_access_key_id="setup",
                           aws_secret_access_key="setup")
        iam.create_user(UserName="exporter")
        iam.put_user_policy(UserName="exporter", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="exporter")["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=b"0", method="POST",
                                                      headers={"Content-Type": "text/plain"}))

    def answers(self):
        try:
            urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)
            return True
        except OSError:
            return False

    def s3(self):
        return boto3.client("s3", endpoint_url=self.url, region_name=REGION, aws_access_key_id=self.key_id,
                            aws_secret_access_key=self.secret)

    def credentials_file(self, directory, key_id=None, secret=None):
        path = directory / f"s3-credentials-{uuid.uuid4().hex[:6]}"
        path.write_text(f"[default]\naws_access_key_id = {key_id or self.key_id}\n"
                        f"aws_secret_access_key = {secret or self.secret}\n")
        return path

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.log.close()


class S3Path:
    """A key of a bucket, read like a path (`root / key`, read_bytes), so
    test_export_import's read_export reads an export from S3."""

    def __init__(self, s3, bucket=None, key=""):
        self.s3, self.bucket, self.key = s3, bucket, key

    def __truediv__(self, part):
        if self.bucket is None:
            return S3Path(self.s3, part)
        return S3Path(self.s3, self.bucket, f"{self.key}/{part}" if self.key else part)

    def read_bytes(self):
        return self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()

    def read_text(self):
        return self.read_bytes().decode()


@pytest.fixture(scope="module")
def moto(workdir):
    server = Moto(workdir)
    yield server
    server.stop()


def s3_server(workdir, moto, *extra, credentials=None):
    server = Server(workdir / f"s3-{uuid.uuid4().hex[:8]}", "--s3-endpoint", moto.url, "--s3-credentials-file",
                    str(credentials or moto.credentials_file(workdir)), "--pitr-day", DAY, *extra)
    server.start()
    return server


@pytest.fixture(scope="module")
def exporter(workdir, moto):
    server = s3_server(workdir, moto)
    yield server
    server.stop()


def new_bucket(moto):
    name = unique("bucket")
    moto.s3().create_bucket(Bucket=name)
    return name


def test_full_export_to_s3_reads_back_and_imports_into_an_equal_table(exporter, moto):
    client, s3 = exporter.client(), moto.s3()
    source = unique("s3-src")
    indexed_table(client, source)
    put_items(client, source, [varied_item(i) for i in range(1100)])
    enable_pitr(client, source)
    bucket = new_bucket(moto)
    done = wait_export(client, client.export_table_to_point_in_time(
        TableArn=table_arn(client, source), S3Bucket=bucket, S3Prefix="nightly", S3SseAlgorithm="AES256",
    )["ExportDescription"]["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    export_id = done["ExportArn"].rsplit("/", 1)[1]
    assert done["ExportManifest"] == f"nightly/AWSDynamoDB/{export_id}/manifest-summary.json"
    summary, entries, lines = read_export(S3Path(s3), bucket, done)
    assert summary["s3Bucket"] == bucket and summary["s3Prefix"] == "nightly"
    assert summary["s3SseAlgorithm"] == "AES256" and len(entries) == 2
    exported = sorted((normalise(line["Item"]) for line in lines), key=key_of)
    assert exported == sorted((as_wire(item) for item in scan_all(client, source)), key=key_of)
    # The objects are S3's, with the manifest's ETags and the asked encryption.
    for entry in entries:
        head = s3.head_object(Bucket=bucket, Key=entry["dataFileS3Key"])
        assert head["ETag"].strip('"') == entry["etag"]
        assert head["ServerSideEncryption"] == "AES256"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"nightly/AWSDynamoDB/{export_id}/")["Contents"]
    assert {o["Key"].rsplit("/", 1)[1] for o in listed} >= {
        "_started", "manifest-summary.json", "manifest-summary.md5", "manifest-files.json", "manifest-files.md5"}

    target = unique("s3-imp")
    imported = client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": f"nightly/AWSDynamoDB/{export_id}/data/"},
        InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP", TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]
    finished = wait_import(client, imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ImportedItemCount"] == 1100 and finished["ErrorCount"] == 0
    wait_table_active(client, target)
    assert sorted(scan_all(client, target), key=key_of) == sorted(scan_all(client, source), key=key_of)
    by_colour = client.query(TableName=target, IndexName="by_colour", KeyConditionExpression="colour = :c",
                             ExpressionAttributeValues={":c": S("red")})["Items"]
    assert len(by_colour) == 367


def test_incremental_export_to_s3(exporter, moto):
    client, s3 = exporter.client(), moto.s3()
    table = unique("s3-inc")
    indexed_table(client, table)
    put_items(client, table, [{"pk": S("a"), "sk": N(i), "colour": S("red")} for i in range(3)])
    enable_pitr(client, table)
    start = time.time()
    time.sleep(1.1)
    client.put_item(TableName=table, Item={"pk": S("a"), "sk": N(0), "colour": S("blue")})
    client.delete_item(TableName=table, Key={"pk": S("a"), "sk": N(1)})
    client.put_item(TableName=table, Item={"pk": S("b"), "sk": N(9), "colour": S("green")})
    time.sleep(1.1)
    bucket = new_bucket(moto)
    done = wait_export(client, client.export_table_to_point_in_time(
        TableArn=table_arn(client, table), S3Bucket=bucket, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": start, "ExportToTime": time.time() - 0.5,
                                        "ExportViewType": "NEW_AND_OLD_IMAGES"},
    )["ExportDescription"]["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    summary, entries, lines = read_export(S3Path(s3), bucket, done)
    assert summary["exportType"] == "INCREMENTAL_EXPORT" and summary["outputView"] == "NEW_AND_OLD_IMAGES"
    assert all(e["dataFileS3Key"].startswith("AWSDynamoDB/data/") for e in entries)
    changes = {key_of(line["Keys"]): line for line in lines}
    assert set(changes) == {("a", 0), ("a", 1), ("b", 9)}
    assert changes[("a", 0)]["OldImage"]["colour"] == S("red") and changes[("a", 0)]["NewImage"]["colour"] == S("blue")
    assert "NewImage" not in changes[("a", 1)] and changes[("a", 1)]["OldImage"]["colour"] == S("red")
    assert "OldImage" not in changes[("b", 9)]


def test_a_big_data_file_is_uploaded_in_parts(exporter, moto):
    client, s3 = exporter.client(), moto.s3()
    table = unique("s3-big")
    indexed_table(client, table)
    # 1,000 items (one data file) of 10 KB that gzip cannot shrink (base64
    # of random bytes gzips to about 10 KB again): more than one 8 MiB part.
    put_items(client, table, [{"pk": S(f"p{i}"), "sk": N(i), "colour": S("red"), "blob": {"B": os.urandom(10_000)}}
                              for i in range(1000)])
    enable_pitr(client, table)
    bucket = new_bucket(moto)
    done = wait_export(client, client.export_table_to_point_in_time(
        TableArn=table_arn(client, table), S3Bucket=bucket)["ExportDescription"]["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    summary, entries, lines = read_export_multipart(s3, bucket, done)
    assert len(entries) == 1 and entries[0]["etag"].endswith("-2"), entries
    assert sorted(key_of(line["Item"]) for line in lines) == sorted((f"p{i}", i) for i in range(1000))
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def read_export_multipart(s3, bucket, description):
    """An export whose data files may be multipart objects: their ETag is
    then not their MD5, so read_export's check of it does not hold; the
    manifest's ETag is S3's, and the MD5 checksum the whole file's."""
    summary = json.loads(S3Path(s3, bucket, description["ExportManifest"]).read_bytes())
    entries = [json.loads(line) for line in S3Path(s3, bucket, summary["manifestFilesS3Key"]).read_text().splitlines()]
    lines = []
    for entry in entries:
        data = S3Path(s3, bucket, entry["dataFileS3Key"]).read_bytes()
        assert entry["md5Checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
        assert s3.head_object(Bucket=bucket, Key=entry["dataFileS3Key"])["ETag"].strip('"') == entry["etag"]
        lines.extend(json.loads(line) for line in gzip.decompress(data).decode().splitlines())
    assert summary["itemCount"] == len(lines) == description["ItemCount"]
    return summary, entries, lines


def test_zstd_imports_of_dynamodb_json_and_csv(exporter, moto):
    client, s3 = exporter.client(), moto.s3()
    bucket = new_bucket(moto)
    compressor = zstandard.ZstdCompressor()
    items = [{"pk": S(f"z{i}"), "sk": N(i), "colour": S("blue"), "text": S(f"line {i}")} for i in range(300)]
    first, second = ("".join(json.dumps({"Item": item}) + "\n" for item in part).encode()
                     for part in (items[:150], items[150:]))
    json_lines = first + second
    # Two objects; the second of two zstd frames (split inside a line), as
    # concatenated files are.
    s3.put_object(Bucket=bucket, Key="json/part-1.zst", Body=compressor.compress(first))
    s3.put_object(Bucket=bucket, Key="json/part-2.zst",
                  Body=compressor.compress(second[:100]) + compressor.compress(second[100:]))
    csv_text = "pk,sk,colour,text\n" + "".join(f"c{i},{i},green,\"quoted, {i}\nsecond line\"\n" for i in range(200))
    s3.put_object(Bucket=bucket, Key="csv/all.csv.zst", Body=compressor.compress(csv_text.encode()))

    target = unique("s3-zjson")
    imported = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "json/"}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="ZSTD", TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]["ImportArn"])
    assert imported["ImportStatus"] == "COMPLETED", imported.get("FailureMessage")
    assert imported["ImportedItemCount"] == 300 and imported["ProcessedSizeBytes"] == len(json_lines)
    wait_table_active(client, target)
    assert sorted(scan_all(client, target), key=key_of) == sorted(items, key=key_of)

    target = unique("s3-zcsv")
    imported = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "csv/"}, InputFormat="CSV",
        InputCompressionType="ZSTD", TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]["ImportArn"])
    assert imported["ImportStatus"] == "COMPLETED", imported
    assert imported["ImportedItemCount"] == 200
    wait_table_active(client, target)
    got = client.get_item(TableName=target, Key={"pk": S("c7"), "sk": N(7)})["Item"]
    assert got["text"] == S("quoted, 7\nsecond line") and got["colour"] == S("green")

    # Bytes that are not zstd fail the import as unreadable.
    s3.put_object(Bucket=bucket, Key="bad/x.zst", Body=b"not zstd at all")
    failed = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "bad/"}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="ZSTD", TableCreationParameters=import_parameters(unique("s3-zbad")),
    )["ImportTableDescription"]["ImportArn"])
    assert failed["ImportStatus"] == "FAILED" and failed["FailureCode"] == "InvalidInput", failed


def test_missing_bucket_and_bad_credentials_fail_with_dynamodbs_codes(workdir, exporter, moto):
    client = exporter.client()
    table = unique("s3-fail")
    indexed_table(client, table)
    enable_pitr(client, table)
    missing = unique("bucket-none")
    failed = wait_export(client, client.export_table_to_point_in_time(
        TableArn=table_arn(client, table), S3Bucket=missing)["ExportDescription"]["ExportArn"])
    assert failed["ExportStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket", failed
    assert "bucket does not exist" in failed["FailureMessage"]
    target = unique("s3-fail-imp")
    failed = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": missing}, InputFormat="CSV",
        TableCreationParameters=import_parameters(target))["ImportTableDescription"]["ImportArn"])
    assert failed["ImportStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket", failed
    assert target not in client.list_tables()["TableNames"]

    # A key moto's IAM does not know, and a known key with a wrong secret.
    bucket = new_bucket(moto)
    for key_id, secret in (("AKIAUNKNOWNKEY000000", "whatever"), (moto.key_id, "wrong-secret")):
        server = s3_server(workdir, moto, credentials=moto.credentials_file(workdir, key_id, secret))
        try:
            other = server.client()
            indexed_table(other, table)
            enable_pitr(other, table)
            failed = wait_export(other, other.export_table_to_point_in_time(
                TableArn=table_arn(other, table), S3Bucket=bucket)["ExportDescription"]["ExportArn"])
            assert failed["ExportStatus"] == "FAILED" and failed["FailureCode"] == "S3AccessDenied", failed
            assert "Status Code: 403" in failed["FailureMessage"], failed
            failed = wait_import(other, other.import_table(
                S3BucketSource={"S3Bucket": bucket}, InputFormat="CSV",
                TableCreationParameters=import_parameters(target))["ImportTableDescription"]["ImportArn"])
            assert failed["ImportStatus"] == "FAILED" and failed["FailureCode"] == "S3AccessDenied", failed
        finally:
            server.stop()
    assert moto.s3().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_aws_cli_export_to_s3(exporter, moto):
    client = exporter.client()
    table = unique("s3-cli")
    indexed_table(client, table)
    put_items(client, table, [{"pk": S("k"), "sk": N(i), "colour": S("red")} for i in range(5)])
    enable_pitr(client, table)
    bucket = new_bucket(moto)
    started = json.loads(aws(exporter, "export-table-to-point-in-time", "--table-arn", table_arn(client, table),
                             "--s3-bucket", bucket, "--s3-prefix", "cli").stdout)["ExportDescription"]
    done = wait_export(client, started["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    _, _, lines = read_export(S3Path(moto.s3()), bucket, done)
    assert sorted(key_of(line["Item"]) for line in lines) == [("k", i) for i in range(5)]


def test_kill_9_during_an_s3_export_resumes_it(workdir, moto):
    server = s3_server(workdir, moto, "--transfer-pause", "0.5")
    try:
        client = server.client()
        source = unique("s3-kill")
        indexed_table(client, source)
        put_items(client, source, [{"pk": S(f"p{i % 50}"), "sk": N(i), "colour": S("red"), "v": S("x" * 100)}
                                   for i in range(3500)])
        enable_pitr(client, source)
        bucket = new_bucket(moto)
        arn = client.export_table_to_point_in_time(TableArn=table_arn(client, source), S3Bucket=bucket)[
            "ExportDescription"]["ExportArn"]
        wait_for(lambda: client.describe_export(ExportArn=arn)["ExportDescription"]["ItemCount"] > 0, "progress")
        server.kill()
        server.start()
        client = server.client()
        done = wait_export(client, arn)
        assert done["ExportStatus"] == "COMPLETED", done
        _, entries, lines = read_export(S3Path(moto.s3()), bucket, done)
        assert len(lines) == 3500 and len({key_of(line["Item"]) for line in lines}) == 3500
        # The first run's files went before the export ran again.
        export_id = arn.rsplit("/", 1)[1]
        data = moto.s3().list_objects_v2(Bucket=bucket, Prefix=f"AWSDynamoDB/{export_id}/data/")["Contents"]
        assert sorted(o["Key"] for o in data) == sorted(e["dataFileS3Key"] for e in entries)
    finally:
        server.stop()
