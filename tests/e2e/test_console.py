"""The web console (issue 19) in a real headless browser: Debian's chromium
driven by Playwright for Python (no browser download). The employee
directory flow, a GSI query, the typed editor, a conflicting edit, a user
whose policy denies DeleteTable, import, the PartiQL editor (when the build
has ExecuteStatement), and the session's CSRF and cookie rules.
Screenshots of the main pages go to tests/e2e/output/console/."""

import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import CREDENTIALS, REGION, Server, TlsServer

pytestmark = pytest.mark.skipif(os.environ.get("HALYARD_TEST_ENDPOINT") is not None,
                                reason="the console is Halyard's own")

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parent / "output" / "console"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def console_server():
    data = Path(tempfile.mkdtemp(prefix="halyard-console-"))
    server = Server(data / "data").start()
    yield server
    server.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def dynamodb(console_server):
    return console_server.client()


@pytest.fixture(scope="module")
def iam(console_server):
    return boto3.client("iam", endpoint_url=console_server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}), **CREDENTIALS)


@pytest.fixture(scope="module")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)")
    with playwright_api.sync_playwright() as instance:
        yield instance


@pytest.fixture
def browser(playwright):
    """Opens fresh browser profiles (each its own cookies); closes them after."""
    opened = []

    def open_page():
        profile = tempfile.mkdtemp(prefix="halyard-chromium-")
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append((context, profile))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    for context, profile in opened:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def url(server, path):
    return server.endpoint + path


def screenshot(page, name):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def sign_in(page, server, key_id=CREDENTIALS["aws_access_key_id"], secret=CREDENTIALS["aws_secret_access_key"]):
    page.goto(url(server, "/console/"))
    page.fill("#access-key-id", key_id)
    page.fill("#secret-access-key", secret)
    page.click("#sign-in")
    page.wait_for_selector("#tables")


def flash_says(page, text):
    # Locator assertions: the page's CSP forbids the string evaluation that
    # wait_for_function needs.
    expect(page.locator("#flash")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text(text)


def create_item(page, item):
    page.click("#new-item")
    page.fill("#item-json", json.dumps(item))
    page.click("#item-save")
    flash_says(page, "Item created.")
    page.wait_for_selector("#editor", state="hidden")


def run_query(page, partition_value, index=None):
    page.select_option("#qb-mode", "Query")
    if index:
        page.select_option("#qb-index", index)
    page.fill("#qb-pk", partition_value)
    with page.expect_response(lambda r: r.url.endswith("/console/api")):
        page.click("#qb-run")


def shown_rows(page):
    """The result grid's rows as {attribute: shown value}."""
    return page.eval_on_selector_all("#items tbody tr", """rows => rows.map(row =>
        Object.fromEntries([...row.querySelectorAll('td[data-attribute]')]
            .filter(cell => cell.textContent !== '')
            .map(cell => [cell.dataset.attribute, cell.textContent])))""")


def edit(page, label, change):
    """Opens the editor on the item labelled `label`, applies `change` to its
    DynamoDB JSON and saves."""
    page.click(f"button[aria-label='Edit item {label}']")
    item = json.loads(page.input_value("#item-json"))
    change(item)
    page.fill("#item-json", json.dumps(item))
    page.click("#item-save")


JOHN = {"employee_id": {"S": "E1"}, "name": {"S": "John"}, "department": {"S": "Engineering"},
        "salary": {"N": "120000"}}
JANE = {"employee_id": {"S": "E2"}, "name": {"S": "Jane"}, "department": {"S": "Sales"},
        "manager": {"S": "E1"}, "skills": {"SS": ["negotiation", "forecasting"]}}
BOB = {"employee_id": {"S": "E3"}, "name": {"S": "Bob"}, "phone": {"S": "+1-555-0100"},
       "start_date": {"S": "2024-03-01"}, "remote": {"BOOL": True}}


def test_the_employee_directory_flow(console_server, dynamodb, browser):
    page = browser()
    page.goto(url(console_server, "/console/"))
    page.wait_for_selector("#sign-in")
    screenshot(page, "sign-in")
    sign_in(page, console_server)
    assert "root" in page.text_content("#identity")

    page.click("#create-table-link")
    page.fill("#ct-name", "employees")
    page.fill("#ct-pk-name", "employee_id")
    screenshot(page, "create-table")
    page.click("#ct-submit")
    page.wait_for_selector("#table-status")
    expect(page.locator("#table-status")).to_have_text("ACTIVE")
    described = dynamodb.describe_table(TableName="employees")["Table"]
    assert described["KeySchema"] == [{"AttributeName": "employee_id", "KeyType": "HASH"}]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    screenshot(page, "table-details")

    page.click("#explore-items")
    page.wait_for_selector("#new-item")
    for employee in (JOHN, JANE, BOB):
        create_item(page, employee)
    stored = {i["employee_id"]["S"]: i for i in dynamodb.scan(TableName="employees")["Items"]}
    assert stored == {"E1": JOHN, "E2": JANE, "E3": BOB}
    expect(page.locator("#items tbody tr")).to_have_count(3)
    screenshot(page, "items")

    run_query(page, "E2")
    rows = shown_rows(page)
    assert [(r["employee_id"], r["name"], r["department"]) for r in rows] == [("E2", "Jane", "Sales")]

    edit(page, "E2", lambda item: item.update(department={"S": "Marketing"}))
    flash_says(page, "Item saved.")
    assert dynamodb.get_item(TableName="employees", Key={"employee_id": {"S": "E2"}})["Item"] == {
        **JANE, "department": {"S": "Marketing"}}

    page.select_option("#qb-mode", "Scan")
    page.click("#qb-run")
    expect(page.locator("#items tbody tr")).to_have_count(3)
    page.check("input[aria-label='Select item E3']")
    page.click("#delete-selected")
    flash_says(page, "Deleted 1 item(s).")
    expect(page.locator("#items tbody tr")).to_have_count(2)
    remaining = sorted(i["employee_id"]["S"] for i in dynamodb.scan(TableName="employees")["Items"])
    assert remaining == ["E1", "E2"]

    with page.expect_download() as download:
        page.click("#export-csv")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].split(",")[0] == "employee_id"
    assert sorted(line.split(",")[0] for line in lines[1:]) == ["E1", "E2"]
    with page.expect_download() as download:
        page.click("#export-json")
    exported = json.loads(Path(download.value.path()).read_text())["Items"]
    assert sorted(i["employee_id"]["S"] for i in exported) == ["E1", "E2"]

    page.goto(url(console_server, "/console/#/tables"))
    page.fill("#table-search", "employ")
    page.wait_for_selector("#tables a[href='#/table/employees']")
    screenshot(page, "tables")


def test_a_query_on_a_global_secondary_index(console_server, dynamodb, browser):
    table = f"staff-{uuid.uuid4().hex[:8]}"
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/create"))
    page.fill("#ct-name", table)
    page.fill("#ct-pk-name", "employee_id")
    page.click("#ct-add-index")
    page.fill("#gsi1-name", "by_department")
    page.fill("#gsi1-pk-name", "department")
    page.fill("#gsi1-sk-name", "name")
    page.fill("#ct-tags", "team=people\ncost-center=42")
    page.click("#ct-submit")
    page.wait_for_selector("#indexes")
    assert "by_department" in page.text_content("#indexes")
    assert page.text_content("#table-tags") in ("team=people, cost-center=42", "cost-center=42, team=people")
    index = dynamodb.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["KeySchema"] == [{"AttributeName": "department", "KeyType": "HASH"},
                                  {"AttributeName": "name", "KeyType": "RANGE"}]
    for employee in (JOHN, JANE, {**BOB, "department": {"S": "Engineering"}}):
        dynamodb.put_item(TableName=table, Item=employee)

    # An error is shown as DynamoDB's message.
    page.goto(url(console_server, "/console/#/create"))
    page.fill("#ct-name", table)
    page.fill("#ct-pk-name", "employee_id")
    page.click("#ct-submit")
    with pytest.raises(ClientError) as caught:
        dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "employee_id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "employee_id", "AttributeType": "S"}])
    expect(page.locator("#ct-error")).to_have_text(caught.value.response["Error"]["Message"])

    page.goto(url(console_server, f"/console/#/table/{table}/items"))
    page.wait_for_selector("#items")
    page.select_option("#qb-mode", "Query")
    page.check("#qb-descending")
    run_query(page, "Engineering", index="by_department")
    assert page.is_disabled("#qb-consistent")
    assert [r["name"] for r in shown_rows(page)] == ["John", "Bob"]
    page.uncheck("#qb-descending")
    page.select_option("#qb-sk-op", "begins_with")
    page.fill("#qb-sk", "Jo")
    with page.expect_response(lambda r: r.url.endswith("/console/api")):
        page.click("#qb-run")
    assert [r["name"] for r in shown_rows(page)] == ["John"]
    screenshot(page, "query-index")


def test_a_table_with_a_stream_and_ttl_and_its_recent_records(console_server, dynamodb, browser):
    table = f"streamed-{uuid.uuid4().hex[:8]}"
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/create"))
    page.fill("#ct-name", table)
    page.fill("#ct-pk-name", "pk")
    page.fill("#ct-sk-name", "n")
    page.select_option("#ct-sk-type", "N")
    page.select_option("#ct-billing", "PROVISIONED")
    assert (page.input_value("#ct-rcu"), page.input_value("#ct-wcu")) == ("5", "5")
    page.select_option("#ct-stream", "NEW_AND_OLD_IMAGES")
    page.fill("#ct-ttl", "expires_at")
    page.click("#ct-submit")
    expect(page.locator("#table-ttl")).to_contain_text("expires_at")
    described = dynamodb.describe_table(TableName=table)["Table"]
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert described["KeySchema"][1] == {"AttributeName": "n", "KeyType": "RANGE"}
    assert dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["AttributeName"] == "expires_at"

    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}, "v": {"S": "one"}})
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}, "v": {"S": "two"}})
    dynamodb.delete_item(TableName=table, Key={"pk": {"S": "a"}, "n": {"N": "1"}})
    page.click("#show-stream")
    expect(page.locator("#stream-table tbody tr")).to_have_count(3)
    events = page.eval_on_selector_all("#stream-table td.event", "cells => cells.map(c => c.textContent)")
    assert events == ["REMOVE", "MODIFY", "INSERT"]
    screenshot(page, "table-stream")


def test_the_typed_editor_with_nested_values(console_server, dynamodb, browser):
    table = f"typed-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, f"/console/#/table/{table}/items"))
    page.wait_for_selector("#new-item")

    page.click("#new-item")
    page.fill("#item-json", json.dumps({"pk": {"S": "bad"}, "address": {"M": {"zip": {"N": "not a number"}}}}))
    expect(page.locator("#item-problem")).to_contain_text("address.zip")
    assert "N is a number" in page.text_content("#item-problem")
    page.click("#item-save")
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "bad"}})
    page.click("#item-cancel")

    nested = {
        "pk": {"S": "nested"},
        "profile": {"M": {
            "address": {"M": {"street": {"S": "1 Main St"}, "zip": {"N": "12345"}}},
            "history": {"L": [{"M": {"year": {"N": "2020"}, "title": {"S": "Engineer"}}}, {"NULL": True}]},
        }},
        "tags": {"SS": ["a", "b"]},
        "scores": {"NS": ["1", "2.5"]},
        "blobs": {"BS": ["AAEC", "/w=="]},
        "avatar": {"B": "aGVsbG8="},
        "active": {"BOOL": False},
        "nothing": {"NULL": True},
        "empty": {"L": []},
    }
    create_item(page, nested)
    stored = dynamodb.get_item(TableName=table, Key={"pk": {"S": "nested"}})["Item"]
    assert stored["profile"] == nested["profile"]
    assert sorted(stored["tags"]["SS"]) == ["a", "b"]
    assert sorted(stored["scores"]["NS"]) == ["1", "2.5"]
    assert stored["active"] == {"BOOL": False} and stored["nothing"] == {"NULL": True} and stored["empty"] == {"L": []}

    # The form view shows every type faithfully: there and back, the JSON is the same.
    page.click("button[aria-label='Edit item nested']")
    loaded = json.loads(page.input_value("#item-json"))
    assert loaded["profile"] == nested["profile"] and loaded["avatar"] == nested["avatar"]
    page.click("#view-form")
    assert page.is_hidden("#item-json")
    assert page.input_value("[aria-label='item attribute 1 name']") in nested
    page.click("#view-json")
    assert json.loads(page.input_value("#item-json")) == loaded
    page.click("#item-cancel")

    # An item built in the form view, nested map, list and set included.
    page.click("#new-item")
    page.click("#view-form")
    page.fill("[aria-label='item attribute 1 value']", "from-form")
    page.click("[aria-label='Add attribute to item']")
    page.fill("[aria-label='item attribute 2 name']", "address")
    page.select_option("[aria-label='item attribute 2 type']", "M")
    page.click("[aria-label='Add attribute to item attribute 2']")
    page.fill("[aria-label='item attribute 2 attribute 1 name']", "zip")
    page.select_option("[aria-label='item attribute 2 attribute 1 type']", "N")
    page.fill("[aria-label='item attribute 2 attribute 1 value']", "12345")
    page.click("[aria-label='Add attribute to item attribute 2']")
    page.fill("[aria-label='item attribute 2 attribute 2 name']", "lines")
    page.select_option("[aria-label='item attribute 2 attribute 2 type']", "L")
    page.click("[aria-label='Add element to item attribute 2 attribute 2']")
    page.fill("[aria-label='item attribute 2 attribute 2 element 1 value']", "1 Main St")
    page.click("[aria-label='Add element to item attribute 2 attribute 2']")
    page.select_option("[aria-label='item attribute 2 attribute 2 element 2 type']", "BOOL")
    page.select_option("[aria-label='item attribute 2 attribute 2 element 2 value']", "true")
    page.click("[aria-label='Add attribute to item']")
    page.fill("[aria-label='item attribute 3 name']", "colors")
    page.select_option("[aria-label='item attribute 3 type']", "SS")
    page.fill("[aria-label='item attribute 3 value, one member a line']", "red\nblue")
    screenshot(page, "item-form")
    page.click("#item-save")
    flash_says(page, "Item created.")
    # The flash may still be the earlier item's "Item created.": wait for
    # this save (slower storage, PostgreSQL's, shows the race).
    deadline = time.time() + 20
    while "Item" not in (found := dynamodb.get_item(TableName=table, Key={"pk": {"S": "from-form"}},
                                                    ConsistentRead=True)) and time.time() < deadline:
        time.sleep(0.1)
    built = found["Item"]
    assert built["address"] == {"M": {"zip": {"N": "12345"}, "lines": {"L": [{"S": "1 Main St"}, {"BOOL": True}]}}}
    assert sorted(built["colors"]["SS"]) == ["blue", "red"]

    # Edit a value three levels down, then duplicate the item under a new key.
    edit(page, "nested", lambda item: item["profile"]["M"]["address"]["M"].update(zip={"N": "54321"}))
    flash_says(page, "Item saved.")
    stored = dynamodb.get_item(TableName=table, Key={"pk": {"S": "nested"}})["Item"]
    assert stored["profile"]["M"]["address"]["M"]["zip"] == {"N": "54321"}
    page.click("button[aria-label='Duplicate item nested']")
    copy = json.loads(page.input_value("#item-json"))
    copy["pk"] = {"S": "copy"}
    page.fill("#item-json", json.dumps(copy))
    screenshot(page, "item-editor")
    page.click("#item-save")
    flash_says(page, "Item created.")
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "copy"}})["Item"]["profile"] == stored["profile"]


def test_a_conflicting_edit_is_detected(console_server, dynamodb, browser):
    table = f"conflict-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "k"}, "count": {"N": "1"}, "note": {"S": "first"}})
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, f"/console/#/table/{table}/items"))
    page.wait_for_selector("button[aria-label='Edit item k']")

    page.click("button[aria-label='Edit item k']")
    loaded = json.loads(page.input_value("#item-json"))
    dynamodb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET #c = :two",
                         ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":two": {"N": "2"}})
    loaded["note"] = {"S": "from the console"}
    page.fill("#item-json", json.dumps(loaded))
    page.click("#item-save")
    page.wait_for_selector("#item-conflict:not([hidden])")
    assert "changed after you loaded it" in page.text_content("#item-conflict")
    assert json.loads(page.text_content("#item-current"))["count"] == {"N": "2"}
    screenshot(page, "edit-conflict")
    stored = dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]
    assert stored == {"pk": {"S": "k"}, "count": {"N": "2"}, "note": {"S": "first"}}

    # Editing the current version then succeeds.
    page.click("#item-reload")
    current = json.loads(page.input_value("#item-json"))
    current["note"] = {"S": "from the console"}
    page.fill("#item-json", json.dumps(current))
    page.click("#item-save")
    flash_says(page, "Item saved.")
    stored = dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]
    assert stored == {"pk": {"S": "k"}, "count": {"N": "2"}, "note": {"S": "from the console"}}


def test_a_user_denied_delete_table_is_not_offered_it_and_is_refused(console_server, dynamodb, iam, browser):
    table = f"guarded-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    name = f"u{uuid.uuid4().hex[:10]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="no-table-deletes", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]

    page = browser()
    sign_in(page, console_server, key["AccessKeyId"], key["SecretAccessKey"])
    assert arn in page.text_content("#identity")
    page.goto(url(console_server, f"/console/#/table/{table}"))
    page.wait_for_selector("#table-status")
    assert page.query_selector("#delete-table") is None
    screenshot(page, "table-details-no-delete")

    csrf = page.evaluate("fetch('/console/api/session').then(r => r.json()).then(s => s.csrfToken)")
    forced = page.request.post(url(console_server, "/console/api"), headers={
        "X-Amz-Target": "DynamoDB_20120810.DeleteTable", "Content-Type": "application/x-amz-json-1.0",
        "X-Halyard-Csrf": csrf}, data=json.dumps({"TableName": table}))
    assert forced.status == 400
    error = forced.json()
    assert error["__type"].endswith("#AccessDeniedException")
    assert "dynamodb:DeleteTable" in error["message"] and arn in error["message"]
    assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"

    # What the policy allows works through the same path.
    allowed = page.request.post(url(console_server, "/console/api"), headers={
        "X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": "application/x-amz-json-1.0",
        "X-Halyard-Csrf": csrf}, data=json.dumps({"TableName": table, "Item": {"pk": {"S": "by-user"}}}))
    assert allowed.status == 200, allowed.text()

    # The root is offered it; deletion protection, turned on in the
    # console, is respected.
    root = browser()
    sign_in(root, console_server)
    root.goto(url(console_server, f"/console/#/table/{table}"))
    root.check("#set-deletion-protection")
    root.click("#save-settings")
    flash_says(root, "Table settings saved.")
    assert dynamodb.describe_table(TableName=table)["Table"]["DeletionProtectionEnabled"] is True
    root.fill("#delete-confirmation", table)
    root.click("#delete-table")
    flash_says(root, "deletion protection")
    assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    root.reload()
    root.fill("#delete-confirmation", table)
    root.click("#delete-table")
    root.wait_for_selector("#tables")
    assert table not in dynamodb.list_tables()["TableNames"]


def test_importing_items_from_json_and_csv_files(console_server, dynamodb, browser, tmp_path):
    table = f"imported-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}])
    items = [{"id": {"N": str(n)}, "name": {"S": f"employee {n}"}, "tags": {"SS": ["x", f"t{n}"]}} for n in range(60)]
    exported = tmp_path / "items.json"
    exported.write_text(json.dumps({"Items": items}))
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, f"/console/#/table/{table}/items"))
    page.wait_for_selector("#import-file")
    page.set_input_files("#import-file", str(exported))
    expect(page.locator("#import-progress")).to_have_text("Imported 60 item(s) from items.json.")
    def normalised(item):
        return {**item, "tags": {"SS": sorted(item["tags"]["SS"])}}
    stored = sorted(dynamodb.scan(TableName=table)["Items"], key=lambda i: int(i["id"]["N"]))
    assert [normalised(i) for i in stored] == [normalised(i) for i in items]

    csv_file = tmp_path / "more.csv"
    csv_file.write_text('id,name,note\r\n100,"Smith, Ann","says ""hi"""\r\n101,Lee,\r\n')
    page.set_input_files("#import-file", str(csv_file))
    expect(page.locator("#import-progress")).to_have_text("Imported 2 item(s) from more.csv.")
    assert dynamodb.get_item(TableName=table, Key={"id": {"N": "100"}})["Item"] == {
        "id": {"N": "100"}, "name": {"S": "Smith, Ann"}, "note": {"S": 'says "hi"'}}
    assert dynamodb.get_item(TableName=table, Key={"id": {"N": "101"}})["Item"] == {
        "id": {"N": "101"}, "name": {"S": "Lee"}}

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([{"id": {"N": "200"}}, {"name": {"S": "no key"}}]))
    page.set_input_files("#import-file", str(broken))
    flash_says(page, "Item 2: id: the key attribute is missing")
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"id": {"N": "200"}})


def test_the_partiql_editor(console_server, dynamodb, browser):
    table = f"pq-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "b"}, "n": {"N": "2"}})
    select = f'SELECT * FROM "{table}" WHERE pk = \'b\''
    try:
        dynamodb.execute_statement(Statement=select)
    except ClientError as error:
        if error.response["Error"]["Code"] == "UnknownOperationException":
            pytest.skip("this build has no ExecuteStatement yet")
        raise
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/partiql"))
    page.fill("#pq-statement", select)
    page.click("#pq-run")
    expect(page.locator("#pq-items tbody tr")).to_have_count(1)
    assert shown_partiql_rows(page) == [{"pk": "b", "n": "2"}]
    assert page.text_content("#pq-history") == select
    screenshot(page, "partiql")

    bad = f'SELECT * FROM "{table}" WHERE'
    with pytest.raises(ClientError) as caught:
        dynamodb.execute_statement(Statement=bad)
    page.fill("#pq-statement", bad)
    page.click("#pq-run")
    expect(page.locator("#pq-error")).to_have_text(caught.value.response["Error"]["Message"])


def shown_partiql_rows(page):
    return page.eval_on_selector_all("#pq-items tbody tr", """rows => rows.map(row =>
        Object.fromEntries([...row.querySelectorAll('td[data-attribute]')]
            .filter(cell => cell.textContent !== '')
            .map(cell => [cell.dataset.attribute, cell.textContent])))""")


def test_iam_users_keys_and_policies_from_the_console(console_server, dynamodb, iam, browser):
    name = f"c{uuid.uuid4().hex[:10]}"
    table = f"readable-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/iam"))
    page.fill("#iam-new-user", name)
    page.click("#iam-create-user")
    page.wait_for_selector("#iam-keys")
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    page.fill("#iam-policy-name", "read-only")
    page.fill("#iam-policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:ListTables", "dynamodb:DescribeTable"], "Resource": "*"}]}))
    page.click("#iam-put-policy")
    flash_says(page, "Policy read-only saved.")
    expect(page.locator("#iam-policies")).to_contain_text("dynamodb:ListTables")
    page.click("#iam-create-key")
    expect(page.locator("#iam-new-key-secret")).not_to_be_empty()
    key_id, secret = page.text_content("#iam-new-key-id"), page.text_content("#iam-new-key-secret")
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]] == [key_id]
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    screenshot(page, "iam-user")

    # The new user signs in and may read but not write, and its IAM page
    # answers with IAM's AccessDenied.
    user = browser()
    sign_in(user, console_server, key_id, secret)
    user.goto(url(console_server, f"/console/#/table/{table}"))
    user.wait_for_selector("#table-status")
    assert user.query_selector("#delete-table") is None and user.query_selector("#save-settings") is None
    user.goto(url(console_server, "/console/#/iam"))
    expect(user.locator("main .error")).to_contain_text("iam:ListUsers")


class Http:
    """Raw requests to the console's endpoints, with a cookie jar of one."""

    def __init__(self, server, context=None):
        self.server = server
        self.context = context
        self.cookie = None

    def send(self, method, path, body=None, headers=None, cookie=True):
        headers = dict(headers or {})
        if cookie and self.cookie:
            headers["Cookie"] = self.cookie
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server.endpoint + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
                status, answer_headers, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, text = error.code, error.headers, error.read()
        return status, answer_headers, json.loads(text) if text and text[:1] in b"{[" else text

    def sign_in(self, secret=CREDENTIALS["aws_secret_access_key"]):
        status, headers, body = self.send("POST", "/console/api/session", {
            "accessKeyId": CREDENTIALS["aws_access_key_id"], "secretAccessKey": secret})
        if status == 200:
            self.set_cookie = headers["Set-Cookie"]
            self.cookie = self.set_cookie.split(";")[0]
        return status, body

    def list_tables(self, csrf, **headers):
        if csrf is not None:
            headers["X-Halyard-Csrf"] = csrf
        return self.send("POST", "/console/api", {}, {
            "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0", **headers})


def test_csrf_tokens_and_session_cookies(console_server):
    http = Http(console_server)
    status, body = http.sign_in(secret="wrong")
    assert (status, body["__type"]) == (401, "halyard.console#SignInFailed")
    status, session = http.sign_in()
    assert status == 200 and session["authenticated"] is True
    flags = [part.strip() for part in http.set_cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/console" in flags
    assert "Secure" not in flags  # plain HTTP: a Secure cookie would never come back
    assert CREDENTIALS["aws_secret_access_key"] not in json.dumps(session)
    csrf = session["csrfToken"]

    assert http.list_tables(csrf)[0] == 200
    status, _, body = http.list_tables(None)
    assert (status, body["__type"]) == (403, "halyard.console#CsrfMismatch")
    status, _, body = http.list_tables(csrf[:-1] + ("0" if csrf[-1] != "0" else "1"))
    assert (status, body["__type"]) == (403, "halyard.console#CsrfMismatch")
    status, _, body = http.list_tables(csrf, Origin="http://evil.example")
    assert (status, body["__type"]) == (403, "halyard.console#ForeignOrigin")
    status, _, body = http.send("POST", "/console/api", {}, {
        "X-Amz-Target": "DynamoDB_20120810.ListTables", "X-Halyard-Csrf": csrf}, cookie=False)
    assert (status, body["__type"]) == (401, "halyard.console#NoSession")
    # Another session's token does not do for this one.
    other = Http(console_server)
    _, other_session = other.sign_in()
    assert http.list_tables(other_session["csrfToken"])[0] == 403

    # Signing out needs the token too, and ends the session.
    assert http.send("DELETE", "/console/api/session")[0] == 403
    status, headers, _ = http.send("DELETE", "/console/api/session", headers={"X-Halyard-Csrf": csrf})
    assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
    status, _, body = http.list_tables(csrf)
    assert (status, body["__type"]) == (401, "halyard.console#NoSession")
    assert http.send("GET", "/console/api/session")[0] == 401

    for path in ("/console/", "/console/js/main.js", "/console/api/session"):
        _, headers, _ = http.send("GET", path)
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_nothing_secret_is_readable_by_the_page(console_server, browser):
    page = browser()
    sign_in(page, console_server)
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert CREDENTIALS["aws_secret_access_key"] not in page.url
    page.click("#sign-out")
    page.wait_for_selector("#sign-in")
    assert page.evaluate("fetch('/console/api/session').then(r => r.status)") == 401


def test_the_cookie_is_secure_under_tls(tmp_path):
    server = TlsServer(tmp_path / "data", "--tls", "self-signed").start()
    try:
        http = Http(server, context=server.context())
        status, _ = http.sign_in()
        assert status == 200
        assert "Secure" in [part.strip() for part in http.set_cookie.split(";")]
    finally:
        server.stop()


def test_the_console_can_be_turned_off_and_says_when_auth_is(tmp_path, browser):
    off = Server(tmp_path / "off", "--console", "off").start()
    try:
        status, headers, _ = Http(off).send("GET", "/console/")
        assert status != 200 and "Content-Security-Policy" not in headers
    finally:
        off.stop()
    open_server = Server(tmp_path / "open", "--auth", "off").start()
    try:
        page = browser()
        page.goto(url(open_server, "/console/"))
        page.wait_for_selector("#tables")
        assert page.is_visible("#auth-banner")
        assert "unauthenticated" in page.text_content("#auth-banner")
        assert "Unauthenticated" in page.text_content("#identity")
        screenshot(page, "auth-off")
    finally:
        open_server.stop()
