"""The web console's metrics graphs, KMS keys, IAM groups, roles and
managed policies, local secondary indexes and encryption keys in the create
form, and a table's backups (issue 19), in a real headless browser as in test_console.py.
Screenshots of each page go to tests/e2e/output/console/."""

import json
import os
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import CREDENTIALS, REGION
from test_console import (browser, console_server, dynamodb, expect, flash_says, iam, playwright,  # noqa: F401
                          run_query, screenshot, shown_rows, sign_in, url)

pytestmark = pytest.mark.skipif(os.environ.get("HALYARD_TEST_ENDPOINT") is not None,
                                reason="the console is Halyard's own")


@pytest.fixture(scope="module")
def kms(console_server):
    return boto3.client("kms", endpoint_url=console_server.endpoint, region_name=REGION,
                        config=Config(retries={"max_attempts": 1}), **CREDENTIALS)


def new_table(dynamodb, prefix):
    table = f"{prefix}-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 0.2})
    return table


def operation_counts(page):
    return dict(page.eval_on_selector_all("#metrics-operations tbody tr",
                                          "rows => rows.map(row => [row.dataset.operation, row.cells[1].textContent])"))


def test_metrics_graphs_show_a_known_workload(console_server, dynamodb, iam, browser):
    table = new_table(dynamodb, "graphed")
    for n in range(7):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"k{n}"}, "v": {"N": str(n)}})
    for n in range(3):
        dynamodb.get_item(TableName=table, Key={"pk": {"S": f"k{n}"}})
    for n in range(2):
        with pytest.raises(ClientError):
            dynamodb.put_item(TableName=table, Item={"pk": {"S": f"k{n}"}}, ConditionExpression="attribute_not_exists(pk)")

    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, f"/console/#/table/{table}"))
    page.click("#table-metrics")
    page.wait_for_selector("#metrics-operations")
    counts = operation_counts(page)
    # The console's own DescribeTable calls count too; the workload's are exact.
    assert counts["PutItem"] == "9" and counts["GetItem"] == "3"
    assert page.text_content("#metrics-total-requests") == str(sum(int(c) for c in counts.values()))
    assert page.text_content("#metrics-errors") == "2"
    assert page.text_content("#metrics-throttles") == "0"
    assert float(page.text_content("#metrics-read-units")) > 0
    assert float(page.text_content("#metrics-write-units")) >= 7
    for graph in ("requests", "latency", "capacity", "throttles", "errors"):
        expect(page.locator(f"svg#graph-{graph} polyline")).not_to_have_count(0)
    expect(page.locator("svg#graph-requests circle")).not_to_have_count(0)
    screenshot(page, "table-metrics")

    # Refreshing shows the requests made since.
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "late"}})
    page.click("#metrics-refresh")
    expect(page.locator("#metrics-operations tr[data-operation='PutItem'] td").nth(1)).to_have_text("10")

    # A user not allowed DescribeTable on the table does not see them.
    name = f"nographs{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:ListTables", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    other = browser()
    sign_in(other, console_server, key["AccessKeyId"], key["SecretAccessKey"])
    other.goto(url(console_server, f"/console/#/table/{table}/metrics"))
    expect(other.locator("main .error")).to_contain_text("dynamodb:DescribeTable")


def test_a_kms_key_created_disabled_and_enabled_in_the_browser(console_server, kms, browser):
    alias = f"alias/console-{uuid.uuid4().hex[:8]}"
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/kms"))
    page.fill("#kms-description", "made in the console")
    page.fill("#kms-alias", alias)
    page.click("#kms-create")
    expect(page.locator("#kms-key-state")).to_have_text("Enabled")
    key_id = kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "made in the console"

    page.click("#kms-disable")
    flash_says(page, "Key disabled.")
    expect(page.locator("#kms-key-state")).to_have_text("Disabled")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    page.click("#kms-enable")
    expect(page.locator("#kms-key-state")).to_have_text("Enabled")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    page.click("#kms-rotation-on")
    expect(page.locator("#kms-rotation")).to_contain_text("on")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    screenshot(page, "kms-key")

    page.fill("#kms-pending-days", "7")
    page.click("#kms-schedule-deletion")
    expect(page.locator("#kms-key-state")).to_have_text("PendingDeletion")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    page.click("#kms-cancel-deletion")
    expect(page.locator("#kms-key-state")).to_have_text("Disabled")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"

    page.goto(url(console_server, "/console/#/kms"))
    row = page.locator(f"#kms-keys tr[data-key-id='{key_id}']")
    expect(row.locator(".key-state")).to_have_text("Disabled")
    expect(row).to_contain_text(alias)
    expect(page.locator("#kms-aliases")).to_contain_text(alias)
    screenshot(page, "kms-keys")


def test_iam_groups_roles_and_managed_policies_from_the_console(console_server, iam, browser):
    suffix = uuid.uuid4().hex[:8]
    user, group, role, policy = f"member{suffix}", f"readers{suffix}", f"worker{suffix}", f"query{suffix}"
    iam.create_user(UserName=user)
    page = browser()
    sign_in(page, console_server)

    page.goto(url(console_server, "/console/#/policies"))
    page.fill("#iam-new-policy", policy)
    page.click("#iam-create-policy")
    flash_says(page, f"Policy {policy} created.")
    arn = next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == policy)
    screenshot(page, "iam-policies")

    page.goto(url(console_server, "/console/#/groups"))
    page.fill("#iam-new-group", group)
    page.click("#iam-create-group")
    page.wait_for_selector("#iam-group-members")
    page.select_option("#iam-group-add-choice", user)
    page.click("#iam-group-add")
    expect(page.locator("#iam-group-members")).to_contain_text(user)
    page.select_option("#iam-attach-choice", arn)
    page.click("#iam-attach")
    expect(page.locator("#iam-attached")).to_contain_text(policy)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]] == [arn]
    screenshot(page, "iam-group")

    page.goto(url(console_server, "/console/#/roles"))
    page.fill("#iam-new-role", role)
    page.click("#iam-create-role")
    page.wait_for_selector("#iam-role-trust")
    assert "ec2.amazonaws.com" in page.text_content("#iam-role-trust")
    page.fill("#iam-policy-name", "inline-read")
    page.click("#iam-put-policy")
    flash_says(page, "Policy inline-read saved.")
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["inline-read"]
    described = iam.get_role(RoleName=role)["Role"]
    assert described["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    screenshot(page, "iam-role")

    # The user's page shows its group; its keys can be deactivated.
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    page.goto(url(console_server, f"/console/#/iam/{user}"))
    expect(page.locator("#iam-user-groups")).to_contain_text(group)
    page.click(f"button[aria-label='Deactivate key {key_id}']")
    expect(page.locator("#iam-keys")).to_contain_text("Inactive")
    assert iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["Status"] == "Inactive"

    page.goto(url(console_server, f"/console/#/group/{group}"))
    page.click(f"button[aria-label='Remove {user} from the group']")
    expect(page.locator("#iam-group-members")).not_to_contain_text(user)
    assert iam.get_group(GroupName=group)["Users"] == []


def test_a_table_with_a_local_secondary_index_from_the_form(console_server, dynamodb, browser):
    table = f"orders-{uuid.uuid4().hex[:8]}"
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/create"))
    page.fill("#ct-name", table)
    page.fill("#ct-pk-name", "customer")
    page.fill("#ct-sk-name", "order_id")
    page.click("#ct-add-local-index")
    page.fill("#lsi1-name", "by_total")
    page.fill("#lsi1-sk-name", "total")
    page.select_option("#lsi1-sk-type", "N")
    screenshot(page, "create-table-lsi")
    page.click("#ct-submit")
    page.wait_for_selector("#indexes")
    assert "local" in page.text_content("#indexes")
    described = dynamodb.describe_table(TableName=table)["Table"]
    index = described["LocalSecondaryIndexes"][0]
    assert index["IndexName"] == "by_total"
    assert index["KeySchema"] == [{"AttributeName": "customer", "KeyType": "HASH"},
                                  {"AttributeName": "total", "KeyType": "RANGE"}]
    assert {"AttributeName": "total", "AttributeType": "N"} in described["AttributeDefinitions"]
    for order, total in (("o1", "30"), ("o2", "5"), ("o3", "12")):
        dynamodb.put_item(TableName=table, Item={"customer": {"S": "ann"}, "order_id": {"S": order}, "total": {"N": total}})

    page.goto(url(console_server, f"/console/#/table/{table}/items"))
    page.wait_for_selector("#items")
    run_query(page, "ann", index="by_total")
    expect(page.locator("#result-count")).to_contain_text("3")
    expect(page.locator("#items tbody tr").first).to_contain_text("o2")
    assert [r["order_id"] for r in shown_rows(page)] == ["o2", "o3", "o1"]
    screenshot(page, "query-local-index")


def test_a_tables_backups_are_shown_on_its_page(console_server, dynamodb, browser):
    table = new_table(dynamodb, "backed")
    dynamodb.create_backup(TableName=table, BackupName="before-change")
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, f"/console/#/table/{table}"))
    expect(page.locator("#backups")).to_contain_text("before-change")
    page.fill("#backup-name", "from-console")
    page.click("#create-backup")
    flash_says(page, "Backup created.")
    expect(page.locator("#backups")).to_contain_text("from-console")
    names = sorted(b["BackupName"] for b in dynamodb.list_backups(TableName=table)["BackupSummaries"])
    assert names == ["before-change", "from-console"]
    screenshot(page, "table-backups")


def test_a_table_under_a_customer_managed_key_from_the_form(console_server, dynamodb, kms, browser):
    key_arn = kms.create_key(Description="console table key")["KeyMetadata"]["Arn"]
    alias = f"alias/console-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    table = f"sealed-{uuid.uuid4().hex[:8]}"
    page = browser()
    sign_in(page, console_server)
    page.goto(url(console_server, "/console/#/create"))
    page.fill("#ct-name", table)
    page.fill("#ct-pk-name", "pk")
    # The key field is offered only for a customer managed key.
    expect(page.locator("#ct-kms-key")).to_be_hidden()
    page.select_option("#ct-encryption", "CUSTOMER")
    page.fill("#ct-kms-key", alias)
    screenshot(page, "create-table-encryption")
    page.click("#ct-submit")
    page.wait_for_selector("#table-encryption")
    described = dynamodb.describe_table(TableName=table)["Table"]["SSEDescription"]
    assert described["SSEType"] == "KMS" and described["KMSMasterKeyArn"] == key_arn
    expect(page.locator("#table-encryption")).to_contain_text(key_arn)

    # The default is the service's own key: no SSEDescription, as DynamoDB.
    plain = f"plain-{uuid.uuid4().hex[:8]}"
    page.goto(url(console_server, "/console/#/create"))
    page.fill("#ct-name", plain)
    page.fill("#ct-pk-name", "pk")
    page.click("#ct-submit")
    page.wait_for_selector("#table-encryption")
    assert "SSEDescription" not in dynamodb.describe_table(TableName=plain)["Table"]
    expect(page.locator("#table-encryption")).to_contain_text("owned by DynamoDB")
