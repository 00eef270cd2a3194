"""Export to and import from S3 (issue 17): ExportTableToPointInTime (full
and incremental), DescribeExport, ListExports, ImportTable, DescribeImport
and ListImports, with boto3 and the AWS CLI. The server's buckets are
directories below its --bucket-root; the files follow DynamoDB's documented
export layout (AWSDynamoDB/<ExportId>/manifest-summary.json,
manifest-files.json, data/*.json.gz, their .md5 files and _started), so the
test reads them as a tool written for DynamoDB's exports would. DynamoDB
Local has none of these operations (ORACLE_NOTES.md). Waits poll with a
generous deadline and assert nothing about timing."""

import base64
import gzip
import hashlib
import json
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from harness import Server, aws, scan_all
from helpers import expect_error
from test_backups import wait_for, wait_table_active

# A "day" of 96 s: an incremental export's period may then be 1 s to 96 s
# (DynamoDB: 15 minutes to 24 hours, which a test cannot wait for).
DAY = "96"


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def buckets(workdir):
    root = workdir / f"buckets-{uuid.uuid4().hex[:6]}"
    root.mkdir()
    return root


@pytest.fixture(scope="module")
def exporter(workdir, buckets):
    server = Server(workdir / f"export-{uuid.uuid4().hex[:8]}", "--bucket-root", str(buckets), "--pitr-day", DAY)
    server.start()
    yield server
    server.stop()


def new_bucket(root):
    name = unique("bucket")
    (root / name).mkdir()
    return name


def indexed_table(client, name):
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "colour", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def import_parameters(name):
    """The same table definition as ImportTable's TableCreationParameters."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "colour", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def varied_item(i):
    """An item with every attribute type."""
    return {
        "pk": S(f"p{i % 7}"),
        "sk": N(i),
        "colour": S(["red", "green", "blue"][i % 3]),
        "text": S(f"zażółć {i} \"quoted\"\n"),
        "n": N(f"-{i}.5"),
        "bin": {"B": bytes([i % 256, 0, 255])},
        "flag": {"BOOL": i % 2 == 0},
        "nothing": {"NULL": True},
        "ss": {"SS": [f"a{i}", f"b{i}"]},
        "ns": {"NS": [str(i), str(i + 0.25)]},
        "bs": {"BS": [b"\x00", bytes([i % 255 + 1])]},
        "m": {"M": {"inner": {"L": [N(i), S("x"), {"M": {}}]}}},
    }


def put_items(client, table, items):
    for start in range(0, len(items), 25):
        client.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]})


def enable_pitr(client, table):
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )

    def available():
        description = client.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        return "LatestRestorableDateTime" in description["PointInTimeRecoveryDescription"]

    wait_for(available, f"point-in-time recovery of {table}")


def table_arn(client, table):
    return client.describe_table(TableName=table)["Table"]["TableArn"]


def wait_export(client, arn):
    def ended():
        description = client.describe_export(ExportArn=arn)["ExportDescription"]
        return description if description["ExportStatus"] != "IN_PROGRESS" else None

    return wait_for(ended, f"export {arn}")


def wait_import(client, arn):
    def ended():
        description = client.describe_import(ImportArn=arn)["ImportTableDescription"]
        return description if description["ImportStatus"] != "IN_PROGRESS" else None

    return wait_for(ended, f"import {arn}")


def md5_base64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def normalise(item):
    """A wire item with its sets sorted (set order is not an item's)."""
    def value(v):
        (kind, inner), = v.items()
        if kind in ("SS", "NS", "BS"):
            return {kind: sorted(inner)}
        if kind == "M":
            return {"M": {k: value(x) for k, x in inner.items()}}
        if kind == "L":
            return {"L": [value(x) for x in inner]}
        return v

    return {k: value(v) for k, v in item.items()}


def as_wire(item):
    """A boto3 item (bytes for B) in the JSON wire form files hold."""
    def value(v):
        (kind, inner), = v.items()
        if kind == "B":
            return {"B": base64.b64encode(inner).decode()}
        if kind == "BS":
            return {"BS": sorted(base64.b64encode(b).decode() for b in inner)}
        if kind in ("SS", "NS"):
            return {kind: sorted(inner)}
        if kind == "M":
            return {"M": {k: value(x) for k, x in inner.items()}}
        if kind == "L":
            return {"L": [value(x) for x in inner]}
        return v

    return {k: value(v) for k, v in item.items()}


def key_of(item):
    return (item["pk"]["S"], Decimal(item["sk"]["N"]))


def read_export(buckets, bucket, description):
    """The export's files as a tool for DynamoDB's exports reads them:
    the summary, the manifest's entries, and every data line."""
    root = buckets / bucket
    summary_key = description["ExportManifest"]
    summary_bytes = (root / summary_key).read_bytes()
    base = summary_key.rsplit("/", 1)[0]
    assert (root / base / "manifest-summary.md5").read_text() == md5_base64(summary_bytes)
    assert (root / base / "_started").read_bytes() == b""
    summary = json.loads(summary_bytes)
    files_bytes = (root / summary["manifestFilesS3Key"]).read_bytes()
    assert (root / base / "manifest-files.md5").read_text() == md5_base64(files_bytes)
    entries = [json.loads(line) for line in files_bytes.decode().splitlines()]
    lines = []
    for entry in entries:
        data = (root / entry["dataFileS3Key"]).read_bytes()
        assert entry["md5Checksum"] == md5_base64(data)
        assert entry["etag"] == hashlib.md5(data).hexdigest()
        file_lines = [json.loads(line) for line in gzip.decompress(data).decode().splitlines()]
        assert entry["itemCount"] == len(file_lines)
        lines.extend(file_lines)
    assert summary["itemCount"] == len(lines) == description["ItemCount"]
    return summary, entries, lines


def test_full_export_reads_back_item_for_item_and_imports_into_an_equal_table(exporter, buckets):
    client = exporter.client()
    source = unique("exp-src")
    indexed_table(client, source)
    items = [varied_item(i) for i in range(60)]
    put_items(client, source, items)
    enable_pitr(client, source)
    bucket = new_bucket(buckets)
    started = client.export_table_to_point_in_time(
        TableArn=table_arn(client, source), S3Bucket=bucket, S3Prefix="nightly/run1"
    )["ExportDescription"]
    assert started["ExportStatus"] in ("IN_PROGRESS", "COMPLETED")
    assert started["ExportFormat"] == "DYNAMODB_JSON" and started["ClientToken"]
    assert "ExportType" not in started
    assert started["ExportArn"].startswith(table_arn(client, source) + "/export/")
    done = wait_export(client, started["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    assert done["ItemCount"] == 60 and done["BilledSizeBytes"] > 0
    export_id = done["ExportArn"].rsplit("/", 1)[1]
    assert done["ExportManifest"] == f"nightly/run1/AWSDynamoDB/{export_id}/manifest-summary.json"

    summary, entries, lines = read_export(buckets, bucket, done)
    assert summary["version"] == "2020-06-30"
    assert summary["exportArn"] == done["ExportArn"] and summary["tableArn"] == done["TableArn"]
    assert summary["tableId"] == done["TableId"] and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["s3Bucket"] == bucket and summary["s3Prefix"] == "nightly/run1"
    assert summary["billedSizeBytes"] == done["BilledSizeBytes"]
    for key in ("startTime", "endTime", "exportTime"):
        datetime.strptime(summary[key], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert all(e["dataFileS3Key"].startswith(f"nightly/run1/AWSDynamoDB/{export_id}/data/") for e in entries)
    assert all(e["dataFileS3Key"].endswith(".json.gz") for e in entries)
    exported = sorted((normalise(line["Item"]) for line in lines), key=key_of)
    assert exported == sorted((as_wire(item) for item in scan_all(client, source)), key=key_of)

    listed = client.list_exports(TableArn=done["TableArn"])["ExportSummaries"]
    assert {"ExportArn": done["ExportArn"], "ExportStatus": "COMPLETED", "ExportType": "FULL_EXPORT"} in listed

    # The export's data files, imported into a new table, give the source back.
    target = unique("imp-tgt")
    imported = client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": f"nightly/run1/AWSDynamoDB/{export_id}/data/"},
        InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP",
        TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]
    assert imported["ImportStatus"] == "IN_PROGRESS"
    assert imported["ImportArn"].startswith(imported["TableArn"] + "/import/")
    assert imported["ProcessedItemCount"] == imported["ImportedItemCount"] == imported["ErrorCount"] == 0
    assert "EndTime" not in imported and "ProcessedSizeBytes" not in imported
    finished = wait_import(client, imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ProcessedItemCount"] == finished["ImportedItemCount"] == 60
    assert finished["ErrorCount"] == 0 and finished["ProcessedSizeBytes"] > 0 and "EndTime" in finished
    table = wait_table_active(client, target)
    assert table["TableId"] == finished["TableId"] and table["ItemCount"] == 60
    assert sorted(scan_all(client, target), key=key_of) == sorted(scan_all(client, source), key=key_of)
    for colour in ("red", "green", "blue"):
        query = dict(IndexName="by_colour", KeyConditionExpression="colour = :c",
                     ExpressionAttributeValues={":c": S(colour)})
        assert client.query(TableName=target, **query)["Items"] == client.query(TableName=source, **query)["Items"]
    summaries = client.list_imports(TableArn=finished["TableArn"])["ImportSummaryList"]
    assert [s["ImportArn"] for s in summaries] == [finished["ImportArn"]]
    assert set(summaries[0]) == {"ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "InputFormat", "StartTime", "EndTime"}


def moment():
    time.sleep(0.05)
    now = datetime.now(timezone.utc)
    time.sleep(0.05)
    return now


def test_export_at_a_past_time_and_incremental_exports(exporter, buckets):
    client = exporter.client()
    source = unique("exp-inc")
    client.create_table(
        TableName=source,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=source, Item={"pk": S("kept"), "v": N(1)})
    client.put_item(TableName=source, Item={"pk": S("changed"), "v": N(1)})
    client.put_item(TableName=source, Item={"pk": S("deleted"), "v": N(1)})
    enable_pitr(client, source)
    time.sleep(1.1)  # the period must be at least 1 s of this server's clock
    start = moment()
    client.put_item(TableName=source, Item={"pk": S("changed"), "v": N(2)})
    client.delete_item(TableName=source, Key={"pk": S("deleted")})
    client.put_item(TableName=source, Item={"pk": S("new"), "v": N(1)})
    client.put_item(TableName=source, Item={"pk": S("brief"), "v": N(1)})
    client.delete_item(TableName=source, Key={"pk": S("brief")})
    time.sleep(1.1)
    end = moment()
    client.put_item(TableName=source, Item={"pk": S("later"), "v": N(1)})
    arn = table_arn(client, source)
    bucket = new_bucket(buckets)

    # A full export of the table as it was at `start`.
    at_start = wait_export(
        client, client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportTime=start)["ExportDescription"]["ExportArn"]
    )
    assert at_start["ExportStatus"] == "COMPLETED", at_start
    _, _, lines = read_export(buckets, bucket, at_start)
    assert sorted((line["Item"]["pk"]["S"], line["Item"]["v"]["N"]) for line in lines) == [
        ("changed", "1"), ("deleted", "1"), ("kept", "1")
    ]

    by_view = {}
    for view in ("NEW_AND_OLD_IMAGES", "NEW_IMAGE"):
        started = client.export_table_to_point_in_time(
            TableArn=arn, S3Bucket=bucket, ExportType="INCREMENTAL_EXPORT",
            IncrementalExportSpecification={"ExportFromTime": start, "ExportToTime": end, "ExportViewType": view},
        )["ExportDescription"]
        assert started["ExportType"] == "INCREMENTAL_EXPORT" and "ExportTime" not in started
        done = wait_export(client, started["ExportArn"])
        assert done["ExportStatus"] == "COMPLETED", done
        summary, entries, lines = read_export(buckets, bucket, done)
        assert summary["outputView"] == view and summary["exportType"] == "INCREMENTAL_EXPORT"
        assert "exportFromTime" in summary and "exportToTime" in summary
        assert all(e["dataFileS3Key"].startswith("AWSDynamoDB/data/") for e in entries)
        for line in lines:
            assert int(line["Metadata"]["WriteTimestampMicros"]["N"]) >= int(start.timestamp() * 1_000_000)
            del line["Metadata"]
        by_view[view] = sorted(lines, key=lambda line: line["Keys"]["pk"]["S"])
    # "brief" came and went within the period; "kept" and "later" are not in it.
    assert by_view["NEW_AND_OLD_IMAGES"] == [
        {"Keys": {"pk": S("changed")}, "OldImage": {"pk": S("changed"), "v": N(1)}, "NewImage": {"pk": S("changed"), "v": N(2)}},
        {"Keys": {"pk": S("deleted")}, "OldImage": {"pk": S("deleted"), "v": N(1)}},
        {"Keys": {"pk": S("new")}, "NewImage": {"pk": S("new"), "v": N(1)}},
    ]
    assert by_view["NEW_IMAGE"] == [
        {"Keys": {"pk": S("changed")}, "NewImage": {"pk": S("changed"), "v": N(2)}},
        {"Keys": {"pk": S("deleted")}},
        {"Keys": {"pk": S("new")}, "NewImage": {"pk": S("new"), "v": N(1)}},
    ]


def write_hand_made_export(root, prefix, lines_per_file):
    """An export laid out as DynamoDB's documentation shows one, written
    without Halyard: returns the data directory's key prefix."""
    export_id = "01604474914028-a1b2c3d4"
    base = f"{prefix}/AWSDynamoDB/{export_id}"
    (root / base / "data").mkdir(parents=True)
    (root / base / "_started").write_bytes(b"")
    entries = []
    for number, lines in enumerate(lines_per_file):
        key = f"{base}/data/{'abcdefghijklmnopqrstuvwxy'[number]}4xh3lhtf5c5gaxxji.json.gz"
        data = gzip.compress("".join(line + "\n" for line in lines).encode())
        (root / key).write_bytes(data)
        entries.append({"itemCount": len(lines), "md5Checksum": md5_base64(data),
                        "etag": hashlib.md5(data).hexdigest(), "dataFileS3Key": key})
    manifest = "".join(json.dumps(entry) + "\n" for entry in entries).encode()
    (root / base / "manifest-files.json").write_bytes(manifest)
    (root / base / "manifest-summary.json").write_text(json.dumps({
        "version": "2020-06-30", "exportArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/{export_id}",
        "itemCount": sum(map(len, lines_per_file)), "outputFormat": "DYNAMODB_JSON",
        "manifestFilesS3Key": f"{base}/manifest-files.json",
    }))
    return f"{base}/data/"


def test_import_of_an_export_in_dynamodbs_own_format_with_bad_lines(exporter, buckets):
    client = exporter.client()
    bucket = new_bucket(buckets)
    good = [
        json.dumps({"Item": {"pk": S("book"), "sk": N(103), "colour": S("red"), "Authors": {"SS": ["Author1", "Author2"]},
                             "Dimensions": S("8.5 x 11.0 x 1.5"), "InPublication": {"BOOL": False}, "Price": N(2000)}}),
        json.dumps({"Item": {"pk": S("book"), "sk": N(104), "colour": S("blue"), "Cover": {"B": "AAH+/w=="}}}),
        json.dumps({"Item": {"pk": S("dvd"), "sk": N(1), "colour": S("red")}}),
    ]
    clean = write_hand_made_export(buckets / bucket, "clean", [good[:2], [], good[2:]])
    target = unique("imp-own")
    started = client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": clean}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP", TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]
    finished = wait_import(client, started["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ProcessedItemCount"] == finished["ImportedItemCount"] == 3 and finished["ErrorCount"] == 0
    wait_table_active(client, target)
    book = client.get_item(TableName=target, Key={"pk": S("book"), "sk": N(103)})["Item"]
    assert book["Authors"] == {"SS": ["Author1", "Author2"]} and book["InPublication"] == {"BOOL": False}
    assert client.get_item(TableName=target, Key={"pk": S("book"), "sk": N(104)})["Item"]["Cover"] == {"B": b"\x00\x01\xfe\xff"}
    red = client.query(TableName=target, IndexName="by_colour", KeyConditionExpression="colour = :c",
                       ExpressionAttributeValues={":c": S("red")})["Items"]
    assert sorted(item["pk"]["S"] for item in red) == ["book", "dvd"]

    bad = [
        '{"NotAnItem": {"pk": {"S": "x"}, "sk": {"N": "1"}}}',
        '{"Item": {"sk": {"N": "1"}}}',
        '{"Item": {"pk": {"S": "x"}, "sk": {"S": "not a number"}}}',
        '{"Item": ',
        "",
    ]
    dirty = write_hand_made_export(buckets / bucket, "dirty", [good[:1] + bad, good[1:]])
    target = unique("imp-bad")
    started = client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": dirty}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP", TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]
    finished = wait_import(client, started["ImportArn"])
    assert finished["ImportStatus"] == "FAILED" and finished["FailureCode"] == "ItemValidationError", finished
    assert finished["ErrorCount"] == 4 and finished["ImportedItemCount"] == 3
    assert finished["ProcessedItemCount"] == finished["ImportedItemCount"] + finished["ErrorCount"]
    assert "line 2" in finished["FailureMessage"], finished["FailureMessage"]
    # The items that passed are kept, in an ACTIVE table.
    assert wait_table_active(client, target)["ItemCount"] == 3


def test_csv_import_with_options(exporter, buckets):
    client = exporter.client()
    bucket = new_bucket(buckets)
    (buckets / bucket / "people").mkdir()
    (buckets / bucket / "people" / "part-1.csv").write_text(
        'pk|sk|colour|note\nann|1|red|"says ""hi""|often"\nbob|2|blue|\n\n'
    )
    (buckets / bucket / "people" / "part-2.csv").write_text("pk|sk|colour|note\ncy|x|red|bad number\n")
    target = unique("imp-csv")
    started = client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "people/"}, InputFormat="CSV",
        InputFormatOptions={"Csv": {"Delimiter": "|"}}, TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]
    assert started["InputCompressionType"] == "NONE"
    assert started["InputFormatOptions"] == {"Csv": {"Delimiter": "|"}}
    finished = wait_import(client, started["ImportArn"])
    assert finished["ImportStatus"] == "FAILED" and finished["ErrorCount"] == 1, finished
    assert finished["ImportedItemCount"] == 2
    wait_table_active(client, target)
    assert client.get_item(TableName=target, Key={"pk": S("ann"), "sk": N(1)})["Item"] == {
        "pk": S("ann"), "sk": N(1), "colour": S("red"), "note": S('says "hi"|often')
    }
    assert client.get_item(TableName=target, Key={"pk": S("bob"), "sk": N(2)})["Item"] == {
        "pk": S("bob"), "sk": N(2), "colour": S("blue")
    }


def test_aws_cli_exports_and_imports(exporter, buckets):
    client = exporter.client()
    source = unique("exp-cli")
    indexed_table(client, source)
    put_items(client, source, [varied_item(i) for i in range(5)])
    enable_pitr(client, source)
    bucket = new_bucket(buckets)
    started = json.loads(aws(exporter, "export-table-to-point-in-time", "--table-arn", table_arn(client, source),
                             "--s3-bucket", bucket).stdout)["ExportDescription"]
    wait_export(client, started["ExportArn"])
    described = json.loads(aws(exporter, "describe-export", "--export-arn", started["ExportArn"]).stdout)
    assert described["ExportDescription"]["ExportStatus"] == "COMPLETED"
    assert described["ExportDescription"]["ItemCount"] == 5
    listed = json.loads(aws(exporter, "list-exports", "--table-arn", table_arn(client, source)).stdout)
    assert [s["ExportArn"] for s in listed["ExportSummaries"]] == [started["ExportArn"]]
    export_id = started["ExportArn"].rsplit("/", 1)[1]
    target = unique("imp-cli")
    imported = json.loads(aws(
        exporter, "import-table", "--input-format", "DYNAMODB_JSON", "--input-compression-type", "GZIP",
        "--s3-bucket-source", f"S3Bucket={bucket},S3KeyPrefix=AWSDynamoDB/{export_id}/data/",
        "--table-creation-parameters", json.dumps(import_parameters(target)),
    ).stdout)["ImportTableDescription"]
    wait_import(client, imported["ImportArn"])
    described = json.loads(aws(exporter, "describe-import", "--import-arn", imported["ImportArn"]).stdout)
    assert described["ImportTableDescription"]["ImportedItemCount"] == 5
    assert len(scan_all(client, target)) == 5


def test_kill_9_during_an_export_and_an_import_resumes_them(workdir, buckets):
    # Each job pauses after every file, so the kill lands while it runs.
    server = Server(workdir / f"kill-{uuid.uuid4().hex[:8]}", "--bucket-root", str(buckets), "--transfer-pause", "0.5")
    server.start()
    try:
        client = server.client()
        source = unique("exp-kill")
        indexed_table(client, source)
        put_items(client, source, [{"pk": S(f"p{i % 50}"), "sk": N(i), "colour": S("red"), "v": S("x" * 100)}
                                   for i in range(3500)])
        enable_pitr(client, source)
        bucket = new_bucket(buckets)
        arn = client.export_table_to_point_in_time(TableArn=table_arn(client, source), S3Bucket=bucket)[
            "ExportDescription"]["ExportArn"]
        # Progress is reported while the export runs.
        wait_for(lambda: client.describe_export(ExportArn=arn)["ExportDescription"]["ItemCount"] > 0, "progress")
        server.kill()
        server.start()
        client = server.client()
        done = wait_export(client, arn)
        assert done["ExportStatus"] == "COMPLETED", done
        _, entries, lines = read_export(buckets, bucket, done)
        assert len(lines) == 3500 and len({key_of(line["Item"]) for line in lines}) == 3500

        export_id = arn.rsplit("/", 1)[1]
        target = unique("imp-kill")
        import_arn = client.import_table(
            S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": f"AWSDynamoDB/{export_id}/data/"},
            InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP", TableCreationParameters=import_parameters(target),
        )["ImportTableDescription"]["ImportArn"]
        wait_for(lambda: client.describe_import(ImportArn=import_arn)["ImportTableDescription"]["ProcessedItemCount"] > 0,
                 "progress")
        server.kill()
        server.start()
        client = server.client()
        # The half-filled table is not ACTIVE while the import runs again.
        status = client.describe_table(TableName=target)["Table"]["TableStatus"]
        finished = wait_import(client, import_arn)
        assert status == "CREATING" or finished["ImportStatus"] == "COMPLETED"
        assert finished["ImportStatus"] == "COMPLETED", finished
        assert finished["ImportedItemCount"] == 3500 and finished["ErrorCount"] == 0
        assert wait_table_active(client, target)["ItemCount"] == 3500
        assert sorted(scan_all(client, target), key=key_of) == sorted(scan_all(client, source), key=key_of)
    finally:
        server.stop()


def test_bad_requests_get_dynamodbs_errors(exporter, buckets):
    client = exporter.client()
    table = unique("exp-err")
    indexed_table(client, table)
    arn = table_arn(client, table)
    bucket = new_bucket(buckets)
    expect_error(client.export_table_to_point_in_time, "PointInTimeRecoveryUnavailableException",
                 TableArn=arn, S3Bucket=bucket)
    expect_error(client.export_table_to_point_in_time, "TableNotFoundException",
                 TableArn=arn.replace(table, unique("exp-none")), S3Bucket=bucket)
    status, _, body = exporter.raw("ExportTableToPointInTime", {"TableArn": "", "S3Bucket": bucket})
    assert status == 400 and body["__type"].endswith("ValidationException") and "'tableArn'" in body["message"], body
    expect_error(client.export_table_to_point_in_time, "ValidationException", contains="s3Bucket",
                 TableArn=arn, S3Bucket="-bad-")
    expect_error(client.export_table_to_point_in_time, "ValidationException", contains="exportFormat",
                 TableArn=arn, S3Bucket=bucket, ExportFormat="QWERTY")
    enable_pitr(client, table)
    expect_error(client.export_table_to_point_in_time, "InvalidExportTimeException",
                 TableArn=arn, S3Bucket=bucket, ExportTime=datetime(2020, 1, 1, tzinfo=timezone.utc))
    now = time.time()
    expect_error(client.export_table_to_point_in_time, "InvalidExportTimeException",
                 contains="Difference between export period", TableArn=arn, S3Bucket=bucket,
                 ExportType="INCREMENTAL_EXPORT",
                 IncrementalExportSpecification={"ExportFromTime": now - 0.5, "ExportToTime": now})
    token = str(uuid.uuid4())
    first = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ClientToken=token)["ExportDescription"]
    again = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ClientToken=token)["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"] and again["ClientToken"] == token
    expect_error(client.export_table_to_point_in_time, "ExportConflictException", contains="Duplicate request detected",
                 TableArn=arn, S3Bucket=bucket, ClientToken=token, S3Prefix="other")
    # A bucket that does not exist fails the export, not the request.
    missing = wait_export(client, client.export_table_to_point_in_time(TableArn=arn, S3Bucket=unique("nobucket"))[
        "ExportDescription"]["ExportArn"])
    assert missing["ExportStatus"] == "FAILED" and missing["FailureCode"] == "S3NoSuchBucket"
    assert "bucket does not exist" in missing["FailureMessage"]
    expect_error(client.describe_export, "ValidationException", contains="Invalid Export ARN", ExportArn=arn + "/nothing-here")
    expect_error(client.describe_export, "ExportNotFoundException",
                 ExportArn=f"{arn}/export/{int(time.time() * 1000):014}-0badf00d")
    expect_error(client.list_exports, "ValidationException", contains="ListExports", NextToken="0123456789abcdef" * 8)
    paged, token = [], None
    while True:
        page = client.list_exports(TableArn=arn, MaxResults=1, **({"NextToken": token} if token else {}))
        paged += [s["ExportArn"] for s in page["ExportSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert paged == sorted(paged, reverse=True) and set(paged) == {first["ExportArn"], missing["ExportArn"]}

    expect_error(client.import_table, "ResourceInUseException", f"Table already exists: {table}",
                 S3BucketSource={"S3Bucket": bucket}, InputFormat="DYNAMODB_JSON",
                 TableCreationParameters=import_parameters(table))
    expect_error(client.import_table, "ValidationException", contains="InputFormatOptions",
                 S3BucketSource={"S3Bucket": bucket}, InputFormat="DYNAMODB_JSON",
                 InputFormatOptions={"Csv": {"Delimiter": ","}}, TableCreationParameters=import_parameters(unique("imp-x")))
    expect_error(client.import_table, "ValidationException", contains="inputCompressionType",
                 S3BucketSource={"S3Bucket": bucket}, InputFormat="DYNAMODB_JSON", InputCompressionType="BZIP2",
                 TableCreationParameters=import_parameters(unique("imp-x")))
    expect_error(client.describe_import, "ImportNotFoundException",
                 ImportArn=f"{arn}/import/{int(time.time() * 1000):014}-0badf00d")
    expect_error(client.describe_import, "ValidationException", contains="Invalid Import ARN", ImportArn=arn + "/x/y/z")
    # A missing bucket fails the import, and its table is removed.
    gone = unique("imp-gone")
    failed = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": unique("nobucket")}, InputFormat="DYNAMODB_JSON",
        TableCreationParameters=import_parameters(gone))["ImportTableDescription"]["ImportArn"])
    assert failed["ImportStatus"] == "FAILED" and failed["FailureCode"] == "S3NoSuchBucket"
    expect_error(client.describe_table, "ResourceNotFoundException", TableName=gone)
    # A prefix with no objects makes an empty table.
    empty = unique("imp-empty")
    done = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "nothing/"}, InputFormat="DYNAMODB_JSON",
        TableCreationParameters=import_parameters(empty))["ImportTableDescription"]["ImportArn"])
    assert done["ImportStatus"] == "COMPLETED" and done["ProcessedItemCount"] == 0
    assert wait_table_active(client, empty)["ItemCount"] == 0
    expect_error(client.list_imports, "ValidationException", contains="ListImports", NextToken="0123456789abcdef" * 8)
    paged, token = [], None
    while True:
        page = client.list_imports(PageSize=1, **({"NextToken": token} if token else {}))
        paged += [s["ImportArn"] for s in page["ImportSummaryList"]]
        token = page.get("NextToken")
        if not token:
            break
    # Newest first: by the import's id (its ARN starts with its table's).
    assert paged == sorted(paged, key=lambda arn: arn.rsplit("/", 1)[1], reverse=True)
    assert len(set(paged)) == len(paged)
    assert {failed["ImportArn"], done["ImportArn"]} <= set(paged)
