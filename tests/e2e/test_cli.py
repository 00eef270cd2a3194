"""The AWS CLI against Halyard: the README's quick start, step by step."""

import json

from harness import aws


def test_readme_quick_start_employee_directory(fresh_server):
    server = fresh_server.start()
    aws(server, "create-table", "--table-name", "employees",
        "--attribute-definitions", "AttributeName=employee_id,AttributeType=S",
        "--key-schema", "AttributeName=employee_id,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST")
    aws(server, "wait", "table-exists", "--table-name", "employees")
    employees = [
        {"employee_id": {"S": "001"}, "name": {"S": "John"}, "dept": {"S": "IT"}},
        {"employee_id": {"S": "002"}, "name": {"S": "Jane"}, "dept": {"S": "HR"}, "phone": {"S": "555-1234"}},
        {"employee_id": {"S": "003"}, "name": {"S": "Bob"}, "title": {"S": "Manager"}},
    ]
    for employee in employees:
        aws(server, "put-item", "--table-name", "employees", "--item", json.dumps(employee))

    got = json.loads(aws(server, "get-item", "--table-name", "employees",
                         "--key", '{"employee_id": {"S": "002"}}').stdout)
    assert got["Item"] == employees[1]

    scanned = json.loads(aws(server, "scan", "--table-name", "employees").stdout)
    assert scanned["Count"] == 3
    assert sorted(scanned["Items"], key=lambda i: i["employee_id"]["S"]) == employees

    described = json.loads(aws(server, "describe-table", "--table-name", "employees").stdout)["Table"]
    assert described["TableStatus"] == "ACTIVE" and described["ItemCount"] == 3
    assert json.loads(aws(server, "list-tables").stdout)["TableNames"] == ["employees"]

    aws(server, "delete-item", "--table-name", "employees", "--key", '{"employee_id": {"S": "003"}}')
    assert json.loads(aws(server, "scan", "--table-name", "employees", "--select", "COUNT").stdout)["Count"] == 2

    failed = aws(server, "get-item", "--table-name", "nope", "--key", '{"employee_id": {"S": "1"}}', check=False)
    assert failed.returncode != 0
    assert "ResourceNotFoundException" in failed.stderr

    aws(server, "delete-table", "--table-name", "employees")
    assert json.loads(aws(server, "list-tables").stdout)["TableNames"] == []


def test_cli_expressions_query_and_conditional_update(fresh_server):
    server = fresh_server.start()
    aws(server, "create-table", "--table-name", "orders",
        "--attribute-definitions", "AttributeName=customer,AttributeType=S", "AttributeName=order_no,AttributeType=N",
        "--key-schema", "AttributeName=customer,KeyType=HASH", "AttributeName=order_no,KeyType=RANGE",
        "--billing-mode", "PAY_PER_REQUEST")
    for number in range(1, 8):
        item = {"customer": {"S": "ann"}, "order_no": {"N": str(number)}, "total": {"N": str(number * 10)}}
        aws(server, "put-item", "--table-name", "orders", "--item", json.dumps(item))

    queried = json.loads(aws(server, "query", "--table-name", "orders",
                             "--key-condition-expression", "customer = :c AND order_no BETWEEN :lo AND :hi",
                             "--filter-expression", "#t >= :min", "--expression-attribute-names", '{"#t": "total"}',
                             "--expression-attribute-values",
                             '{":c": {"S": "ann"}, ":lo": {"N": "2"}, ":hi": {"N": "6"}, ":min": {"N": "40"}}',
                             "--no-scan-index-forward").stdout)
    assert [item["order_no"]["N"] for item in queried["Items"]] == ["6", "5", "4"]
    assert queried["ScannedCount"] == 5

    updated = json.loads(aws(server, "update-item", "--table-name", "orders",
                             "--key", '{"customer": {"S": "ann"}, "order_no": {"N": "1"}}',
                             "--update-expression", "SET #t = #t + :add, tags = list_append(if_not_exists(tags, :empty), :tag)",
                             "--condition-expression", "attribute_exists(customer)",
                             "--expression-attribute-names", '{"#t": "total"}',
                             "--expression-attribute-values", '{":add": {"N": "5"}, ":empty": {"L": []}, ":tag": {"L": [{"S": "rush"}]}}',
                             "--return-values", "UPDATED_NEW").stdout)
    assert updated["Attributes"] == {"total": {"N": "15"}, "tags": {"L": [{"S": "rush"}]}}

    failed = aws(server, "delete-item", "--table-name", "orders", "--key", '{"customer": {"S": "ann"}, "order_no": {"N": "2"}}',
                 "--condition-expression", "#t > :max", "--expression-attribute-names", '{"#t": "total"}',
                 "--expression-attribute-values", '{":max": {"N": "100"}}', check=False)
    assert failed.returncode != 0 and "ConditionalCheckFailedException" in failed.stderr
    counted = json.loads(aws(server, "scan", "--table-name", "orders", "--select", "COUNT").stdout)
    assert counted["Count"] == 7
