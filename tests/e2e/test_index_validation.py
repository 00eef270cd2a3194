"""CreateTable validation of GlobalSecondaryIndexes and LocalSecondaryIndexes
(issue 5): limits, LSI key rules, names, AttributeDefinitions, projections and
GSI throughput, each with DynamoDB's error.

Several texts here are the service's and differ from DynamoDB Local's; those
tests fail against Local on purpose. See ORACLE_NOTES.md (section 1 and the
"Secondary indexes" section) for each one and its source."""

import pytest

from helpers import expect_error

VE = "ValidationException"
P = "One or more parameter values were invalid: "


def attr_defs(*names, kind="S"):
    return [{"AttributeName": name, "AttributeType": kind} for name in names]


def key_schema(hash_key, range_key=None):
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def index(name, hash_key, range_key=None, projection=None, **extra):
    return {"IndexName": name, "KeySchema": key_schema(hash_key, range_key),
            "Projection": projection if projection is not None else {"ProjectionType": "ALL"}, **extra}


@pytest.fixture
def rejects(lax, table_name):
    """rejects(message, contains=..., **request): CreateTable fails with a
    ValidationException and no table is left behind."""
    def check(message=None, contains=None, defs=("pk", "sk", "g"), hash_key="pk", range_key="sk", **request):
        request.setdefault("BillingMode", "PAY_PER_REQUEST")
        expect_error(lax.create_table, VE, message, contains=contains, TableName=table_name,
                     KeySchema=key_schema(hash_key, range_key), AttributeDefinitions=attr_defs(*defs), **request)
        assert table_name not in lax.list_tables(Limit=100)["TableNames"]
    return check


@pytest.fixture
def accepts(client, table_name):
    def check(defs=("pk", "sk", "g"), hash_key="pk", range_key="sk", **request):
        request.setdefault("BillingMode", "PAY_PER_REQUEST")
        response = client.create_table(TableName=table_name, KeySchema=key_schema(hash_key, range_key),
                                       AttributeDefinitions=attr_defs(*defs), **request)
        client.delete_table(TableName=table_name)
        return response["TableDescription"]
    return check


# ------------------------------------------------------------------- limits

def test_twenty_gsis_allowed(accepts):
    description = accepts(GlobalSecondaryIndexes=[index(f"gsi{i:02}", "g") for i in range(20)])
    assert len(description["GlobalSecondaryIndexes"]) == 20


def test_more_than_twenty_gsis(rejects):
    # Local: "GlobalSecondaryIndex count exceeds the per-table limit" (no prefix, no number).
    rejects(P + "GlobalSecondaryIndex count exceeds the per-table limit of 20",
            GlobalSecondaryIndexes=[index(f"gsi{i:02}", "g") for i in range(21)])


def test_more_than_twenty_gsis_stable_part(rejects):
    rejects(contains="GlobalSecondaryIndex count exceeds the per-table limit",
            GlobalSecondaryIndexes=[index(f"gsi{i:02}", "g") for i in range(21)])


def test_five_lsis_allowed(accepts):
    description = accepts(LocalSecondaryIndexes=[index(f"lsi{i}", "pk", "g") for i in range(5)])
    assert len(description["LocalSecondaryIndexes"]) == 5


def test_more_than_five_lsis(rejects):
    # Local: "Cannot have more than 5 local secondary indexes per table".
    rejects(P + "Number of LocalSecondaryIndexes exceeds per-table limit of 5",
            LocalSecondaryIndexes=[index(f"lsi{i}", "pk", "g") for i in range(6)])


# ------------------------------------------------------------------ LSI keys

def test_lsi_with_different_partition_key(rejects):
    # Local: "Local Secondary indices must have the same hash key as the main table".
    rejects(P + "Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi_x. "
                "index hash key: g, table hash key: pk",
            LocalSecondaryIndexes=[index("lsi_x", "g", "sk")])


def test_lsi_without_sort_key(rejects):
    # Local: "Local secondary indices must have a range key".
    rejects(P + "Index KeySchema does not have a range key for index: lsi_x",
            defs=("pk", "sk"), LocalSecondaryIndexes=[index("lsi_x", "pk")])


def test_lsi_on_table_without_sort_key(rejects):
    # Local: "Local Secondary indices are not allowed on hash tables, only hash and range tables".
    rejects(P + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            defs=("pk", "g"), range_key=None, LocalSecondaryIndexes=[index("lsi_x", "pk", "g")])


def test_lsi_with_table_sort_key_and_gsi_with_table_key_are_accepted(accepts):
    description = accepts(defs=("pk", "sk"), LocalSecondaryIndexes=[index("lsi_same", "pk", "sk")],
                          GlobalSecondaryIndexes=[index("gsi_same", "pk", "sk")])
    assert description["LocalSecondaryIndexes"][0]["KeySchema"] == key_schema("pk", "sk")


# --------------------------------------------------------------------- names

@pytest.mark.parametrize("kind", ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"])
def test_duplicate_index_names(rejects, kind):
    # Local: "Two global secondary indices have the same name" / "Two local secondary indices have the same name".
    make = (lambda n: index(n, "g")) if kind == "GlobalSecondaryIndexes" else (lambda n: index(n, "pk", "g"))
    rejects(P + "Duplicate index name: dup", **{kind: [make("dup"), make("dup")]})


def test_duplicate_name_between_gsi_and_lsi(rejects):
    # Local: "Local Secondary Indices AND Global Secondary Indices must have different names".
    rejects(P + "Duplicate index name: dup", GlobalSecondaryIndexes=[index("dup", "g")],
            LocalSecondaryIndexes=[index("dup", "pk", "g")])


@pytest.mark.parametrize("kind", ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"])
def test_index_name_too_short(rejects, kind):
    # Local: "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, ...".
    member = "globalSecondaryIndexes" if kind == "GlobalSecondaryIndexes" else "localSecondaryIndexes"
    make = index("ab", "g") if kind == "GlobalSecondaryIndexes" else index("ab", "pk", "g")
    rejects(f"1 validation error detected: Value 'ab' at '{member}.1.member.indexName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3", **{kind: [make]})


def test_index_name_invalid_characters(rejects):
    rejects("1 validation error detected: Value 'bad name!' at 'globalSecondaryIndexes.1.member.indexName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            GlobalSecondaryIndexes=[index("bad name!", "g")])


def test_index_name_too_long(rejects):
    name = "x" * 256
    rejects(f"1 validation error detected: Value '{name}' at 'globalSecondaryIndexes.1.member.indexName' failed to "
            "satisfy constraint: Member must have length less than or equal to 255",
            GlobalSecondaryIndexes=[index(name, "g")])


@pytest.mark.parametrize("name", ["ab", "bad name!", "x" * 256])
def test_invalid_index_names_stable_part(rejects, name):
    # Local and the service share no wording here; the type is what both send.
    rejects(GlobalSecondaryIndexes=[index(name, "g")])


def test_index_name_limits_accepted(accepts):
    description = accepts(GlobalSecondaryIndexes=[index("a_b", "g"), index("Az09_.-" + "x" * 248, "g")])
    assert [i["IndexName"] for i in description["GlobalSecondaryIndexes"]] == ["a_b", "Az09_.-" + "x" * 248]


# ------------------------------------------------------- AttributeDefinitions

def test_gsi_key_not_in_attribute_definitions(rejects):
    # Local: "Global Secondary Index hash key not specified in Attribute Definitions.Type unknown."
    rejects(P + "Some index key attributes are not defined in AttributeDefinitions. Keys: [g], AttributeDefinitions: [pk, sk]",
            defs=("pk", "sk"), GlobalSecondaryIndexes=[index("gsi_x", "g")])


def test_gsi_range_key_not_in_attribute_definitions(rejects):
    rejects(P + "Some index key attributes are not defined in AttributeDefinitions. Keys: [g, zz], "
                "AttributeDefinitions: [pk, sk, g]",
            GlobalSecondaryIndexes=[index("gsi_x", "g", "zz")])


def test_lsi_key_not_in_attribute_definitions(rejects):
    # Local: "Local Secondary Index range key not specified in Attribute Definitions.Type unknown."
    rejects(P + "Some index key attributes are not defined in AttributeDefinitions. Keys: [pk, l], "
                "AttributeDefinitions: [pk, sk]",
            defs=("pk", "sk"), LocalSecondaryIndexes=[index("lsi_x", "pk", "l")])


@pytest.mark.parametrize("kind", ["gsi", "lsi"])
def test_index_key_not_defined_stable_part(rejects, kind):
    # Both Local and the service name "Attribute Definitions"/"AttributeDefinitions"; only the type is common.
    if kind == "gsi":
        rejects(defs=("pk", "sk"), GlobalSecondaryIndexes=[index("gsi_x", "g")])
    else:
        rejects(defs=("pk", "sk"), LocalSecondaryIndexes=[index("lsi_x", "pk", "l")])


def test_unused_attribute_definition_with_indexes(rejects):
    # The order inside the two lists is not stable on the service; the prefix is checked.
    # Local: "The number of attributes in key schema must match the number of attributes defined in attribute definitions."
    rejects(contains=P + "Some AttributeDefinitions are not used. AttributeDefinitions: [",
            defs=("pk", "sk", "g", "unused"), GlobalSecondaryIndexes=[index("gsi_x", "g")])


def test_unused_attribute_definition_stable_part(rejects):
    rejects(defs=("pk", "sk", "g", "unused"), GlobalSecondaryIndexes=[index("gsi_x", "g")])


def test_unused_attribute_definition_with_gsi_and_lsi(rejects):
    # DynamoDB Local accepts this one (it seems to count `pk` and `g` once per key schema using them).
    rejects(contains=P + "Some AttributeDefinitions are not used.", defs=("pk", "sk", "g", "unused"),
            GlobalSecondaryIndexes=[index("gsi_x", "g")], LocalSecondaryIndexes=[index("lsi_x", "pk", "g")])


def test_attribute_used_only_by_an_index_is_accepted(accepts):
    description = accepts(defs=("pk", "sk", "g", "h"), GlobalSecondaryIndexes=[index("gsi_x", "g", "h")],
                          LocalSecondaryIndexes=[index("lsi_x", "pk", "h")])
    assert {d["AttributeName"] for d in description["AttributeDefinitions"]} == {"pk", "sk", "g", "h"}


# ---------------------------------------------------------------- projections

@pytest.mark.parametrize("kind", ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"])
def test_include_without_non_key_attributes(rejects, kind):
    # Local: "If Projection type INCLUDE is specified, some non-key attributes to include in the projection must be
    # specified as well".
    make = index("idx_x", "g", projection={"ProjectionType": "INCLUDE"}) if kind == "GlobalSecondaryIndexes" \
        else index("idx_x", "pk", "g", projection={"ProjectionType": "INCLUDE"})
    rejects(P + "ProjectionType is INCLUDE, but NonKeyAttributes is not specified", **{kind: [make]})


@pytest.mark.parametrize("projection_type", ["ALL", "KEYS_ONLY"])
def test_non_key_attributes_without_include(rejects, projection_type):
    # Local: "No attributes should be specified to be projected unless projection type is INCLUDE".
    projection = {"ProjectionType": projection_type, "NonKeyAttributes": ["a"]}
    rejects(P + f"ProjectionType is {projection_type}, but NonKeyAttributes is specified",
            GlobalSecondaryIndexes=[index("idx_x", "g", projection=projection)])
    rejects(P + f"ProjectionType is {projection_type}, but NonKeyAttributes is specified",
            LocalSecondaryIndexes=[index("idx_x", "pk", "g", projection=projection)])


@pytest.mark.parametrize("projection", [{"ProjectionType": "INCLUDE"}, {"ProjectionType": "ALL", "NonKeyAttributes": ["a"]},
                                        {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["a"]}])
def test_projection_rules_stable_part(rejects, projection):
    rejects(GlobalSecondaryIndexes=[index("idx_x", "g", projection=projection)])


def test_duplicate_non_key_attribute(rejects):
    # Local: "Cannot have two attributes with the same name".
    rejects(P + "Duplicate element in NonKeyAttributes: a",
            GlobalSecondaryIndexes=[index("idx_x", "g", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b", "a"]})])


def test_projection_without_type(rejects):
    # Local: "Indexes must have a projection specified".
    rejects(P + "Unknown ProjectionType: null", GlobalSecondaryIndexes=[index("idx_x", "g", projection={})])


def test_invalid_projection_type(rejects):
    # Local: "Projection type must be INCLUDE, ALL, or KEYS_ONLY"; the service sends an enum constraint message.
    rejects(GlobalSecondaryIndexes=[index("idx_x", "g", projection={"ProjectionType": "SOME"})])


def include(names):
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": names}


def test_one_hundred_projected_attributes_across_indexes_accepted(accepts):
    gsis = [index(f"gsi{i}", "g", projection=include([f"a{i}_{j}" for j in range(20)])) for i in range(4)]
    lsis = [index("lsi0", "pk", "g", projection=include([f"b{j}" for j in range(20)]))]
    description = accepts(GlobalSecondaryIndexes=gsis, LocalSecondaryIndexes=lsis)
    assert len(description["GlobalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"]) == 20


def test_more_than_one_hundred_projected_attributes_across_indexes(rejects):
    # 101 NonKeyAttributes in all (at most 20 per index). The same name in two indexes counts twice.
    # Local: "No more than 20 attributes per table can be projected into Local Secondary Indices" (an old limit);
    # the service's text was not confirmed, so the type and "projected" are checked.
    gsis = [index(f"gsi{i}", "g", projection=include([f"a{j}" for j in range(20)])) for i in range(5)]
    gsis.append(index("gsi5", "g", projection=include(["extra"])))
    rejects(contains="projected", GlobalSecondaryIndexes=gsis)


# ------------------------------------------------------------------ throughput

def test_gsi_without_throughput_on_provisioned_table(rejects):
    # Local: "No provisioned throughput specified for the global secondary index".
    rejects(P + "ProvisionedThroughput is not specified for index: gsi_x", BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            GlobalSecondaryIndexes=[index("gsi_x", "g")])


def test_gsi_without_throughput_on_provisioned_table_stable_part(rejects):
    rejects(contains="rovisioned", BillingMode="PROVISIONED",
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            GlobalSecondaryIndexes=[index("gsi_x", "g")])


def test_gsi_throughput_on_pay_per_request_table(rejects):
    # DynamoDB Local accepts this request.
    rejects(P + "ProvisionedThroughput should not be specified for index: gsi_x when BillingMode is PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[index("gsi_x", "g", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})])


def test_gsi_throughput_on_provisioned_table(client, table_name):
    client.create_table(TableName=table_name, KeySchema=key_schema("pk"), AttributeDefinitions=attr_defs("pk", "g"),
                        ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
                        GlobalSecondaryIndexes=[index("gsi_x", "g", ProvisionedThroughput={"ReadCapacityUnits": 4,
                                                                                           "WriteCapacityUnits": 5})])
    gsi = client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert gsi["ProvisionedThroughput"]["WriteCapacityUnits"] == 5


def test_empty_index_lists(rejects):
    # Local: "GSI list is empty/invalid" for GSIs, and it accepts an empty LSI list.
    rejects(P + "List of GlobalSecondaryIndexes is empty", GlobalSecondaryIndexes=[])
    rejects(P + "List of LocalSecondaryIndexes is empty", LocalSecondaryIndexes=[])
