"""OnDemandThroughput, WarmThroughput, TableClass, DescribeLimits and
DescribeEndpoints: set at CreateTable, changed by UpdateTable, reported by
DescribeTable, refused when invalid."""

import pytest
from botocore.exceptions import ClientError

from conftest import Server, create_table

GSI_DEFINITIONS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}]


def gsi(name="by-g", **extra):
    return {"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}, **extra}


def create_with_gsi(client, name, indexes, **extra):
    extra.setdefault("BillingMode", "PAY_PER_REQUEST")
    return client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=GSI_DEFINITIONS, GlobalSecondaryIndexes=indexes, **extra,
    )


def describe(client, name):
    return client.describe_table(TableName=name)["Table"]


def validation_error(excinfo):
    error = excinfo.value.response["Error"]
    assert error["Code"] == "ValidationException"
    return error["Message"]


# OnDemandThroughput

def test_on_demand_throughput_set_at_create_is_reported(client, table_name):
    created = create_with_gsi(
        client, table_name, [gsi(OnDemandThroughput={"MaxReadRequestUnits": 7})],
        OnDemandThroughput={"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5},
    )["TableDescription"]
    assert created["OnDemandThroughput"] == {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}
    table = describe(client, table_name)
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 5}
    assert table["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == {"MaxReadRequestUnits": 7, "MaxWriteRequestUnits": -1}


def test_on_demand_table_without_maximums_reports_minus_one(client, table_name):
    create_table(client, table_name)
    assert describe(client, table_name)["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}


def test_provisioned_table_reports_no_on_demand_throughput(client, table_name):
    create_table(client, table_name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    assert "OnDemandThroughput" not in describe(client, table_name)


def test_update_table_sets_and_removes_maximums(client, table_name):
    create_with_gsi(client, table_name, [gsi()], OnDemandThroughput={"MaxReadRequestUnits": 10})
    updated = client.update_table(TableName=table_name, OnDemandThroughput={"MaxWriteRequestUnits": 20})["TableDescription"]
    assert updated["OnDemandThroughput"] == {"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 20}
    client.update_table(TableName=table_name, OnDemandThroughput={"MaxReadRequestUnits": -1})
    assert describe(client, table_name)["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 20}
    client.update_table(
        TableName=table_name,
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "OnDemandThroughput": {"MaxWriteRequestUnits": 3}}}],
    )
    index = describe(client, table_name)["GlobalSecondaryIndexes"][0]
    assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 3}


# The messages below are the service's, from captures of its answers (tests/e2e/ORACLE_NOTES.md, "Capacity and
# throttling").

@pytest.mark.parametrize("value", [0, -2, -1])
def test_maximum_below_one_is_refused_at_create(lax, table_name, value):
    with pytest.raises(ClientError) as excinfo:
        create_table(lax, table_name, OnDemandThroughput={"MaxWriteRequestUnits": value})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested MaxWriteRequestUnits for OnDemandThroughput for table "
        "is outside of valid range"
    )
    with pytest.raises(ClientError) as excinfo:
        create_with_gsi(lax, table_name, [gsi(OnDemandThroughput={"MaxReadRequestUnits": value})])
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested MaxReadRequestUnits for OnDemandThroughput for "
        "index : by-g is outside of valid range"
    )


@pytest.mark.parametrize("value", [0, -2])
def test_maximum_below_one_is_refused_at_update(lax, table_name, value):
    create_table(lax, table_name)
    with pytest.raises(ClientError) as excinfo:
        lax.update_table(TableName=table_name, OnDemandThroughput={"MaxReadRequestUnits": value})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested MaxReadRequestUnits for OnDemandThroughput for table "
        "is outside of valid range"
    )


def test_empty_on_demand_throughput_means_none_at_create_and_is_refused_at_update(lax, table_name):
    create_table(lax, table_name, OnDemandThroughput={})
    assert describe(lax, table_name)["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}
    with pytest.raises(ClientError) as excinfo:
        lax.update_table(TableName=table_name, OnDemandThroughput={})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: OnDemandThroughput must specify MaxReadRequestUnits, MaxWriteRequestUnits, or both"
    )


def test_on_demand_throughput_on_a_provisioned_table_is_refused(client, table_name):
    provisioned = {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}
    with pytest.raises(ClientError) as excinfo:
        create_table(client, table_name, OnDemandThroughput={"MaxWriteRequestUnits": 5}, **provisioned)
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: MaxWriteRequestUnits for OnDemandThroughput cannot be specified "
        "when table BillingMode is PROVISIONED."
    )
    create_table(client, table_name, **provisioned)
    with pytest.raises(ClientError) as excinfo:
        # Refused before the values are checked.
        client.update_table(TableName=table_name, OnDemandThroughput={"MaxReadRequestUnits": 0, "MaxWriteRequestUnits": 5})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: MaxReadRequestUnits for OnDemandThroughput cannot be specified "
        "when the table BillingMode is PROVISIONED"
    )


def test_switching_to_provisioned_drops_the_maximums(client, table_name):
    create_table(client, table_name, OnDemandThroughput={"MaxReadRequestUnits": 10})
    client.update_table(TableName=table_name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2})
    client.update_table(TableName=table_name, BillingMode="PAY_PER_REQUEST")
    assert describe(client, table_name)["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}


def test_update_of_a_missing_index_is_refused(client, table_name):
    create_with_gsi(client, table_name, [gsi()])
    with pytest.raises(ClientError) as excinfo:
        client.update_table(
            TableName=table_name,
            GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "nope", "OnDemandThroughput": {"MaxReadRequestUnits": 3}}}],
        )
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


# WarmThroughput

def test_new_tables_and_indexes_report_the_default_warm_throughput(client, table_name):
    created = create_with_gsi(client, table_name, [gsi()])["TableDescription"]
    expected = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert created["WarmThroughput"] == expected
    table = describe(client, table_name)
    assert table["WarmThroughput"] == expected
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == expected


def test_warm_throughput_set_at_create_and_increased(client, table_name):
    create_with_gsi(
        client, table_name, [gsi(WarmThroughput={"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4500})],
        WarmThroughput={"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000},
    )
    table = describe(client, table_name)
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 5000, "Status": "ACTIVE"}
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4500, "Status": "ACTIVE"}
    client.update_table(TableName=table_name, WarmThroughput={"WriteUnitsPerSecond": 6000})
    assert describe(client, table_name)["WarmThroughput"]["WriteUnitsPerSecond"] == 6000


def test_table_warm_throughput_cannot_decrease(client, table_name):
    create_table(client, table_name, WarmThroughput={"ReadUnitsPerSecond": 15000})
    with pytest.raises(ClientError) as excinfo:
        client.update_table(TableName=table_name, WarmThroughput={"ReadUnitsPerSecond": 14000})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table is lower "
        "than current WarmThroughput, decreasing WarmThroughput is not supported"
    )


def test_warm_throughput_below_the_initial_one_is_refused_at_create(lax, table_name):
    with pytest.raises(ClientError) as excinfo:
        create_table(lax, table_name, WarmThroughput={"WriteUnitsPerSecond": 100})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested WriteUnitsPerSecond for WarmThroughput for table is lower "
        "than initial throughput for OnDemand"
    )
    with pytest.raises(ClientError) as excinfo:
        create_with_gsi(lax, table_name, [gsi(WarmThroughput={"ReadUnitsPerSecond": 0})])
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for index by-g is "
        "lower than initial throughput for OnDemand"
    )
    with pytest.raises(ClientError) as excinfo:
        create_table(lax, table_name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 5},
                     WarmThroughput={"ReadUnitsPerSecond": 10})
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table is lower "
        "than ReadCapacityUnits of ProvisionedThroughput"
    )


def test_provisioned_table_takes_a_warm_throughput_from_its_capacity_up(client, table_name):
    # A provisioned table's initial warm throughput is its capacity, not on-demand's 12000/4000.
    create_table(client, table_name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
                 WarmThroughput={"ReadUnitsPerSecond": 5000, "WriteUnitsPerSecond": 2000})
    warm = describe(client, table_name)["WarmThroughput"]
    assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]) == (5000, 2000)


def test_index_warm_throughput_cannot_decrease(client, table_name):
    create_with_gsi(client, table_name, [gsi(WarmThroughput={"ReadUnitsPerSecond": 15000})])
    with pytest.raises(ClientError) as excinfo:
        client.update_table(
            TableName=table_name,
            GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by-g", "WarmThroughput": {"ReadUnitsPerSecond": 14000}}}],
        )
    assert validation_error(excinfo) == (
        "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for index by-g is "
        "lower than current WarmThroughput, decreasing WarmThroughput is not supported"
    )


def test_invalid_warm_throughput_is_refused(lax, table_name):
    with pytest.raises(ClientError) as excinfo:
        create_table(lax, table_name, WarmThroughput={})
    assert "WarmThroughput must specify ReadUnitsPerSecond, WriteUnitsPerSecond, or both" in validation_error(excinfo)


def test_provisioned_capacity_above_the_warm_throughput_raises_it(client, table_name):
    create_table(client, table_name, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 20000, "WriteCapacityUnits": 5})
    warm = describe(client, table_name)["WarmThroughput"]
    assert (warm["ReadUnitsPerSecond"], warm["WriteUnitsPerSecond"]) == (20000, 4000)


# TableClass

def test_table_class_set_updated_and_reported(client, table_name):
    created = create_table(client, table_name, TableClass="STANDARD_INFREQUENT_ACCESS")["TableDescription"]
    assert created["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    client.update_table(TableName=table_name, TableClass="STANDARD")
    summary = describe(client, table_name)["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD"
    assert "LastUpdateDateTime" in summary


def test_table_without_a_class_reports_no_summary(client, table_name):
    create_table(client, table_name)
    assert "TableClassSummary" not in describe(client, table_name)


def test_unknown_table_class_is_refused(lax, table_name):
    with pytest.raises(ClientError) as excinfo:
        create_table(lax, table_name, TableClass="COLD")
    assert validation_error(excinfo) == (
        "1 validation error detected: Value 'COLD' at 'tableClass' failed to satisfy constraint: "
        "Member must satisfy enum value set: [STANDARD, STANDARD_INFREQUENT_ACCESS]"
    )


def test_settings_survive_a_restart(fresh_server, table_name):
    fresh_server.start()
    client = fresh_server.client()
    create_with_gsi(
        client, table_name, [gsi(OnDemandThroughput={"MaxWriteRequestUnits": 9})],
        OnDemandThroughput={"MaxReadRequestUnits": 10}, WarmThroughput={"ReadUnitsPerSecond": 13000},
        TableClass="STANDARD_INFREQUENT_ACCESS",
    )
    before = describe(client, table_name)
    fresh_server.stop()
    fresh_server.start()
    after = describe(fresh_server.client(), table_name)
    for member in ["OnDemandThroughput", "WarmThroughput", "TableClassSummary", "GlobalSecondaryIndexes"]:
        assert after[member] == before[member]


# DescribeLimits, DescribeEndpoints

def test_describe_limits(client):
    limits = client.describe_limits()
    del limits["ResponseMetadata"]
    assert limits == {
        "AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000,
    }


def test_describe_endpoints(client):
    endpoints = client.describe_endpoints()["Endpoints"]
    assert endpoints == [{"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}]
