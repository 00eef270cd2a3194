"""Scan: FilterExpression, legacy ScanFilter, parallel scan segments, Limit
with filters, and the 1 MB page limit that applies before filtering.

Checked against DynamoDB Local; see ORACLE_NOTES.md for known differences."""

import pytest

from conftest import create_table
from helpers import expect_error

VE = "ValidationException"


@pytest.fixture
def table(client, table_name):
    """pk S "k0".."k19", x = i (N), tag = "even"/"odd", tags SS on multiples of 5."""
    create_table(client, table_name)
    for i in range(20):
        item = {"pk": {"S": f"k{i}"}, "x": {"N": str(i)}, "tag": {"S": "even" if i % 2 == 0 else "odd"}}
        if i % 5 == 0:
            item["tags"] = {"SS": ["five", f"n{i}"]}
        client.put_item(TableName=table_name, Item=item)
    return table_name


def scan_all(client, table, **kwargs):
    items, start, pages = [], None, 0
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        response = client.scan(TableName=table, **kwargs, **extra)
        pages += 1
        items += response.get("Items", [])
        start = response.get("LastEvaluatedKey")
        if not start:
            return items, pages


def xs(items):
    return sorted(int(item["x"]["N"]) for item in items)


# ------------------------------------------------------------ FilterExpression

def test_filter_expression(client, table):
    response = client.scan(TableName=table, FilterExpression="x >= :lo AND tag = :t",
                           ExpressionAttributeValues={":lo": {"N": "15"}, ":t": {"S": "odd"}})
    assert xs(response["Items"]) == [15, 17, 19]
    assert response["Count"] == 3 and response["ScannedCount"] == 20


def test_filter_expression_functions_and_names(client, table):
    response = client.scan(TableName=table, FilterExpression="contains(#t, :f) AND NOT begins_with(pk, :k1)",
                           ExpressionAttributeNames={"#t": "tags"}, ExpressionAttributeValues={":f": {"S": "five"}, ":k1": {"S": "k1"}})
    assert xs(response["Items"]) == [0, 5]
    response = client.scan(TableName=table, FilterExpression="attribute_not_exists(tags) AND x IN (:a, :b, :c)",
                           ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "5"}, ":c": {"N": "6"}})
    assert xs(response["Items"]) == [1, 6]
    response = client.scan(TableName=table, FilterExpression="size(tags) = :two", ExpressionAttributeValues={":two": {"N": "2"}})
    assert xs(response["Items"]) == [0, 5, 10, 15]


def test_filter_on_key_attribute_is_allowed_in_scan(client, table):
    response = client.scan(TableName=table, FilterExpression="pk = :k", ExpressionAttributeValues={":k": {"S": "k7"}})
    assert xs(response["Items"]) == [7]


def test_filter_with_select_count_and_projection(client, table):
    response = client.scan(TableName=table, Select="COUNT", FilterExpression="tag = :t", ExpressionAttributeValues={":t": {"S": "even"}})
    assert response["Count"] == 10 and response["ScannedCount"] == 20 and "Items" not in response
    response = client.scan(TableName=table, ProjectionExpression="x", FilterExpression="tag = :t",
                           ExpressionAttributeValues={":t": {"S": "even"}})
    assert all(set(item) == {"x"} for item in response["Items"]) and len(response["Items"]) == 10


def test_filter_expression_errors(lax, table):
    expect_error(lax.scan, VE, 'Invalid FilterExpression: Syntax error; token: "<EOF>", near: "="',
                 TableName=table, FilterExpression="x =")
    expect_error(lax.scan, VE,
                 "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :v",
                 TableName=table, FilterExpression="x = :v")
    expect_error(lax.scan, VE, "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: status",
                 TableName=table, FilterExpression="status = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    expect_error(lax.scan, VE, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}",
                 TableName=table, FilterExpression="x = :v", ExpressionAttributeValues={":v": {"N": "1"}},
                 ExpressionAttributeNames={"#n": "n"})


# ------------------------------------------------------------- ScanFilter

@pytest.mark.parametrize("condition,expected", [
    ({"x": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "4"}]}}, [2, 3, 4]),
    ({"x": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "3"}]}}, [1, 3]),
    ({"x": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "17"}]}}, [18, 19]),
    ({"x": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "1"}]}}, [0, 1]),
    ({"pk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "k1"}]}}, [1] + list(range(10, 20))),
    ({"pk": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "5"}]}}, [5, 15]),
    ({"tags": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "n10"}]}}, [10]),
    ({"tags": {"ComparisonOperator": "NOT_NULL"}}, [0, 5, 10, 15]),
    ({"tags": {"ComparisonOperator": "NULL"}, "x": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "4"}]}}, [1, 2, 3]),
    ({"tag": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "even"}]},
      "x": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "14"}]}}, [15, 17, 19]),
])
def test_scan_filter(client, table, condition, expected):
    response = client.scan(TableName=table, ScanFilter=condition)
    assert xs(response["Items"]) == expected
    assert response["Count"] == len(expected) and response["ScannedCount"] == 20


def test_scan_filter_conditional_operator_or(client, table):
    response = client.scan(TableName=table, ConditionalOperator="OR", Select="COUNT", ScanFilter={
        "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k5"}]},
    })
    assert response["Count"] == 2 and response["ScannedCount"] == 20


def test_scan_filter_errors(lax, table):
    expect_error(lax.scan, VE,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}",
                 TableName=table, FilterExpression="x > :v", ExpressionAttributeValues={":v": {"N": "1"}},
                 ScanFilter={"x": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "2"}]}})
    expect_error(lax.scan, VE, "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator",
                 TableName=table, ScanFilter={"x": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}]}})


# ----------------------------------------------------------- parallel scan

def test_parallel_scan_segments_are_disjoint_and_complete(client, table_name):
    create_table(client, table_name)
    for i in range(200):
        client.put_item(TableName=table_name, Item={"pk": {"S": f"item-{i:03d}"}, "i": {"N": str(i)}})
    segments = []
    for segment in range(4):
        items, _ = scan_all(client, table_name, Segment=segment, TotalSegments=4, Limit=17)
        segments.append({item["pk"]["S"] for item in items})
    union = set().union(*segments)
    assert union == {f"item-{i:03d}" for i in range(200)}
    assert sum(len(s) for s in segments) == 200  # disjoint
    # the same segment returns the same items again
    again, _ = scan_all(client, table_name, Segment=2, TotalSegments=4)
    assert {item["pk"]["S"] for item in again} == segments[2]


def test_single_segment_is_the_whole_table(client, table):
    items, _ = scan_all(client, table, Segment=0, TotalSegments=1)
    assert xs(items) == list(range(20))


def test_parallel_scan_with_filter(client, table):
    total = 0
    for segment in range(3):
        response = client.scan(TableName=table, Segment=segment, TotalSegments=3, Select="COUNT",
                               FilterExpression="tag = :t", ExpressionAttributeValues={":t": {"S": "odd"}})
        total += response["Count"]
    assert total == 10


def test_segment_not_less_than_total_segments(lax, table):
    # DynamoDB Local: "1 validation error detected: Value '4' at 'segment' failed to
    # satisfy constraint: Member must have value less than or equal to 3".
    expect_error(lax.scan, VE,
                 "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                 "Segment: 4 is not less than TotalSegments: 4",
                 TableName=table, Segment=4, TotalSegments=4)


def test_segment_without_total_segments(lax, table):
    # DynamoDB Local: "If segment is specified, total segment must also be specified".
    expect_error(lax.scan, VE,
                 "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
                 TableName=table, Segment=0)


def test_total_segments_without_segment(lax, table):
    # DynamoDB Local: "If total segments is specified, a particular segment must also be specified for this request".
    expect_error(lax.scan, VE,
                 "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
                 TableName=table, TotalSegments=4)


def test_total_segments_out_of_range(lax, table):
    expect_error(lax.scan, VE,
                 "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: "
                 "Member must have value less than or equal to 1000000",
                 TableName=table, Segment=0, TotalSegments=1000001)
    # TotalSegments 0: DynamoDB Local reports it against 'segment'; only the type is pinned.
    expect_error(lax.scan, VE, TableName=table, Segment=0, TotalSegments=0)


# --------------------------------------------------------- Limit, paging

def test_limit_counts_items_evaluated_before_the_filter(client, table):
    response = client.scan(TableName=table, Limit=5, FilterExpression="x >= :v", ExpressionAttributeValues={":v": {"N": "0"}})
    assert response["Count"] == response["ScannedCount"] == 5
    assert "LastEvaluatedKey" in response
    for limit in (1, 4, 7):
        response = client.scan(TableName=table, Limit=limit, FilterExpression="tag = :t", ExpressionAttributeValues={":t": {"S": "odd"}})
        assert response["ScannedCount"] == limit
        assert response["Count"] <= response["ScannedCount"]
        assert len(response["Items"]) == response["Count"]
        assert "LastEvaluatedKey" in response


def test_limit_with_filter_matching_nothing_still_pages(client, table):
    items, pages = scan_all(client, table, Limit=6, FilterExpression="x > :v", ExpressionAttributeValues={":v": {"N": "100"}})
    assert items == []
    assert pages == 4  # 6 + 6 + 6 + 2 items evaluated


def test_paging_with_limit_visits_every_item_once(client, table):
    items, pages = scan_all(client, table, Limit=3)
    assert xs(items) == list(range(20))
    assert pages == 7


def test_last_evaluated_key_is_the_last_evaluated_item(client, table):
    response = client.scan(TableName=table, Limit=4, FilterExpression="x = :v", ExpressionAttributeValues={":v": {"N": "-1"}})
    assert response["Count"] == 0 and response["ScannedCount"] == 4
    assert set(response["LastEvaluatedKey"]) == {"pk"}
    unfiltered = client.scan(TableName=table, Limit=4)
    assert response["LastEvaluatedKey"] == {"pk": unfiltered["Items"][-1]["pk"]}


def test_scan_paginator(client, table):
    pages = list(client.get_paginator("scan").paginate(TableName=table, PaginationConfig={"PageSize": 6}))
    assert [page["Count"] for page in pages] == [6, 6, 6, 2]
    assert xs([item for page in pages for item in page["Items"]]) == list(range(20))


def test_scan_errors(lax, table):
    # Limit 0: DynamoDB Local's wording differs from the service's
    # "1 validation error detected: Value '0' at 'limit' ..."; both share this part.
    expect_error(lax.scan, VE, contains="greater than or equal to 1", TableName=table, Limit=0)
    expect_error(lax.scan, VE, contains="The provided starting key is invalid", TableName=table,
                 ExclusiveStartKey={"nope": {"S": "a"}})


# ------------------------------------------------------- 1 MB page limit

def test_one_megabyte_page_limit_applies_before_filtering(client, table_name):
    create_table(client, table_name)
    blob = "x" * (100 * 1024)
    for i in range(25):
        client.put_item(TableName=table_name, Item={"pk": {"S": f"big-{i:02d}"}, "blob": {"S": blob}, "n": {"N": str(i)}})
    first = client.scan(TableName=table_name, FilterExpression="n > :v", ExpressionAttributeValues={":v": {"N": "1000"}})
    assert first["Count"] == 0 and first["Items"] == []
    assert "LastEvaluatedKey" in first
    assert 0 < first["ScannedCount"] < 25
    assert first["ScannedCount"] <= 11  # ~1 MB of 100 KB items

    scanned, pages, start = 0, 0, None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client.scan(TableName=table_name, FilterExpression="n > :v", ExpressionAttributeValues={":v": {"N": "1000"}},
                           Select="COUNT", **extra)
        pages += 1
        scanned += page["ScannedCount"]
        assert page["Count"] == 0
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert scanned == 25
    assert pages >= 3


def test_one_megabyte_page_limit_without_filter(client, table_name):
    create_table(client, table_name)
    blob = "y" * (100 * 1024)
    for i in range(25):
        client.put_item(TableName=table_name, Item={"pk": {"S": f"big-{i:02d}"}, "blob": {"S": blob}})
    items, pages = scan_all(client, table_name)
    assert len(items) == 25 and len({item["pk"]["S"] for item in items}) == 25
    assert pages >= 3
    first = client.scan(TableName=table_name)
    assert first["Count"] == first["ScannedCount"] == len(first["Items"]) <= 11
