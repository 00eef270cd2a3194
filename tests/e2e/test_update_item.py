"""UpdateItem: UpdateExpression clauses (SET, REMOVE, ADD, DELETE), every
ReturnValues mode, item creation, the legacy AttributeUpdates parameter and
the exact validation errors.

Checked against DynamoDB Local; see ORACLE_NOTES.md for known differences."""

import pytest

from conftest import create_table
from helpers import expect_error

VE = "ValidationException"
KEY = {"pk": {"S": "item"}}

ITEM = {
    "pk": {"S": "item"},
    "n": {"N": "5"},
    "s": {"S": "hello"},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"S": "z"}]},
    "m": {"M": {"b": {"L": [{"N": "0"}, {"M": {"c": {"S": "deep"}}}]}, "k": {"S": "v"}}},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
}


@pytest.fixture
def table(client, table_name):
    create_table(client, table_name)
    client.put_item(TableName=table_name, Item=ITEM)
    return table_name


def get(client, table, key=KEY):
    return client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def update(client, table, expression, values=None, names=None, key=KEY, **extra):
    kwargs = {"TableName": table, "Key": key, "UpdateExpression": expression, **extra}
    if values is not None:
        kwargs["ExpressionAttributeValues"] = values
    if names is not None:
        kwargs["ExpressionAttributeNames"] = names
    return client.update_item(**kwargs)


def update_error(lax, table, message, expression, values=None, names=None, key=KEY, contains=None):
    kwargs = {"TableName": table, "Key": key, "UpdateExpression": expression}
    if values is not None:
        kwargs["ExpressionAttributeValues"] = values
    if names is not None:
        kwargs["ExpressionAttributeNames"] = names
    return expect_error(lax.update_item, VE, message, contains=contains, **kwargs)


def sets_sorted(value):
    (kind, content), = value.items()
    return {kind: sorted(content)} if kind in ("SS", "NS", "BS") else value


# ---------------------------------------------------------------------- SET

def test_set_plain_attributes(client, table):
    update(client, table, "SET s = :s, newattr = :n, #t = :t",
           {":s": {"S": "bye"}, ":n": {"N": "1"}, ":t": {"BOOL": False}}, {"#t": "type"})
    item = get(client, table)
    assert item["s"] == {"S": "bye"} and item["newattr"] == {"N": "1"} and item["type"] == {"BOOL": False}
    assert item["n"] == {"N": "5"}


def test_set_replaces_type(client, table):
    update(client, table, "SET n = :v", {":v": {"L": [{"NULL": True}]}})
    assert get(client, table)["n"] == {"L": [{"NULL": True}]}


def test_set_nested_map_path(client, table):
    update(client, table, "SET m.b[1].c = :v, m.k = :k, m.newkey = :n",
           {":v": {"S": "changed"}, ":k": {"N": "9"}, ":n": {"M": {}}})
    m = get(client, table)["m"]["M"]
    assert m["b"]["L"][1] == {"M": {"c": {"S": "changed"}}}
    assert m["k"] == {"N": "9"} and m["newkey"] == {"M": {}}


def test_set_list_element(client, table):
    update(client, table, "SET l[1] = :v", {":v": {"S": "one"}})
    assert get(client, table)["l"] == {"L": [{"S": "x"}, {"S": "one"}, {"S": "z"}]}


def test_set_list_element_past_the_end_appends(client, table):
    update(client, table, "SET l[10] = :v", {":v": {"S": "end"}})
    assert get(client, table)["l"] == {"L": [{"S": "x"}, {"N": "1"}, {"S": "z"}, {"S": "end"}]}


def test_list_append(client, table):
    update(client, table, "SET l = list_append(l, :tail)", {":tail": {"L": [{"N": "2"}, {"N": "3"}]}})
    assert get(client, table)["l"]["L"] == [{"S": "x"}, {"N": "1"}, {"S": "z"}, {"N": "2"}, {"N": "3"}]
    update(client, table, "SET l = list_append(:head, l)", {":head": {"L": [{"S": "first"}]}})
    assert get(client, table)["l"]["L"] == [{"S": "first"}, {"S": "x"}, {"N": "1"}, {"S": "z"}, {"N": "2"}, {"N": "3"}]


def test_list_append_with_if_not_exists_creates_the_list(client, table):
    for _ in range(2):
        update(client, table, "SET fresh = list_append(if_not_exists(fresh, :empty), :v)",
               {":empty": {"L": []}, ":v": {"L": [{"S": "a"}]}})
    assert get(client, table)["fresh"] == {"L": [{"S": "a"}, {"S": "a"}]}


def test_list_append_of_two_values_and_into_another_attribute(client, table):
    update(client, table, "SET dup = list_append(:a, :b), m.b = list_append(m.b, l)",
           {":a": {"L": [{"N": "1"}]}, ":b": {"L": [{"N": "2"}]}})
    item = get(client, table)
    assert item["dup"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert len(item["m"]["M"]["b"]["L"]) == 5


def test_list_append_on_missing_attribute_is_an_error(lax, table):
    update_error(lax, table, "The provided expression refers to an attribute that does not exist in the item",
                 "SET q = list_append(nothing_here, :v)", {":v": {"L": []}})


def test_list_append_on_non_list_is_an_error(lax, table):
    update_error(lax, table, "An operand in the update expression has an incorrect data type",
                 "SET q = list_append(n, :v)", {":v": {"L": []}})


def test_if_not_exists(client, table):
    update(client, table, "SET n = if_not_exists(n, :v), created = if_not_exists(created, :v)", {":v": {"N": "100"}})
    item = get(client, table)
    assert item["n"] == {"N": "5"} and item["created"] == {"N": "100"}
    update(client, table, "SET fallback_v = if_not_exists(m.k, :v)", {":v": {"S": "fallback"}})
    assert get(client, table)["fallback_v"] == {"S": "v"}


def test_if_not_exists_requires_a_path(lax, table):
    update_error(lax, table,
                 "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists",
                 "SET q = if_not_exists(:v, :v)", {":v": {"N": "1"}})


def test_arithmetic(client, table):
    update(client, table, "SET n = n + :one, diff = :ten - n, d = :half + :quarter, neg = n - :big",
           {":one": {"N": "1"}, ":ten": {"N": "10"}, ":half": {"N": "0.5"}, ":quarter": {"N": "0.25"}, ":big": {"N": "100.25"}})
    item = get(client, table)
    # every right-hand side sees the item as it was before the update
    assert item["n"] == {"N": "6"}
    assert item["diff"] == {"N": "5"}
    assert item["d"] == {"N": "0.75"}
    assert item["neg"] == {"N": "-95.25"}


def test_counter_with_if_not_exists(client, table):
    for _ in range(3):
        update(client, table, "SET hits = if_not_exists(hits, :zero) + :one", {":zero": {"N": "0"}, ":one": {"N": "1"}})
    assert get(client, table)["hits"] == {"N": "3"}


def test_arithmetic_on_missing_attribute_is_an_error(lax, client, table):
    update_error(lax, table, "The provided expression refers to an attribute that does not exist in the item",
                 "SET q = nothing_here + :v", {":v": {"N": "1"}})
    assert "q" not in get(client, table)


def test_arithmetic_on_string_attribute_is_an_error(lax, table):
    update_error(lax, table, "An operand in the update expression has an incorrect data type",
                 "SET q = s + :v", {":v": {"N": "1"}})


def test_arithmetic_on_string_value_is_an_error(lax, table):
    update_error(lax, table,
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S",
                 "SET a = :s + :n", {":s": {"S": "a"}, ":n": {"N": "1"}})


def test_set_path_through_missing_parent_is_invalid(lax, table):
    for expression in ["SET nothing_here.x = :v", "SET n[0] = :v", "SET l.x = :v", "SET s.x = :v", "SET m.nothing_here.x = :v"]:
        update_error(lax, table, "The document path provided in the update expression is invalid for update",
                     expression, {":v": {"N": "1"}})


def test_functions_not_allowed_in_update(lax, table):
    update_error(lax, table, "Invalid UpdateExpression: The function is not allowed in an update expression; function: size",
                 "SET q = size(s)")
    update_error(lax, table,
                 "Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_exists",
                 "SET q = attribute_exists(s)")


# ------------------------------------------------------------------- REMOVE

def test_remove_attributes(client, table):
    update(client, table, "REMOVE s, n, nothing_here")
    item = get(client, table)
    assert "s" not in item and "n" not in item and "l" in item


def test_remove_nested(client, table):
    update(client, table, "REMOVE m.k, m.b[1].c")
    assert get(client, table)["m"] == {"M": {"b": {"L": [{"N": "0"}, {"M": {}}]}}}


def test_remove_list_elements_reindexes(client, table):
    update(client, table, "REMOVE l[0], l[2]")
    assert get(client, table)["l"] == {"L": [{"N": "1"}]}


def test_remove_list_element_then_set_uses_original_indexes(client, table):
    update(client, table, "REMOVE l[0] SET l[2] = :v", {":v": {"S": "Z"}})
    assert get(client, table)["l"] == {"L": [{"N": "1"}, {"S": "Z"}]}


def test_remove_past_the_end_of_list_is_a_no_op(client, table):
    update(client, table, "REMOVE l[7]")
    assert get(client, table)["l"] == ITEM["l"]


def test_remove_through_missing_parent_is_invalid(lax, table):
    for expression in ["REMOVE nothing_here.x", "REMOVE n[0]", "REMOVE nothing_here[0]"]:
        update_error(lax, table, "The document path provided in the update expression is invalid for update", expression)


# ---------------------------------------------------------------------- ADD

def test_add_to_number(client, table):
    update(client, table, "ADD n :v", {":v": {"N": "-7.5"}})
    assert get(client, table)["n"] == {"N": "-2.5"}


def test_add_creates_number(client, table):
    update(client, table, "ADD cnt :v, m.cnt :v", {":v": {"N": "3"}})
    item = get(client, table)
    assert item["cnt"] == {"N": "3"} and item["m"]["M"]["cnt"] == {"N": "3"}


def test_add_to_sets(client, table):
    update(client, table, "ADD ss :s, ns :n, bs :b, newset :s",
           {":s": {"SS": ["y", "w"]}, ":n": {"NS": ["2", "3.0"]}, ":b": {"BS": [b"\x03"]}})
    item = get(client, table)
    assert sets_sorted(item["ss"]) == {"SS": ["w", "x", "y"]}
    assert sets_sorted(item["ns"]) == {"NS": ["1", "2", "3"]}
    assert sets_sorted(item["bs"]) == {"BS": [b"\x01", b"\x02", b"\x03"]}
    assert sets_sorted(item["newset"]) == {"SS": ["w", "y"]}


@pytest.mark.parametrize("attribute,value", [
    ("s", {"SS": ["q"]}), ("ss", {"NS": ["1"]}), ("ss", {"N": "1"}), ("n", {"SS": ["q"]}), ("l", {"N": "1"}),
])
def test_add_with_mismatched_type_is_an_error(lax, client, table, attribute, value):
    update_error(lax, table, "An operand in the update expression has an incorrect data type", f"ADD {attribute} :v", {":v": value})
    assert get(client, table)[attribute] == ITEM[attribute]


@pytest.mark.parametrize("value,kind", [({"S": "q"}, "STRING"), ({"L": [{"S": "q"}]}, "LIST"), ({"M": {}}, "MAP"),
                                        ({"BOOL": True}, "BOOLEAN")])
def test_add_with_unsupported_operand_type(lax, table, value, kind):
    update_error(lax, table,
                 f"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: {kind}, typeSet: ALLOWED_FOR_ADD_OPERAND",
                 "ADD q :v", {":v": value})


# ------------------------------------------------------------------- DELETE

def test_delete_set_elements(client, table):
    update(client, table, "DELETE ss :s, ns :n", {":s": {"SS": ["x", "absent"]}, ":n": {"NS": ["2.0"]}})
    item = get(client, table)
    assert item["ss"] == {"SS": ["y"]} and item["ns"] == {"NS": ["1"]}


def test_delete_last_elements_removes_the_attribute(client, table):
    update(client, table, "DELETE ss :s, bs :b", {":s": {"SS": ["x", "y"]}, ":b": {"BS": [b"\x01", b"\x02", b"\x03"]}})
    item = get(client, table)
    assert "ss" not in item and "bs" not in item


def test_delete_from_missing_attribute_is_a_no_op(client, table):
    update(client, table, "DELETE nothing_here :s", {":s": {"SS": ["x"]}})
    assert "nothing_here" not in get(client, table)


@pytest.mark.parametrize("attribute,value", [("n", {"NS": ["5"]}), ("ss", {"NS": ["1"]}), ("s", {"SS": ["hello"]})])
def test_delete_with_mismatched_type_is_an_error(lax, table, attribute, value):
    update_error(lax, table, "An operand in the update expression has an incorrect data type", f"DELETE {attribute} :v", {":v": value})


def test_delete_with_scalar_operand_is_an_error(lax, table):
    update_error(lax, table,
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: STRING, typeSet: ALLOWED_FOR_DELETE_OPERAND",
                 "DELETE ss :v", {":v": {"S": "x"}})


# --------------------------------------------------------- several clauses

def test_all_clauses_in_one_expression(client, table):
    update(client, table, "SET s = :s, m.k = :s REMOVE n, l[0] ADD cnt :one, ss :add DELETE ns :del",
           {":s": {"S": "new"}, ":one": {"N": "1"}, ":add": {"SS": ["z"]}, ":del": {"NS": ["1"]}})
    item = get(client, table)
    assert item["s"] == {"S": "new"} and item["m"]["M"]["k"] == {"S": "new"}
    assert "n" not in item
    assert item["l"] == {"L": [{"N": "1"}, {"S": "z"}]}
    assert item["cnt"] == {"N": "1"}
    assert sets_sorted(item["ss"]) == {"SS": ["x", "y", "z"]}
    assert item["ns"] == {"NS": ["2"]}


def test_clauses_in_any_order_and_case(client, table):
    update(client, table, "remove s add cnt :one set t = :one", {":one": {"N": "1"}})
    item = get(client, table)
    assert "s" not in item and item["cnt"] == {"N": "1"} and item["t"] == {"N": "1"}


def test_clause_used_twice_is_an_error(lax, table):
    update_error(lax, table, 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
                 "SET n = :v SET s = :v", {":v": {"N": "1"}})


# -------------------------------------------------------------- ReturnValues

UPDATE = "SET n = n + :one, m.b[1].c = :s REMOVE s ADD newn :one"
UPDATE_VALUES = {":one": {"N": "1"}, ":s": {"S": "new"}}


def test_return_values_none(client, table):
    response = update(client, table, UPDATE, UPDATE_VALUES, ReturnValues="NONE")
    assert "Attributes" not in response
    response = update(client, table, "SET n = :one", {":one": {"N": "1"}})
    assert "Attributes" not in response


def test_return_values_all_old(client, table):
    response = update(client, table, UPDATE, UPDATE_VALUES, ReturnValues="ALL_OLD")
    attributes = {k: sets_sorted(v) for k, v in response["Attributes"].items()}
    assert attributes == {k: sets_sorted(v) for k, v in ITEM.items()}


def test_return_values_all_new(client, table):
    response = update(client, table, UPDATE, UPDATE_VALUES, ReturnValues="ALL_NEW")
    assert response["Attributes"] == get(client, table)
    assert response["Attributes"]["n"] == {"N": "6"} and "s" not in response["Attributes"]
    assert response["Attributes"]["newn"] == {"N": "1"}


def test_return_values_updated_old(client, table):
    # Real DynamoDB returns only the updated nested path (m.b[1].c), inside
    # its hierarchy, not the whole top-level attribute (DynamoDB Local returns
    # all of m). newn did not exist before, so it is absent.
    response = update(client, table, UPDATE, UPDATE_VALUES, ReturnValues="UPDATED_OLD")
    assert response["Attributes"] == {
        "n": {"N": "5"},
        "s": {"S": "hello"},
        "m": {"M": {"b": {"L": [{"M": {"c": {"S": "deep"}}}]}}},
    }


def test_return_values_updated_new(client, table):
    response = update(client, table, UPDATE, UPDATE_VALUES, ReturnValues="UPDATED_NEW")
    # s was removed, so it is not returned; only the nested path of m is
    assert response["Attributes"] == {
        "n": {"N": "6"},
        "newn": {"N": "1"},
        "m": {"M": {"b": {"L": [{"M": {"c": {"S": "new"}}}]}}},
    }


def test_updated_values_of_top_level_attributes(client, table):
    response = update(client, table, "SET s = :v, l = :l", {":v": {"S": "w"}, ":l": {"L": []}}, ReturnValues="UPDATED_OLD")
    assert response["Attributes"] == {"s": {"S": "hello"}, "l": ITEM["l"]}
    response = update(client, table, "SET s = :v, l = :l", {":v": {"S": "v"}, ":l": {"L": []}}, ReturnValues="UPDATED_NEW")
    assert response["Attributes"] == {"s": {"S": "v"}, "l": {"L": []}}


def test_updated_new_returns_only_the_updated_nested_path(client, table):
    # Real DynamoDB projects the nested path; DynamoDB Local returns all of m.
    response = update(client, table, "SET m.k = :v", {":v": {"S": "w"}}, ReturnValues="UPDATED_NEW")
    assert response["Attributes"] == {"m": {"M": {"k": {"S": "w"}}}}
    response = update(client, table, "SET m.k = :v", {":v": {"S": "x"}}, ReturnValues="UPDATED_OLD")
    assert response["Attributes"] == {"m": {"M": {"k": {"S": "w"}}}}


def test_updated_new_of_list_element_set_past_the_end_is_empty(client, table):
    # the element lands at l[3], so the path l[10] has no new value to return
    response = update(client, table, "SET l[10] = :v", {":v": {"S": "end"}}, ReturnValues="UPDATED_NEW")
    assert "Attributes" not in response
    assert get(client, table)["l"]["L"][-1] == {"S": "end"}


def test_updated_values_of_a_no_op_remove_are_empty(client, table):
    assert "Attributes" not in update(client, table, "REMOVE nothing_here", ReturnValues="UPDATED_NEW")
    assert "Attributes" not in update(client, table, "REMOVE nothing_here", ReturnValues="UPDATED_OLD")


def test_invalid_return_values(lax, table):
    # Message differs between DynamoDB Local ("Return values set to invalid value")
    # and the service's enum-constraint text; only the error type is pinned.
    expect_error(lax.update_item, VE, TableName=table, Key=KEY, UpdateExpression="SET n = :v",
                 ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL")


# ------------------------------------------------------------- item creation

def test_update_creates_missing_item(client, table):
    key = {"pk": {"S": "new"}}
    response = update(client, table, "SET v = :v ADD c :one", {":v": {"S": "x"}, ":one": {"N": "1"}}, key=key, ReturnValues="ALL_NEW")
    assert response["Attributes"] == {"pk": {"S": "new"}, "v": {"S": "x"}, "c": {"N": "1"}}
    assert get(client, table, key) == response["Attributes"]


def test_update_creating_item_returns_no_old_values(client, table):
    for i, mode in enumerate(["ALL_OLD", "UPDATED_OLD"]):
        response = update(client, table, "SET v = :v", {":v": {"S": "x"}}, key={"pk": {"S": f"new{i}"}}, ReturnValues=mode)
        assert "Attributes" not in response


def test_update_without_expression_creates_key_only_item(client, table):
    response = client.update_item(TableName=table, Key={"pk": {"S": "bare"}}, ReturnValues="ALL_NEW")
    assert response["Attributes"] == {"pk": {"S": "bare"}}
    assert get(client, table, {"pk": {"S": "bare"}}) == {"pk": {"S": "bare"}}


def test_remove_on_missing_item_creates_it(client, table):
    update(client, table, "REMOVE a", key={"pk": {"S": "removed"}})
    assert get(client, table, {"pk": {"S": "removed"}}) == {"pk": {"S": "removed"}}


def test_update_with_sort_key(client, table_name):
    create_table(client, table_name, range_key=("sk", "N"))
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    update(client, table_name, "SET v = :v", {":v": {"S": "x"}}, key=key)
    assert get(client, table_name, key) == {"pk": {"S": "p"}, "sk": {"N": "1"}, "v": {"S": "x"}}
    expect_error(client.update_item, VE,
                 "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
                 TableName=table_name, Key=key, UpdateExpression="SET sk = :v", ExpressionAttributeValues={":v": {"N": "2"}})


# ------------------------------------------------------------------- errors

@pytest.mark.parametrize("expression,values", [
    ("SET pk = :v", {":v": {"S": "other"}}),
    ("REMOVE pk", None),
    ("SET pk = pk", None),
])
def test_updating_a_key_attribute_is_an_error(lax, client, table, expression, values):
    update_error(lax, table, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
                 expression, values)
    assert get(client, table)["pk"] == {"S": "item"}


@pytest.mark.parametrize("expression,one,two", [
    ("SET m = :v REMOVE m.b", "[m]", "[m, b]"),
    ("SET n = :v, n = :w", "[n]", "[n]"),
    ("SET n = :v REMOVE n", "[n]", "[n]"),
    ("SET l[1] = :v, l[1].x = :w", "[l, [1]]", "[l, [1], x]"),
    ("SET m.k = :v ADD m.k :w", "[m, k]", "[m, k]"),
])
def test_overlapping_paths(lax, table, expression, one, two):
    values = {":v": {"N": "1"}, ":w": {"N": "2"}}
    values = {k: v for k, v in values.items() if k in expression}
    update_error(lax, table,
                 "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; "
                 f"path one: {one}, path two: {two}",
                 expression, values)


@pytest.mark.parametrize("expression,one,two", [
    ("SET m.b = :v, m[0] = :v", "[m, b]", "[m, [0]]"),
    ("SET l[0] = :v, l.x = :v", "[l, [0]]", "[l, x]"),
])
def test_conflicting_paths(lax, table, expression, one, two):
    update_error(lax, table,
                 "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; "
                 f"path one: {one}, path two: {two}",
                 expression, {":v": {"N": "1"}})


def test_unused_value_and_name(lax, table):
    update_error(lax, table, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}",
                 "SET n = :v", {":v": {"N": "1"}, ":w": {"N": "1"}})
    update_error(lax, table, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}",
                 "SET n = :v", {":v": {"N": "1"}}, {"#x": "x"})


def test_names_and_values_shared_between_update_and_condition(client, table):
    update(client, table, "SET #n = #n + :one", {":one": {"N": "1"}, ":five": {"N": "5"}}, {"#n": "n"},
           ConditionExpression="#n = :five")
    assert get(client, table)["n"] == {"N": "6"}


def test_undefined_placeholders(lax, table):
    update_error(lax, table,
                 "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :x",
                 "SET n = :x")
    update_error(lax, table,
                 "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #x",
                 "SET #x = :v", {":v": {"N": "1"}})


def test_reserved_word(lax, table):
    update_error(lax, table, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status",
                 "SET status = :v", {":v": {"N": "1"}})


@pytest.mark.parametrize("expression,message", [
    ("SET n :v", 'Invalid UpdateExpression: Syntax error; token: ":v", near: "n :v"'),
    ("REMOVE :v", 'Invalid UpdateExpression: Syntax error; token: ":v", near: "REMOVE :v"'),
    ("", "Invalid UpdateExpression: The expression can not be empty;"),
])
def test_syntax_errors(lax, table, expression, message):
    update_error(lax, table, message, expression, {":v": {"N": "1"}} if ":v" in expression else None)


def test_empty_set_value_is_an_error(lax, table):
    update_error(lax, table, contains="ExpressionAttributeValues contains invalid value: One or more parameter values were invalid:",
                 message=None, expression="SET q = :v", values={":v": {"SS": []}})


def test_failed_update_changes_nothing(lax, client, table):
    update_error(lax, table, "An operand in the update expression has an incorrect data type",
                 "SET a1 = :v, a2 = s + :v", {":v": {"N": "1"}})
    assert "a1" not in get(client, table)


# ------------------------------------------------------- AttributeUpdates

def test_attribute_updates_put_add_delete(client, table):
    response = client.update_item(TableName=table, Key=KEY, ReturnValues="ALL_NEW", AttributeUpdates={
        "s": {"Action": "PUT", "Value": {"S": "put"}},
        "n": {"Action": "ADD", "Value": {"N": "2"}},
        "created": {"Action": "ADD", "Value": {"N": "7"}},
        "ss": {"Action": "ADD", "Value": {"SS": ["w"]}},
        "ns": {"Action": "DELETE", "Value": {"NS": ["1"]}},
        "l": {"Action": "DELETE"},
    })
    item = response["Attributes"]
    assert item["s"] == {"S": "put"} and item["n"] == {"N": "7"} and item["created"] == {"N": "7"}
    assert sets_sorted(item["ss"]) == {"SS": ["w", "x", "y"]}
    assert item["ns"] == {"NS": ["2"]}
    assert "l" not in item
    assert item == get(client, table)


def test_attribute_updates_default_action_is_put(client, table):
    client.update_item(TableName=table, Key=KEY, AttributeUpdates={"s": {"Value": {"S": "default"}}})
    assert get(client, table)["s"] == {"S": "default"}


def test_attribute_updates_add_to_list_appends(client, table):
    response = client.update_item(TableName=table, Key=KEY, ReturnValues="UPDATED_NEW",
                                  AttributeUpdates={"l": {"Action": "ADD", "Value": {"L": [{"S": "q"}]}}})
    assert response["Attributes"] == {"l": {"L": [{"S": "x"}, {"N": "1"}, {"S": "z"}, {"S": "q"}]}}


def test_attribute_updates_errors(lax, table):
    expect_error(lax.update_item, VE, "Type mismatch for attribute to update",
                 TableName=table, Key=KEY, AttributeUpdates={"s": {"Action": "ADD", "Value": {"SS": ["z"]}}})
    expect_error(lax.update_item, VE,
                 "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified",
                 TableName=table, Key=KEY, AttributeUpdates={"s": {"Action": "PUT"}})
    expect_error(lax.update_item, VE,
                 "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
                 TableName=table, Key=KEY, AttributeUpdates={"pk": {"Action": "PUT", "Value": {"S": "z"}}})


def test_attribute_updates_with_update_expression(lax, table):
    expect_error(lax.update_item, VE,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
                 TableName=table, Key=KEY, UpdateExpression="SET n = :v", ExpressionAttributeValues={":v": {"N": "1"}},
                 AttributeUpdates={"x": {"Action": "PUT", "Value": {"N": "1"}}})


# --------------------------------------------------------------- item size

def test_update_exceeding_item_size_limit(lax, client, table):
    update(client, table, "SET big = :v", {":v": {"S": "x" * (300 * 1024)}})
    update_error(lax, table, "Item size to update has exceeded the maximum allowed size",
                 "SET big2 = :v", {":v": {"S": "x" * (150 * 1024)}})
    assert "big2" not in get(client, table)
    update_error(lax, table, "Item size to update has exceeded the maximum allowed size",
                 "SET big3 = :v", {":v": {"S": "x" * (400 * 1024)}})
