"""Export and import formats and options (issue 17): Amazon Ion exports and
imports in DynamoDB's layout (data/*.ion.gz, each line `$ion_1_0
{Item:{...}}`, sets as lists annotated $dynamodb_SS/NS/BS), read back here
with the amazon.ion package as an independent Ion reader; an Ion file
written by hand in the developer guide's form; CSV's InputFormatOptions;
ClientToken idempotency and conflicts of ImportTable and
ExportTableToPointInTime; ExportType / IncrementalExportSpecification
validation. DynamoDB Local has none of these operations (ORACLE_NOTES.md);
the docs are followed. Waits poll and assert nothing about timing."""

import gzip
import json
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from amazon.ion import simpleion
from amazon.ion.core import IonType

from harness import Server, scan_all
from helpers import expect_error
from test_backups import wait_table_active
from test_export_import import (
    DAY, N, S, enable_pitr, import_parameters, indexed_table, key_of, md5_base64, moment, new_bucket, put_items,
    table_arn, unique, varied_item, wait_export, wait_import,
)


@pytest.fixture(scope="module")
def buckets(workdir):
    root = workdir / f"buckets-{uuid.uuid4().hex[:6]}"
    root.mkdir()
    return root


@pytest.fixture(scope="module")
def server(workdir, buckets):
    server = Server(workdir / f"formats-{uuid.uuid4().hex[:8]}", "--bucket-root", str(buckets), "--pitr-day", DAY)
    server.start()
    yield server
    server.stop()


SETS = {"$dynamodb_SS": "SS", "$dynamodb_NS": "NS", "$dynamodb_BS": "BS"}


def from_ion(value):
    """An Ion value as DynamoDB's documented mapping reads it, in boto3's
    form (numbers as Decimal, so 6d2 and 600 compare equal)."""
    annotations = [a.text for a in getattr(value, "ion_annotations", ())]
    kind = value.ion_type
    if kind == IonType.LIST and annotations and annotations[0] in SETS:
        set_type = SETS[annotations[0]]
        members = [from_ion(v)[set_type[0]] for v in value]
        return {set_type: sorted(members)}
    if kind == IonType.STRUCT:
        return {"M": {k: from_ion(v) for k, v in value.items()}}
    if kind == IonType.LIST:
        return {"L": [from_ion(v) for v in value]}
    if kind == IonType.STRING:
        return {"S": str(value)}
    if kind in (IonType.DECIMAL, IonType.INT):
        return {"N": Decimal(value)}
    if kind == IonType.BLOB:
        return {"B": bytes(value)}
    if kind == IonType.BOOL:
        return {"BOOL": bool(value)}
    if kind == IonType.NULL:
        return {"NULL": True}
    raise AssertionError(f"an Ion type DynamoDB does not export: {kind}")


def comparable(item):
    """A boto3 item in the same form as from_ion gives (sets sorted, numbers Decimal)."""
    def value(v):
        (kind, inner), = v.items()
        if kind == "N":
            return {"N": Decimal(inner)}
        if kind == "NS":
            return {"NS": sorted(Decimal(n) for n in inner)}
        if kind in ("SS", "BS"):
            return {kind: sorted(inner)}
        if kind == "M":
            return {"M": {k: value(x) for k, x in inner.items()}}
        if kind == "L":
            return {"L": [value(x) for x in inner]}
        return v

    return {k: value(v) for k, v in item.items()}


def read_ion_export(buckets, bucket, description):
    """The export's Ion lines, each parsed on its own as a tool would (every
    line must start with the version marker), and the files' text."""
    root = buckets / bucket
    summary = json.loads((root / description["ExportManifest"]).read_bytes())
    assert summary["outputFormat"] == "ION"
    files = (root / summary["manifestFilesS3Key"]).read_bytes()
    lines, texts = [], []
    for entry in map(json.loads, files.decode().splitlines()):
        assert entry["dataFileS3Key"].endswith(".ion.gz"), entry
        data = (root / entry["dataFileS3Key"]).read_bytes()
        assert entry["md5Checksum"] == md5_base64(data)
        texts.append(gzip.decompress(data).decode())
        text_lines = texts[-1].splitlines()
        assert entry["itemCount"] == len(text_lines)
        for line in text_lines:
            assert line.startswith("$ion_1_0 {"), line
            lines.append(simpleion.loads(line))
    assert summary["itemCount"] == len(lines) == description["ItemCount"]
    return summary, lines, "".join(texts)


def test_ion_export_reads_back_item_for_item_and_imports_into_an_equal_table(server, buckets):
    client = server.client()
    source = unique("ion-src")
    indexed_table(client, source)
    items = [varied_item(i) for i in range(40)]
    items.append({"pk": S("odd names"), "sk": N(1), "colour": S("red"), "null": S("kw"), "$x": N("600"),
                  "a b'c": {"L": []}, "ctl": S("\x00\x1f\x7f\\'\"")})
    put_items(client, source, items)
    enable_pitr(client, source)
    bucket = new_bucket(buckets)
    started = client.export_table_to_point_in_time(
        TableArn=table_arn(client, source), S3Bucket=bucket, ExportFormat="ION"
    )["ExportDescription"]
    assert started["ExportFormat"] == "ION"
    done = wait_export(client, started["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED" and done["ExportFormat"] == "ION", done
    _, lines, text = read_ion_export(buckets, bucket, done)
    assert all(list(line.keys()) == ["Item"] for line in lines)
    exported = sorted((from_ion(line["Item"])["M"] for line in lines), key=key_of)
    assert exported == sorted((comparable(item) for item in scan_all(client, source)), key=key_of)
    # Written as DynamoDB writes them: numbers as digits and an exponent,
    # sets as annotated lists, names that are not identifiers quoted.
    assert "n:-15d-1," in text and "sk:1.," in text and "$x':6d2" in text
    assert "ss:$dynamodb_SS::[" in text and "ns:$dynamodb_NS::[" in text and "bs:$dynamodb_BS::[{{" in text
    assert "'null':\"kw\"" in text and "nothing:null" in text

    export_id = done["ExportArn"].rsplit("/", 1)[1]
    target = unique("ion-tgt")
    finished = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": f"AWSDynamoDB/{export_id}/data/"},
        InputFormat="ION", InputCompressionType="GZIP", TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["InputFormat"] == "ION"
    assert finished["ImportedItemCount"] == finished["ProcessedItemCount"] == len(items)
    wait_table_active(client, target)
    assert sorted(scan_all(client, target), key=key_of) == sorted(scan_all(client, source), key=key_of)
    query = dict(IndexName="by_colour", KeyConditionExpression="colour = :c", ExpressionAttributeValues={":c": S("red")})
    assert client.query(TableName=target, **query)["Items"] == client.query(TableName=source, **query)["Items"]


def test_incremental_ion_export_has_keys_images_and_metadata(server, buckets):
    client = server.client()
    source = unique("ion-inc")
    client.create_table(
        TableName=source, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=source, Item={"pk": S("changed"), "v": N(1)})
    client.put_item(TableName=source, Item={"pk": S("deleted"), "v": N(1)})
    enable_pitr(client, source)
    time.sleep(1.1)
    start = moment()
    client.put_item(TableName=source, Item={"pk": S("changed"), "v": N(2), "tags": {"SS": ["a", "b"]}})
    client.delete_item(TableName=source, Key={"pk": S("deleted")})
    client.put_item(TableName=source, Item={"pk": S("new"), "v": N(1)})
    time.sleep(1.1)
    end = moment()
    bucket = new_bucket(buckets)
    done = wait_export(client, client.export_table_to_point_in_time(
        TableArn=table_arn(client, source), S3Bucket=bucket, ExportFormat="ION", ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": start, "ExportToTime": end},
    )["ExportDescription"]["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    summary, lines, _ = read_ion_export(buckets, bucket, done)
    assert summary["exportType"] == "INCREMENTAL_EXPORT" and summary["outputView"] == "NEW_AND_OLD_IMAGES"
    by_key = {}
    for line in lines:
        micros = line["Metadata"]["WriteTimestampMicros"]
        assert int(micros) >= int(start.timestamp() * 1_000_000)
        record = {name: from_ion(line[name])["M"] for name in ("Keys", "NewImage", "OldImage") if name in line}
        by_key[record["Keys"]["pk"]["S"]] = record
    assert by_key == {
        "changed": {"Keys": {"pk": S("changed")}, "OldImage": {"pk": S("changed"), "v": {"N": Decimal(1)}},
                    "NewImage": {"pk": S("changed"), "v": {"N": Decimal(2)}, "tags": {"SS": ["a", "b"]}}},
        "deleted": {"Keys": {"pk": S("deleted")}, "OldImage": {"pk": S("deleted"), "v": {"N": Decimal(1)}}},
        "new": {"Keys": {"pk": S("new")}, "NewImage": {"pk": S("new"), "v": {"N": Decimal(1)}}},
    }


# The developer guide's Ion example ("formatted on multiple lines for the
# sake of readability"), then one item a line as exports write them.
DOCUMENTED_ION = """$ion_1_0 {
    Item:{
        Authors:$dynamodb_SS::["Author1","Author2"],
        Dimensions:"8.5 x 11.0 x 1.5",
        ISBN:"333-3333333333",
        pk:"book",
        sk:103.,
        colour:"red",
        InPublication:false,
        PageCount:6d2,
        Price:2d3,
        ProductCategory:"Book",
        Title:"Book 103 Title"
    }
}
$ion_1_0 {Item:{pk:"book",sk:104,colour:"blue",Cover:{{AAH+/w==}},Sizes:$dynamodb_NS::[1.5,25d-1],Thumbs:$dynamodb_BS::[{{AQ==}}],Gone:null,Parts:[1,"two",{three:3.}]}}
$ion_1_0 {Item:{pk:"bad",sk:2007-01-01T}}
$ion_1_0 {Item:{pk:"dvd",sk:1.,colour:"red"}}
"""


def test_import_of_an_ion_file_in_dynamodbs_documented_form(server, buckets):
    client = server.client()
    bucket = new_bucket(buckets)
    (buckets / bucket / "ion").mkdir()
    (buckets / bucket / "ion" / "books.ion").write_text(DOCUMENTED_ION)
    target = unique("ion-doc")
    finished = wait_import(client, client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "ion/"}, InputFormat="ION",
        TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]["ImportArn"])
    # The timestamp line is refused and reported; the others are imported.
    assert finished["ImportStatus"] == "FAILED" and finished["FailureCode"] == "ItemValidationError", finished
    assert finished["ErrorCount"] == 1 and finished["ImportedItemCount"] == 3 and finished["ProcessedItemCount"] == 4
    assert "ion/books.ion line 17" in finished["FailureMessage"], finished["FailureMessage"]
    wait_table_active(client, target)
    book = client.get_item(TableName=target, Key={"pk": S("book"), "sk": N(103)})["Item"]
    assert book == {
        "pk": S("book"), "sk": N(103), "colour": S("red"), "Authors": {"SS": ["Author1", "Author2"]},
        "Dimensions": S("8.5 x 11.0 x 1.5"), "ISBN": S("333-3333333333"), "InPublication": {"BOOL": False},
        "PageCount": N(600), "Price": N(2000), "ProductCategory": S("Book"), "Title": S("Book 103 Title"),
    }
    other = client.get_item(TableName=target, Key={"pk": S("book"), "sk": N(104)})["Item"]
    assert other["Cover"] == {"B": b"\x00\x01\xfe\xff"} and sorted(other["Sizes"]["NS"]) == ["1.5", "2.5"]
    assert other["Thumbs"] == {"BS": [b"\x01"]} and other["Gone"] == {"NULL": True}
    assert other["Parts"] == {"L": [N(1), S("two"), {"M": {"three": N(3)}}]}
    assert client.get_item(TableName=target, Key={"pk": S("dvd"), "sk": N(1)})["Item"]["colour"] == S("red")


def test_csv_input_format_options(server, buckets):
    client = server.client()
    bucket = new_bucket(buckets)
    (buckets / bucket / "tabs").mkdir()
    # With a HeaderList the first line is data; the delimiter is a tab.
    (buckets / bucket / "tabs" / "a.tsv").write_text("ann\t1\tred\tx y\nbob\t2\tblue\t\n")
    target = unique("csv-hdr")
    started = client.import_table(
        S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "tabs/"}, InputFormat="CSV",
        InputFormatOptions={"Csv": {"Delimiter": "\t", "HeaderList": ["pk", "sk", "colour", "note"]}},
        TableCreationParameters=import_parameters(target),
    )["ImportTableDescription"]
    assert started["InputFormatOptions"] == {"Csv": {"Delimiter": "\t", "HeaderList": ["pk", "sk", "colour", "note"]}}
    finished = wait_import(client, started["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED" and finished["ImportedItemCount"] == 2, finished
    wait_table_active(client, target)
    assert sorted(scan_all(client, target), key=key_of) == [
        {"pk": S("ann"), "sk": N(1), "colour": S("red"), "note": S("x y")},
        {"pk": S("bob"), "sk": N(2), "colour": S("blue")},
    ]
    for options, path in [({"Delimiter": "#"}, "delimiter"), ({"HeaderList": []}, "headerList"),
                          ({"HeaderList": ["pk", 'a"b']}, "headerList"), ({"HeaderList": ["pk", ""]}, "headerList")]:
        # Sent raw: botocore itself refuses the empty list and header.
        status, _, body = server.raw("ImportTable", {
            "S3BucketSource": {"S3Bucket": bucket}, "InputFormat": "CSV", "InputFormatOptions": {"Csv": options},
            "TableCreationParameters": import_parameters(unique("csv-bad"))})
        assert status == 400 and body["__type"].endswith("ValidationException"), body
        assert f"'inputFormatOptions.csv.{path}'" in body["message"], body
    expect_error(client.import_table, "ValidationException", contains="InputFormatOptions",
                 S3BucketSource={"S3Bucket": bucket}, InputFormat="ION", InputFormatOptions={"Csv": {"Delimiter": ","}},
                 TableCreationParameters=import_parameters(unique("csv-bad")))


def test_client_tokens_make_imports_and_exports_idempotent(workdir, buckets):
    # Each job pauses after each file, so the replays meet it running.
    server = Server(workdir / f"tokens-{uuid.uuid4().hex[:8]}", "--bucket-root", str(buckets), "--transfer-pause", "3")
    server.start()
    try:
        client_tokens(server, buckets)
    finally:
        server.stop()


def client_tokens(server, buckets):
    client = server.client()
    bucket = new_bucket(buckets)
    (buckets / bucket / "one").mkdir()
    (buckets / bucket / "one" / "a.json").write_text(json.dumps({"Item": {"pk": S("a"), "sk": N(1), "colour": S("red")}}))
    token = str(uuid.uuid4())
    target = unique("tok-imp")
    request = dict(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "one/"}, InputFormat="DYNAMODB_JSON",
                   TableCreationParameters=import_parameters(target), ClientToken=token)
    first = client.import_table(**request)["ImportTableDescription"]
    assert first["ClientToken"] == token
    again = client.import_table(**request)["ImportTableDescription"]
    assert again["ImportArn"] == first["ImportArn"]
    # As real DynamoDB does (ORACLE_NOTES.md), a running import's token is
    # compared by its table only: other sources or formats get the first
    # import back, another table is a conflict.
    for change in [dict(InputFormat="ION"), dict(InputCompressionType="GZIP"),
                   dict(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "two/"})]:
        replay = client.import_table(**{**request, **change})["ImportTableDescription"]
        assert replay["ImportArn"] == first["ImportArn"] and replay["InputFormat"] == "DYNAMODB_JSON"
    other = unique("tok-other")
    expect_error(client.import_table, "ImportConflictException", contains="Duplicate request detected",
                 **{**request, "TableCreationParameters": import_parameters(other)})
    expect_error(client.describe_table, "ResourceNotFoundException", TableName=other)
    finished = wait_import(client, first["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    # Once it has ended its table exists, which refuses the replay first.
    expect_error(client.import_table, "ResourceInUseException", f"Table already exists: {target}", **request)

    source = unique("tok-exp")
    indexed_table(client, source)
    put_items(client, source, [varied_item(i) for i in range(3)])
    enable_pitr(client, source)
    arn = table_arn(client, source)
    time.sleep(1.1)  # so that half a second earlier is still in the window
    at = datetime.now(timezone.utc)
    token = str(uuid.uuid4())
    first = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportTime=at, ClientToken=token,
                                                 ExportFormat="ION")["ExportDescription"]
    again = client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportTime=at, ClientToken=token,
                                                 ExportFormat="ION")["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    for change in [dict(ExportFormat="DYNAMODB_JSON"), dict(ExportTime=datetime.fromtimestamp(at.timestamp() - 0.5, timezone.utc)),
                   dict(S3Prefix="elsewhere")]:
        expect_error(client.export_table_to_point_in_time, "ExportConflictException",
                     contains="Duplicate request detected",
                     **{**dict(TableArn=arn, S3Bucket=bucket, ExportTime=at, ClientToken=token, ExportFormat="ION"),
                        **change})
    assert wait_export(client, first["ExportArn"])["ExportStatus"] == "COMPLETED"
    assert client.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportTime=at, ClientToken=token,
                                                ExportFormat="ION")["ExportDescription"]["ExportArn"] == first["ExportArn"]


def test_export_type_and_incremental_specification_are_validated(server, buckets):
    client = server.client()
    table = unique("inc-val")
    indexed_table(client, table)
    enable_pitr(client, table)
    arn = table_arn(client, table)
    bucket = new_bucket(buckets)
    now = time.time()
    spec = {"ExportFromTime": now - 5, "ExportToTime": now}
    for message, arguments in [
        ("IncrementalExportSpecification must be provided", dict(ExportType="INCREMENTAL_EXPORT")),
        ("may only be provided for an INCREMENTAL_EXPORT", dict(IncrementalExportSpecification=spec)),
        ("may only be provided for an INCREMENTAL_EXPORT",
         dict(ExportType="FULL_EXPORT", IncrementalExportSpecification=spec)),
        ("ExportTime cannot be provided", dict(ExportType="INCREMENTAL_EXPORT", IncrementalExportSpecification=spec,
                                               ExportTime=datetime.now(timezone.utc))),
        ("ExportFromTime must be provided", dict(ExportType="INCREMENTAL_EXPORT",
                                                 IncrementalExportSpecification={"ExportToTime": now})),
    ]:
        expect_error(client.export_table_to_point_in_time, "ValidationException", contains=message,
                     TableArn=arn, S3Bucket=bucket, **arguments)
    expect_error(client.export_table_to_point_in_time, "ValidationException", contains="exportType",
                 TableArn=arn, S3Bucket=bucket, ExportType="PARTIAL_EXPORT")
    expect_error(client.export_table_to_point_in_time, "ValidationException",
                 contains="incrementalExportSpecification.exportViewType", TableArn=arn, S3Bucket=bucket,
                 ExportType="INCREMENTAL_EXPORT",
                 IncrementalExportSpecification={**spec, "ExportViewType": "OLD_IMAGE"})
    # From after to: outside the allowed period.
    expect_error(client.export_table_to_point_in_time, "InvalidExportTimeException", TableArn=arn, S3Bucket=bucket,
                 ExportType="INCREMENTAL_EXPORT",
                 IncrementalExportSpecification={"ExportFromTime": now, "ExportToTime": now - 5})
