"""The web console (issue 19) in a real headless browser: Debian's chromium
driven by Playwright for Python (no browser download). The employee
directory flow, a GSI query, the typed editor, a conflicting edit, a user
whose policy denies DeleteTable, and the session's CSRF and cookie rules.
Screenshots of the main pages go to tests/e2e/output/console/."""

import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

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

    # The root is offered it, and deletion protection is shown and respected.
    dynamodb.update_table(TableName=table, DeletionProtectionEnabled=True)
    root = browser()
    sign_in(root, console_server)
    root.goto(url(console_server, f"/console/#/table/{table}"))
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
