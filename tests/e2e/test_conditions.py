"""ConditionExpression (and the legacy Expected parameter) on PutItem,
UpdateItem and DeleteItem: every comparator and function, precedence,
document paths, placeholders, ConditionalCheckFailedException, and the exact
validation errors DynamoDB returns for malformed conditions.

Checked against DynamoDB Local; see ORACLE_NOTES.md for known differences."""

import botocore.exceptions
import pytest

from conftest import create_table
from helpers import expect_error

CCF = "ConditionalCheckFailedException"
CCF_MESSAGE = "The conditional request failed"
VE = "ValidationException"

BASE_ITEM = {
    "pk": {"S": "item"},
    "s": {"S": "b"},
    "n": {"N": "10"},
    "b": {"B": b"\x01\x02"},
    "str": {"S": "hello world"},
    "bin": {"B": b"\x00\x01\x02\x03"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["x", "y", "z"]},
    "ns": {"NS": ["1", "2", "3", "4"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
    "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
    "a": {"M": {"b": {"L": [{"N": "0"}, {"M": {"c": {"S": "deep"}}}]}}},
}


@pytest.fixture
def table(client, table_name):
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item=BASE_ITEM)
    return table_name


def get(client, table, pk="item"):
    return client.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")


def holds(client, table, condition, values=None, names=None):
    """Re-puts BASE_ITEM under `condition`: True if it held, False on a
    ConditionalCheckFailedException (anything else propagates)."""
    kwargs = {"ConditionExpression": condition}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    if names:
        kwargs["ExpressionAttributeNames"] = names
    try:
        client.put_item(TableName=table, Item=BASE_ITEM, **kwargs)
        return True
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == CCF:
            assert error.response["Error"]["Message"] == CCF_MESSAGE
            return False
        raise


# --------------------------------------------------------------- comparators

# attribute, (lower, equal, higher) operands
OPERANDS = {
    "S": ("s", {"S": "a"}, {"S": "b"}, {"S": "c"}),
    # 9 < 10 numerically although "9" > "10" as text
    "N": ("n", {"N": "9"}, {"N": "10.000"}, {"N": "1E+2"}),
    # bytes compare unsigned: 0x80 > 0x01
    "B": ("b", {"B": b"\x01\x01\xff"}, {"B": b"\x01\x02"}, {"B": b"\x80"}),
}

# operator -> result when the item's value is compared with (lower, equal, higher)
COMPARATORS = {
    "=": (False, True, False),
    "<>": (True, False, True),
    "<": (False, False, True),
    "<=": (False, True, True),
    ">": (True, False, False),
    ">=": (True, True, False),
}


@pytest.mark.parametrize("kind", sorted(OPERANDS))
@pytest.mark.parametrize("operator", list(COMPARATORS))
def test_comparators(client, table, kind, operator):
    attribute, *operands = OPERANDS[kind]
    got = tuple(holds(client, table, f"{attribute} {operator} :v", {":v": operand}) for operand in operands)
    assert got == COMPARATORS[operator]


@pytest.mark.parametrize("operator", list(COMPARATORS))
def test_comparators_with_operand_on_the_left(client, table, operator):
    # :v OP n is the mirror image of n OP' :v
    lower, equal, higher = OPERANDS["N"][1:]
    got = tuple(holds(client, table, f":v {operator} n", {":v": v}) for v in (lower, equal, higher))
    assert got == tuple(reversed(COMPARATORS[operator]))


def test_strings_compare_by_utf8_bytes(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "u"}, "v": {"S": "a"}})
    put = lambda value: client.put_item(
        TableName=table, Item={"pk": {"S": "u"}, "v": {"S": "a"}},
        ConditionExpression="v < :v", ExpressionAttributeValues={":v": {"S": value}})
    put("é")  # U+00E9 encodes as 0xC3 0xA9 > 'a'
    put("b")
    expect_error(put, CCF, CCF_MESSAGE, value="Z")  # 'Z' < 'a'
    expect_error(put, CCF, CCF_MESSAGE, value="A")


def test_comparing_two_paths(client, table):
    assert holds(client, table, "m.x < m.y")
    assert not holds(client, table, "m.x = m.y")
    assert holds(client, table, "#n > m.y", names={"#n": "n"})


def test_comparison_with_wrong_typed_operand_is_false_not_an_error(client, table):
    assert not holds(client, table, "n = :v", {":v": {"S": "10"}})
    assert not holds(client, table, "n < :v", {":v": {"S": "99"}})
    assert not holds(client, table, "s >= :v", {":v": {"N": "1"}})
    assert holds(client, table, "n <> :v", {":v": {"S": "10"}})


def test_comparison_with_missing_attribute(client, table):
    assert not holds(client, table, "nothing = :v", {":v": {"N": "1"}})
    assert not holds(client, table, "nothing < :v", {":v": {"N": "1"}})
    assert holds(client, table, "nothing <> :v", {":v": {"N": "1"}})
    assert holds(client, table, "NOT nothing = :v", {":v": {"N": "1"}})


def test_equality_of_documents_and_sets(client, table):
    assert holds(client, table, "ss = :v", {":v": {"SS": ["z", "x", "y"]}})
    assert not holds(client, table, "ss = :v", {":v": {"SS": ["x", "y"]}})
    assert holds(client, table, "m = :v", {":v": {"M": {"y": {"N": "2"}, "x": {"N": "1.0"}}}})
    assert holds(client, table, "l = :v", {":v": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]}})
    assert not holds(client, table, "l = :v", {":v": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"k": {"S": "v"}}}]}})
    assert holds(client, table, "t = :v AND z = :null", {":v": {"BOOL": True}, ":null": {"NULL": True}})


@pytest.mark.parametrize("value,kind", [({"L": []}, "L"), ({"BOOL": True}, "BOOL"), ({"M": {}}, "M"), ({"NULL": True}, "NULL"),
                                         ({"SS": ["a"]}, "SS")])
def test_ordering_comparison_on_non_scalar_operand_is_an_error(lax, table, value, kind):
    expect_error(lax.put_item, VE,
                 f"Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: {kind}",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="s < :v", ExpressionAttributeValues={":v": value})


# ------------------------------------------------------------- BETWEEN / IN

def test_between_is_inclusive(client, table):
    between = lambda lo, hi: holds(client, table, "n BETWEEN :lo AND :hi", {":lo": {"N": lo}, ":hi": {"N": hi}})
    assert between("10", "10")
    assert between("9", "10")
    assert between("10", "11")
    assert between("-5", "1e3")
    assert not between("11", "20")
    assert not between("1", "9.99")
    assert holds(client, table, "s BETWEEN :lo AND :hi", {":lo": {"S": "a"}, ":hi": {"S": "b"}})
    assert holds(client, table, "b BETWEEN :lo AND :hi", {":lo": {"B": b"\x01"}, ":hi": {"B": b"\x01\x02"}})
    assert not holds(client, table, "s BETWEEN :lo AND :hi", {":lo": {"N": "1"}, ":hi": {"N": "2"}})
    assert not holds(client, table, "NOT n BETWEEN :lo AND :hi", {":lo": {"N": "1"}, ":hi": {"N": "20"}})


def test_between_bounds_in_wrong_order_is_an_error(lax, table):
    expect_error(lax.put_item, VE,
                 "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                 "lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="n BETWEEN :a AND :b",
                 ExpressionAttributeValues={":a": {"N": "9"}, ":b": {"N": "1"}})


def test_between_bounds_of_different_types_is_an_error(lax, table):
    expect_error(lax.put_item, VE,
                 "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; "
                 "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:9}",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="n BETWEEN :a AND :b",
                 ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"S": "9"}})


def test_in(client, table):
    values = {":a": {"N": "1"}, ":b": {"N": "10"}, ":c": {"S": "10"}}
    assert holds(client, table, "n IN (:a, :b)", {":a": values[":a"], ":b": values[":b"]})
    assert holds(client, table, "n IN (:b)", {":b": {"N": "10.0"}})
    assert not holds(client, table, "n IN (:a, :c)", {":a": values[":a"], ":c": values[":c"]})
    assert holds(client, table, "s IN (:a, :c, :s)", {":a": values[":a"], ":c": values[":c"], ":s": {"S": "b"}})
    assert holds(client, table, "m.x IN (m.y, :a)", {":a": {"N": "1"}})
    assert not holds(client, table, "nothing IN (:a)", {":a": {"N": "1"}})


def test_in_accepts_100_operands_but_not_101(lax, client, table):
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    hundred = {k: values[k] for k in list(values)[:100]}
    assert holds(client, table, "n IN (" + ", ".join(hundred) + ")", hundred)
    expect_error(lax.put_item, VE,
                 "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="n IN (" + ", ".join(values) + ")",
                 ExpressionAttributeValues=values)


# ---------------------------------------------------------- AND / OR / NOT

ONE_TWO = {":one": {"N": "1"}, ":two": {"N": "2"}}


def test_and_binds_tighter_than_or(client, table):
    # m.x = 1, m.y = 2
    assert holds(client, table, "m.x = :one OR m.x = :two AND m.y = :one", ONE_TWO)
    assert not holds(client, table, "(m.x = :one OR m.x = :two) AND m.y = :one", ONE_TWO)
    assert holds(client, table, "m.y = :one AND m.x = :two OR m.x = :one", ONE_TWO)
    assert not holds(client, table, "m.y = :one AND (m.x = :two OR m.x = :one)", ONE_TWO)


def test_not_binds_tighter_than_and(client, table):
    assert not holds(client, table, "NOT m.x = :two AND m.y = :one", ONE_TWO)
    assert holds(client, table, "NOT (m.x = :two AND m.y = :one)", ONE_TWO)
    assert holds(client, table, "NOT NOT attribute_exists(m)")
    assert not holds(client, table, "NOT attribute_exists(m)")


def test_keywords_are_case_insensitive_but_functions_are_not(lax, client, table):
    assert holds(client, table, "attribute_exists(s) and not attribute_exists(q) or m.x between :one and :two", ONE_TWO)
    expect_error(lax.put_item, VE, "Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="ATTRIBUTE_EXISTS(s)")


def test_parentheses(client, table):
    assert holds(client, table, "(m.x = :one)", {":one": {"N": "1"}})
    assert holds(client, table, "((m.x = :one) AND (attribute_exists(s)))", {":one": {"N": "1"}})
    assert holds(client, table, "(m.x) = (:one)", {":one": {"N": "1"}})


@pytest.mark.parametrize("condition", ["((m.x = :one))", "(((m.x = :one)))", "((m.x = :one)) AND n = :one"])
def test_redundant_parentheses(lax, table, condition):
    expect_error(lax.put_item, VE, "Invalid ConditionExpression: The expression has redundant parentheses;",
                 TableName=table, Item=BASE_ITEM, ConditionExpression=condition, ExpressionAttributeValues={":one": {"N": "1"}})


# ---------------------------------------------------------------- functions

def test_attribute_exists_and_not_exists(client, table):
    assert holds(client, table, "attribute_exists(s)")
    assert holds(client, table, "attribute_exists(z)")  # a NULL attribute exists
    assert not holds(client, table, "attribute_exists(q)")
    assert holds(client, table, "attribute_not_exists(q)")
    assert not holds(client, table, "attribute_not_exists(pk)")
    assert holds(client, table, "attribute_exists(a.b[1].c) AND attribute_not_exists(a.b[2])")
    assert holds(client, table, "attribute_not_exists(s.x) AND attribute_not_exists(s[0])")


def test_attribute_not_exists_on_a_missing_item(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "new"}}, ConditionExpression="attribute_not_exists(pk)")
    expect_error(client.put_item, CCF, CCF_MESSAGE, TableName=table, Item={"pk": {"S": "new"}},
                 ConditionExpression="attribute_not_exists(pk)")
    expect_error(client.delete_item, CCF, CCF_MESSAGE, TableName=table, Key={"pk": {"S": "absent"}},
                 ConditionExpression="attribute_exists(pk)")


TYPES = {"S": "s", "N": "n", "B": "b", "BOOL": "t", "NULL": "z", "SS": "ss", "NS": "ns", "BS": "bs", "L": "l", "M": "m"}


@pytest.mark.parametrize("kind", list(TYPES))
def test_attribute_type(client, table, kind):
    attribute = TYPES[kind]
    for other in TYPES:
        assert holds(client, table, f"attribute_type({attribute}, :t)", {":t": {"S": other}}) == (other == kind), other
    assert not holds(client, table, "attribute_type(missing_attr, :t)", {":t": {"S": kind}})


def test_attribute_type_on_nested_path(client, table):
    assert holds(client, table, "attribute_type(a.b[1].c, :s) AND attribute_type(a.b, :l)", {":s": {"S": "S"}, ":l": {"S": "L"}})


def test_attribute_type_with_unknown_type_name(lax, table):
    # The order of the listed valid types is not stable (a hash set in DynamoDB).
    expect_error(lax.put_item, VE, contains="Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: {",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="attribute_type(n, :v)",
                 ExpressionAttributeValues={":v": {"S": "XX"}})


def test_attribute_type_with_non_string_operand(lax, table):
    expect_error(lax.put_item, VE,
                 "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="attribute_type(n, :v)",
                 ExpressionAttributeValues={":v": {"N": "1"}})


def test_begins_with(client, table):
    assert holds(client, table, "begins_with(str, :p)", {":p": {"S": "hello"}})
    assert holds(client, table, "begins_with(str, :p)", {":p": {"S": ""}})
    assert holds(client, table, "begins_with(str, :p)", {":p": {"S": "hello world"}})
    assert not holds(client, table, "begins_with(str, :p)", {":p": {"S": "hello world!"}})
    assert not holds(client, table, "begins_with(str, :p)", {":p": {"S": "Hello"}})
    assert holds(client, table, "begins_with(bin, :p)", {":p": {"B": b"\x00\x01"}})
    assert not holds(client, table, "begins_with(bin, :p)", {":p": {"B": b"\x01"}})
    # a string prefix against a binary attribute, or a number attribute: false
    assert not holds(client, table, "begins_with(bin, :p)", {":p": {"S": "a"}})
    assert not holds(client, table, "begins_with(n, :p)", {":p": {"S": "1"}})
    assert not holds(client, table, "begins_with(missing_attr, :p)", {":p": {"S": "1"}})
    assert holds(client, table, "begins_with(a.b[1].c, :p)", {":p": {"S": "de"}})


def test_begins_with_number_operand_is_an_error(lax, table):
    expect_error(lax.put_item, VE,
                 "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="begins_with(str, :v)",
                 ExpressionAttributeValues={":v": {"N": "1"}})


def test_contains_on_strings(client, table):
    assert holds(client, table, "contains(str, :v)", {":v": {"S": "o w"}})
    assert holds(client, table, "contains(str, :v)", {":v": {"S": "hello world"}})
    assert not holds(client, table, "contains(str, :v)", {":v": {"S": "World"}})
    assert holds(client, table, "contains(bin, :v)", {":v": {"B": b"\x02\x03"}})
    assert not holds(client, table, "contains(n, :v)", {":v": {"N": "1"}})
    assert not holds(client, table, "contains(str, :v)", {":v": {"N": "1"}})


def test_contains_on_sets(client, table):
    assert holds(client, table, "contains(ss, :v)", {":v": {"S": "y"}})
    assert not holds(client, table, "contains(ss, :v)", {":v": {"S": "w"}})
    assert holds(client, table, "contains(ns, :v)", {":v": {"N": "3.0"}})
    assert not holds(client, table, "contains(ns, :v)", {":v": {"S": "3"}})
    assert holds(client, table, "contains(bs, :v)", {":v": {"B": b"\x02"}})
    # contains tests for one element, not a subset
    assert not holds(client, table, "contains(ss, :v)", {":v": {"SS": ["x"]}})
    assert holds(client, table, "contains(ss, l[0])")


def test_contains_on_lists(client, table):
    assert holds(client, table, "contains(l, :v)", {":v": {"S": "x"}})
    assert holds(client, table, "contains(l, :v)", {":v": {"N": "1"}})
    assert holds(client, table, "contains(l, :v)", {":v": {"M": {"k": {"S": "v"}}}})
    assert not holds(client, table, "contains(l, :v)", {":v": {"S": "1"}})
    assert not holds(client, table, "contains(m, :v)", {":v": {"S": "x"}})


def test_function_first_operand_must_differ_from_the_others(lax, table):
    expect_error(lax.put_item, VE,
                 "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; "
                 "operator: contains, first operand: [str]",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="contains(str, str)")


@pytest.mark.parametrize("attribute,size", [("str", 11), ("bin", 4), ("ss", 3), ("ns", 4), ("bs", 2), ("l", 3), ("m", 2),
                                            ("a.b", 2), ("a.b[1]", 1), ("pk", 4)])
def test_size(client, table, attribute, size):
    assert holds(client, table, f"size({attribute}) = :v", {":v": {"N": str(size)}})
    assert holds(client, table, f"size({attribute}) > :v", {":v": {"N": str(size - 1)}})
    assert not holds(client, table, f"size({attribute}) < :v", {":v": {"N": str(size)}})
    assert holds(client, table, f"size({attribute}) BETWEEN :a AND :b", {":a": {"N": str(size)}, ":b": {"N": str(size + 1)}})


def test_size_of_unsupported_or_missing_attribute_is_false(client, table):
    assert not holds(client, table, "size(n) >= :v", {":v": {"N": "0"}})
    assert not holds(client, table, "size(t) >= :v", {":v": {"N": "0"}})
    assert not holds(client, table, "size(missing_attr) < :v", {":v": {"N": "100"}})
    assert holds(client, table, "size(missing_attr) <> :v", {":v": {"N": "100"}})


def test_size_compared_with_size(client, table):
    assert holds(client, table, "size(ns) > size(ss)")
    assert holds(client, table, "size(str) > size(l)")


# ------------------------------------------------------------ document paths

def test_nested_paths(client, table):
    assert holds(client, table, "a.b[1].c = :v", {":v": {"S": "deep"}})
    assert holds(client, table, "a.b[0] = :v", {":v": {"N": "0"}})
    assert not holds(client, table, "a.b[1].c = :v", {":v": {"S": "Deep"}})
    assert not holds(client, table, "a.b[5].c = :v", {":v": {"S": "deep"}})
    assert holds(client, table, "#a.#b[1].#c = :v", {":v": {"S": "deep"}}, {"#a": "a", "#b": "b", "#c": "c"})
    assert holds(client, table, "l[2].k = :v", {":v": {"S": "v"}})


def test_a_name_placeholder_is_one_path_element_even_with_dots(client, table):
    item = {"pk": {"S": "dots"}, "a.b": {"S": "flat"}, "a": {"M": {"b": {"S": "nested"}}}}
    client.put_item(TableName=table, Item=item)

    def put(condition, names, value):
        client.put_item(TableName=table, Item=item, ConditionExpression=condition,
                        ExpressionAttributeNames=names, ExpressionAttributeValues={":v": {"S": value}})

    put("#ab = :v", {"#ab": "a.b"}, "flat")
    put("#a.b = :v", {"#a": "a"}, "nested")
    put("#a.#b = :v", {"#a": "a", "#b": "b"}, "nested")
    expect_error(put, CCF, CCF_MESSAGE, condition="#ab = :v", names={"#ab": "a.b"}, value="nested")


def test_names_and_values_substitution_for_reserved_words(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "rw"}, "status": {"S": "open"}, "size": {"N": "3"}})
    client.put_item(TableName=table, Item={"pk": {"S": "rw"}, "status": {"S": "closed"}, "size": {"N": "3"}},
                    ConditionExpression="#s = :open AND #z = :three",
                    ExpressionAttributeNames={"#s": "status", "#z": "size"},
                    ExpressionAttributeValues={":open": {"S": "open"}, ":three": {"N": "3"}})
    assert get(client, table, "rw")["status"] == {"S": "closed"}


def test_condition_on_key_attribute(client, table):
    assert holds(client, table, "pk = :pk", {":pk": {"S": "item"}})
    assert not holds(client, table, "pk = :pk", {":pk": {"S": "other"}})


def test_constant_comparison(client, table):
    assert holds(client, table, ":a = :b", {":a": {"N": "1"}, ":b": {"N": "1.0"}})
    assert not holds(client, table, ":a < :b", {":a": {"N": "2"}, ":b": {"N": "1"}})


# ------------------------------------------- ConditionalCheckFailedException

def test_failed_put_writes_nothing_and_returns_old_item(client, table):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.put_item(TableName=table, Item={"pk": {"S": "item"}, "only": {"S": "new"}},
                        ConditionExpression="attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    error = caught.value.response
    assert error["Error"]["Code"] == CCF
    assert error["Error"]["Message"] == CCF_MESSAGE
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    returned = dict(error["Item"])
    assert sorted(returned.pop("ss")["SS"]) == ["x", "y", "z"]
    assert sorted(returned.pop("ns")["NS"]) == ["1", "2", "3", "4"]
    assert sorted(returned.pop("bs")["BS"]) == [b"\x01", b"\x02"]
    assert returned == {k: v for k, v in BASE_ITEM.items() if k not in ("ss", "ns", "bs")}
    item = get(client, table)
    assert "only" not in item and item["s"] == {"S": "b"}


def test_failed_update_writes_nothing_and_returns_old_item(client, table):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.update_item(TableName=table, Key={"pk": {"S": "item"}}, UpdateExpression="SET s = :v, added = :v",
                           ConditionExpression="n > :v", ExpressionAttributeValues={":v": {"N": "100"}},
                           ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD")
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (CCF, CCF_MESSAGE)
    assert error["Item"]["s"] == {"S": "b"} and "added" not in error["Item"]
    item = get(client, table)
    assert item["s"] == {"S": "b"} and "added" not in item


def test_failed_delete_keeps_the_item(client, table):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.delete_item(TableName=table, Key={"pk": {"S": "item"}}, ConditionExpression="s = :v",
                           ExpressionAttributeValues={":v": {"S": "zzz"}}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    error = caught.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (CCF, CCF_MESSAGE)
    assert error["Item"]["pk"] == {"S": "item"}
    assert get(client, table) is not None


def test_failed_condition_on_absent_item_returns_no_item(client, table):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.update_item(TableName=table, Key={"pk": {"S": "absent"}}, UpdateExpression="SET v = :v",
                           ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":v": {"N": "1"}},
                           ReturnValuesOnConditionCheckFailure="ALL_OLD")
    error = caught.value.response
    assert error["Error"]["Code"] == CCF
    assert "Item" not in error
    assert get(client, table, "absent") is None


def test_without_return_values_on_failure_no_item_is_returned(client, table):
    for mode in (None, "NONE"):
        kwargs = {"ReturnValuesOnConditionCheckFailure": mode} if mode else {}
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            client.put_item(TableName=table, Item=BASE_ITEM, ConditionExpression="attribute_not_exists(pk)", **kwargs)
        assert caught.value.response["Error"]["Code"] == CCF
        assert "Item" not in caught.value.response


def test_return_values_on_condition_check_failure_enum(lax, table):
    expect_error(lax.put_item, VE,
                 "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: "
                 "Member must satisfy enum value set: [ALL_OLD, NONE]",
                 TableName=table, Item=BASE_ITEM, ConditionExpression="attribute_exists(pk)",
                 ReturnValuesOnConditionCheckFailure="ALL_NEW")


def test_successful_conditional_operations(client, table):
    client.update_item(TableName=table, Key={"pk": {"S": "item"}}, UpdateExpression="SET n = n + :one",
                       ConditionExpression="n = :ten", ExpressionAttributeValues={":one": {"N": "1"}, ":ten": {"N": "10"}})
    assert get(client, table)["n"] == {"N": "11"}
    client.delete_item(TableName=table, Key={"pk": {"S": "item"}}, ConditionExpression="n = :v",
                       ExpressionAttributeValues={":v": {"N": "11"}})
    assert get(client, table) is None


# ---------------------------------------------------------------- errors

def put_error(lax, table, message, condition, values=None, names=None, contains=None):
    kwargs = {"TableName": table, "Item": BASE_ITEM, "ConditionExpression": condition}
    if values is not None:
        kwargs["ExpressionAttributeValues"] = values
    if names is not None:
        kwargs["ExpressionAttributeNames"] = names
    return expect_error(lax.put_item, VE, message, contains=contains, **kwargs)


@pytest.mark.parametrize("condition,message", [
    ("n =", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="'),
    ("n = = :v", 'Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"'),
    ("(n = :v", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":v"'),
    ("n == :v", 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'),
    ("n = :v AND", 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"'),
    ("n IN ()", 'Invalid ConditionExpression: Syntax error; token: ")", near: "()"'),
    ("attribute_exists(l[-1])", 'Invalid ConditionExpression: Syntax error; token: "-", near: "[-1"'),
])
def test_syntax_errors(lax, table, condition, message):
    put_error(lax, table, message, condition, {":v": {"N": "1"}} if ":v" in condition else None)


def test_empty_condition_expression(lax, table):
    put_error(lax, table, "Invalid ConditionExpression: The expression can not be empty;", "")


def test_undefined_value_placeholder(lax, table):
    message = "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x"
    put_error(lax, table, message, "n = :x")
    put_error(lax, table, message, "n = :x AND s = :v", {":v": {"S": "b"}})


def test_undefined_name_placeholder(lax, table):
    put_error(lax, table,
              "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n",
              "#n = :v", {":v": {"N": "1"}})


def test_unused_value(lax, table):
    put_error(lax, table, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
              "n = :v", {":v": {"N": "1"}, ":w": {"N": "2"}})


def test_unused_name(lax, table):
    put_error(lax, table, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#m}",
              "#n = :v", {":v": {"N": "1"}}, {"#n": "n", "#m": "m"})


def test_names_or_values_without_expression(lax, table):
    expect_error(lax.put_item, VE, "ExpressionAttributeNames can only be specified when using expressions",
                 TableName=table, Item=BASE_ITEM, ExpressionAttributeNames={"#n": "n"})
    expect_error(lax.put_item, VE, "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null",
                 TableName=table, Item=BASE_ITEM, ExpressionAttributeValues={":v": {"N": "1"}})


def test_empty_names_or_values_maps(lax, table):
    put_error(lax, table, "ExpressionAttributeValues must not be empty", "attribute_exists(n)", values={})
    put_error(lax, table, "ExpressionAttributeNames must not be empty", "attribute_exists(n)", names={})


def test_malformed_placeholder_keys(lax, table):
    put_error(lax, table, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"', "n = :v", {"v": {"N": "1"}})
    put_error(lax, table, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "n"', "n = :v",
              {":v": {"N": "1"}}, {"n": "x"})
    put_error(lax, table, "ExpressionAttributeNames contains invalid value: Empty attribute name for key #n", "#n = :v",
              {":v": {"N": "1"}}, {"#n": ""})


@pytest.mark.parametrize("word", ["status", "name", "data", "count", "year", "comment"])
def test_reserved_words(lax, table, word):
    put_error(lax, table, f"Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: {word}",
              f"{word} = :v", {":v": {"N": "1"}})


def test_reserved_word_inside_function(lax, table):
    put_error(lax, table, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
              "attribute_exists(name)")


@pytest.mark.parametrize("function", ["attribute_exists", "attribute_not_exists"])
def test_existence_function_on_value_placeholder(lax, table, function):
    put_error(lax, table,
              f"Invalid ConditionExpression: Operator or function requires a document path; operator or function: {function}",
              f"{function}(:v)", {":v": {"N": "1"}})


def test_unknown_function(lax, table):
    put_error(lax, table, "Invalid ConditionExpression: Invalid function name; function: foo", "foo(n)")


def test_size_used_as_condition(lax, table):
    put_error(lax, table,
              "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size",
              "size(n)")


def test_boolean_function_used_as_operand(lax, table):
    put_error(lax, table,
              "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists",
              "attribute_exists(n) = :v", {":v": {"BOOL": True}})


def test_wrong_number_of_function_operands(lax, table):
    put_error(lax, table,
              "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: contains, number of operands: 1",
              "contains(n)")


def test_size_of_a_number_operand(lax, table):
    put_error(lax, table,
              "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N",
              "size(size(n)) = :v", {":v": {"N": "1"}})


def test_invalid_condition_writes_nothing(lax, client, table):
    with pytest.raises(botocore.exceptions.ClientError):
        lax.put_item(TableName=table, Item={"pk": {"S": "item"}}, ConditionExpression="n = :x")
    assert get(client, table)["s"] == {"S": "b"}


def test_expression_and_expected_together(lax, table):
    expect_error(lax.delete_item, VE,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
                 TableName=table, Key={"pk": {"S": "item"}}, ConditionExpression="attribute_exists(n)",
                 Expected={"n": {"Exists": True, "Value": {"N": "10"}}})


def test_update_expression_and_expected_together(lax, table):
    expect_error(lax.update_item, VE,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {Expected} Expression parameters: {UpdateExpression}",
                 TableName=table, Key={"pk": {"S": "item"}}, UpdateExpression="SET v = :v",
                 ExpressionAttributeValues={":v": {"N": "1"}}, Expected={"n": {"Exists": False}})


# ------------------------------------------------------------ legacy Expected

def expected_holds(client, table, expected, operator=None):
    kwargs = {"ConditionalOperator": operator} if operator else {}
    try:
        client.put_item(TableName=table, Item=BASE_ITEM, Expected=expected, **kwargs)
        return True
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == CCF:
            assert error.response["Error"]["Message"] == CCF_MESSAGE
            return False
        raise


def test_expected_value_and_exists(client, table):
    assert expected_holds(client, table, {"s": {"Value": {"S": "b"}}})
    assert not expected_holds(client, table, {"s": {"Value": {"S": "c"}}})
    assert expected_holds(client, table, {"s": {"Value": {"S": "b"}, "Exists": True}})
    assert expected_holds(client, table, {"q": {"Exists": False}})
    assert not expected_holds(client, table, {"s": {"Exists": False}})
    assert not expected_holds(client, table, {"q": {"Value": {"S": "b"}}})
    assert expected_holds(client, table, {"s": {"Value": {"S": "b"}}, "n": {"Value": {"N": "10"}}})
    assert not expected_holds(client, table, {"s": {"Value": {"S": "b"}}, "n": {"Value": {"N": "11"}}})


def test_expected_on_absent_item(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "fresh"}}, Expected={"pk": {"Exists": False}})
    expect_error(client.put_item, CCF, CCF_MESSAGE, TableName=table, Item={"pk": {"S": "fresh"}},
                 Expected={"pk": {"Exists": False}})


@pytest.mark.parametrize("attribute,operator,values,result", [
    ("n", "EQ", [{"N": "10"}], True),
    ("n", "NE", [{"N": "10"}], False),
    ("n", "LT", [{"N": "11"}], True),
    ("n", "LE", [{"N": "10"}], True),
    ("n", "GT", [{"N": "10"}], False),
    ("n", "GE", [{"N": "10"}], True),
    ("n", "BETWEEN", [{"N": "1"}, {"N": "10"}], True),
    ("n", "IN", [{"N": "4"}, {"N": "10"}], True),
    ("n", "IN", [{"N": "4"}, {"N": "5"}], False),
    ("s", "BEGINS_WITH", [{"S": "b"}], True),
    ("bin", "BEGINS_WITH", [{"B": b"\x00"}], True),
    ("str", "CONTAINS", [{"S": "lo w"}], True),
    ("ss", "CONTAINS", [{"S": "y"}], True),
    ("ss", "NOT_CONTAINS", [{"S": "y"}], False),
    ("ss", "NOT_CONTAINS", [{"S": "w"}], True),
    ("s", "NULL", None, False),
    ("q", "NULL", None, True),
    ("s", "NOT_NULL", None, True),
    ("q", "NOT_NULL", None, False),
    ("q", "NE", [{"S": "x"}], True),
    ("q", "NOT_CONTAINS", [{"S": "x"}], False),
    ("n", "EQ", [{"S": "10"}], False),
])
def test_expected_comparison_operators(client, table, attribute, operator, values, result):
    condition = {"ComparisonOperator": operator}
    if values is not None:
        condition["AttributeValueList"] = values
    assert expected_holds(client, table, {attribute: condition}) == result


def test_expected_conditional_operator(client, table):
    expected = {"s": {"Value": {"S": "nope"}}, "n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "10"}]}}
    assert not expected_holds(client, table, expected)
    assert not expected_holds(client, table, expected, "AND")
    assert expected_holds(client, table, expected, "OR")
    expected["n"]["AttributeValueList"] = [{"N": "11"}]
    assert not expected_holds(client, table, expected, "OR")


@pytest.mark.parametrize("expected,message", [
    ({"n": {"Value": {"N": "10"}, "Exists": False}},
     "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: n"),
    ({"n": {"Exists": True}},
     "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: n"),
    ({"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "4"}, {"N": "5"}]}},
     "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "4"}]}},
     "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"n": {"Value": {"N": "1"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}},
     "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: n"),
    ({"l": {"ComparisonOperator": "LT", "AttributeValueList": [{"L": []}]}},
     "One or more parameter values were invalid: ComparisonOperator LT is not valid for L AttributeValue type"),
])
def test_expected_validation(lax, table, expected, message):
    expect_error(lax.put_item, VE, message, TableName=table, Item=BASE_ITEM, Expected=expected)


def test_conditional_operator_validation(lax, table):
    expect_error(lax.put_item, VE, "ConditionalOperator cannot be used without Filter or Expected",
                 TableName=table, Item=BASE_ITEM, ConditionalOperator="OR")
    expect_error(lax.put_item, VE, "ConditionalOperator can only be used when Filter or Expected has two or more elements",
                 TableName=table, Item=BASE_ITEM, Expected={"n": {"Value": {"N": "10"}}}, ConditionalOperator="OR")


def test_expected_on_update_and_delete(client, table):
    expect_error(client.update_item, CCF, CCF_MESSAGE, TableName=table, Key={"pk": {"S": "item"}},
                 AttributeUpdates={"s": {"Action": "PUT", "Value": {"S": "changed"}}}, Expected={"s": {"Value": {"S": "x"}}})
    assert get(client, table)["s"] == {"S": "b"}
    client.update_item(TableName=table, Key={"pk": {"S": "item"}},
                       AttributeUpdates={"s": {"Action": "PUT", "Value": {"S": "changed"}}}, Expected={"s": {"Value": {"S": "b"}}})
    assert get(client, table)["s"] == {"S": "changed"}
    expect_error(client.delete_item, CCF, CCF_MESSAGE, TableName=table, Key={"pk": {"S": "item"}},
                 Expected={"s": {"Exists": False}})
    client.delete_item(TableName=table, Key={"pk": {"S": "item"}}, Expected={"s": {"Value": {"S": "changed"}}})
    assert get(client, table) is None
