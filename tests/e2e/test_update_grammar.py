"""Table-driven checks of the UpdateExpression grammar and of applying
it: each expression with what DynamoDB answers, the attributes it changed
(None for removed ones) or the ValidationException message. The expected
answers are DynamoDB Local's, except the rows marked as contradicted by
the documentation (see grammar.py and ORACLE_NOTES.md)."""

import uuid

import pytest

from conftest import create_table
from grammar import ITEM, cases, placeholders
from helpers import expect_error

KEY = {"pk": {"S": "a"}}


@pytest.fixture(scope="module")
def update_table(server):
    client = server.client()
    name = f"gu-{uuid.uuid4().hex[:10]}"
    create_table(client, name)
    yield name
    client.delete_table(TableName=name)


def changes(new):
    """The attributes an update changed: new values, None for removed ones."""
    changed = {name: value for name, value in new.items() if ITEM.get(name) != value}
    changed.update({name: None for name in ITEM if name not in new})
    return changed


UPDATES = [
    ('SET n = :n', {}),
    ('SET n = :n, s = :s', {}),
    ('SET n = :n,', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'),
    ('SET n :n', 'Invalid UpdateExpression: Syntax error; token: ":n", near: "n :n"'),
    ('SET n = n + :one', {'n': {'N': '11'}}),
    ('SET n = :one + n', {'n': {'N': '11'}}),
    ('SET n = n + :s', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S'),
    ('SET n = :s + :one', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S'),
    ('SET n = s + :one', 'An operand in the update expression has an incorrect data type'),
    ('SET n = missing + :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET n = if_not_exists(missing, :one) + :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET l = list_append(l, :l)', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '9'}]}}),
    ('SET l = list_append(:l, l)', {'l': {'L': [{'N': '9'}, {'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}]}}),
    ('SET l = list_append(l, :n)', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N'),
    ('SET l = list_append(l)', 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1'),
    ('SET l = list_append(l, :l, :l)', 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 3'),
    ('SET l = list_append(missing, :l)', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET l = list_append(if_not_exists(missing, :l), :l)', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET n = if_not_exists(n)', 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1'),
    ('SET n = if_not_exists(n, :one, :one)', 'Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 3'),
    ('SET n = if_not_exists(n, n)', 'Invalid UpdateExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: if_not_exists, first operand: [n]'),
    ('SET n = if_not_exists(m.x, :one)', {'n': {'N': '1'}}),
    ('SET n = foo(:one)', 'Invalid UpdateExpression: Invalid function name; function: foo'),
    ('SET n = attribute_exists(n)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_exists'),
    ('SET n = contains(s, :h)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: contains'),
    ('SET n = size(s)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: size'),
    ('SET n = IF_NOT_EXISTS(n, :one)', 'Invalid UpdateExpression: Invalid function name; function: IF_NOT_EXISTS'),
    ('SET n = n + n', {'n': {'N': '20'}}),
    ('SET n = :one - :one', {'n': {'N': '0'}}),
    ('SET n = n - n', {'n': {'N': '0'}}),
    ('SET l = list_append(s, :l)', 'An operand in the update expression has an incorrect data type'),
    ('SET l = list_append(:l, :l)', {'l': {'L': [{'N': '9'}, {'N': '9'}]}}),
    ('SET l = LIST_APPEND(l, :l)', 'Invalid UpdateExpression: Invalid function name; function: LIST_APPEND'),
    ('SET n = if_not_exists(n, list_append(l, :l))', 'Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append'),
    ('SET l = list_append(list_append(l, :l), :l)', 'Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append'),
    ('SET n = list_append(l, :l) + :one', 'Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append'),
    ('SET n = if_not_exists(n, :one) + if_not_exists(n, :one)', {'n': {'N': '20'}}),
    ('SET n = :one + :one + :one', 'Invalid UpdateExpression: Syntax error; token: "+", near: ":one + :one"'),
    ('SET n = :n + :s', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S'),
    ('SET n = :l + :one', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: L'),
    ('SET n = n + l', 'An operand in the update expression has an incorrect data type'),
    ('SET n = if_not_exists(s, :one) + :one', 'An operand in the update expression has an incorrect data type'),
    ('SET n = list_append((l), (:l))', {'n': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '9'}]}}),
    ('SET n = begins_with(s, :h)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: begins_with'),
    ('SET n = attribute_type(n, :ty)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_type'),
    ('SET n = attribute_not_exists(n)', 'Invalid UpdateExpression: The function is not allowed in an update expression; function: attribute_not_exists'),
    ('SET l[10] = :one', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '1'}]}}),
    ('SET l[3] = :one', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '1'}]}}),
    ('SET l[0] = :one', {}),
    ('SET missing[0] = :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET n[0] = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET m[0] = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET l.x = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET m.x.y = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET m.new.y = :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: new'),
    ('SET m.new = :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: new'),
    ('REMOVE l[10]', {}),
    ('REMOVE l[0], l[1]', {'l': {'L': [{'L': [{'N': '3'}]}]}}),
    ('REMOVE l[0], l[0]', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, [0]]'),
    ('REMOVE missing[0]', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('REMOVE n[0]', 'The document path provided in the update expression is invalid for update'),
    ('REMOVE m.missing', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('REMOVE m.missing.x', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('REMOVE missing', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('REMOVE missing.x', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET l[1] = :one REMOVE l[0]', {'l': {'L': [{'N': '1'}, {'L': [{'N': '3'}]}]}}),
    ('SET l[0] = :one, l[1] = :s', {'l': {'L': [{'N': '1'}, {'S': 'hello'}, {'L': [{'N': '3'}]}]}}),
    ('SET l[10] = :one, l[11] = :s', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '1'}, {'S': 'hello'}]}}),
    ('SET l[2][0] = :s', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'S': 'hello'}]}]}}),
    ('SET l[2][5] = :s', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}, {'S': 'hello'}]}]}}),
    ('SET l[5][0] = :s', 'The document path provided in the update expression is invalid for update'),
    ('REMOVE l[2][0]', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': []}]}}),
    ('REMOVE l[2][9]', {}),
    ('REMOVE l[9][0]', 'The document path provided in the update expression is invalid for update'),
    ('SET m.y.z = :one', {'m': {'M': {'x': {'N': '1'}, 'y': {'M': {'z': {'N': '1'}}}}}}),
    ('SET m.y.new.q = :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: new'),
    ('REMOVE m.y.z', {'m': {'M': {'x': {'N': '1'}, 'y': {'M': {}}}}}),
    ('REMOVE s.x', 'The document path provided in the update expression is invalid for update'),
    ('REMOVE s[0]', 'The document path provided in the update expression is invalid for update'),
    ('SET s.x = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET s[0] = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET l[1] = :one, l[0] = :s', {'l': {'L': [{'S': 'hello'}, {'N': '1'}, {'L': [{'N': '3'}]}]}}),
    ('REMOVE l[1], l[0]', {'l': {'L': [{'L': [{'N': '3'}]}]}}),
    ('REMOVE l[0], l[2]', {'l': {'L': [{'S': 'two'}]}}),
    ('SET l[2147483647] = :one', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '1'}]}}),
    ('SET l[2147483648] = :one', 'Invalid UpdateExpression: List index is not within the allowable range; index: [2147483648]'),
    ('REMOVE l[2147483647]', {}),
    ('ADD l[0] :one', {'l': {'L': [{'N': '2'}, {'S': 'two'}, {'L': [{'N': '3'}]}]}}),
    ('ADD m.x :one', {'m': {'M': {'x': {'N': '2'}, 'y': {'M': {'z': {'S': 'deep'}}}}}}),
    ('ADD m.new :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: new'),
    ('ADD m.new.q :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: new'),
    ('DELETE m.new :ss', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: new'),
    ('ADD missing.x :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET l[1].x = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET l[0].x = :one', 'The document path provided in the update expression is invalid for update'),
    ('ADD l[9] :one', {'l': {'L': [{'N': '1'}, {'S': 'two'}, {'L': [{'N': '3'}]}, {'N': '1'}]}}),
    ('DELETE l[9] :ss', {}),
    ('SET m.x[0] = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET n = l[0]', {'n': {'N': '1'}}),
    ('SET n = l[9]', 'The provided expression refers to an attribute that does not exist in the item'),
    ('SET n = m.y.z', {'n': {'S': 'deep'}}),
    ('SET n = m.missing', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('SET n = :one REMOVE n', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]'),
    ('SET m.x = :one, m = :m', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m]'),
    ('SET m = :m, m.x = :one', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, x]'),
    ('SET m.x = :one, m.y = :one', {'m': {'M': {'x': {'N': '1'}, 'y': {'N': '1'}}}}),
    ('SET l[0] = :one, l[0] = :one', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, [0]]'),
    ('SET l[0] = :one, l.x = :one', 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, x]'),
    ('SET m.x = :one REMOVE m.x.y', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m, x, y]'),
    ('SET #n = :one, n = :one', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]'),
    ('ADD n :one SET n = :one', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]'),
    ('ADD ss :ss DELETE ss :ss', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [ss], path two: [ss]'),
    ('SET m.x = :one, m.x2 = :one', {'m': {'M': {'x': {'N': '1'}, 'x2': {'N': '1'}, 'y': {'M': {'z': {'S': 'deep'}}}}}}),
    ('SET l[0] = :one, l[0][1] = :one', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, [0], [1]]'),
    ('SET l[0][1] = :one, l[0] = :one', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0], [1]], path two: [l, [0]]'),
    ('SET l.x = :one, l[0] = :one', 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [l, x], path two: [l, [0]]'),
    ('SET m.y.z = :one, m.y[0] = :one', 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [m, y, z], path two: [m, y, [0]]'),
    ('REMOVE m, m.x', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, x]'),
    ('REMOVE m.x, m', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m]'),
    ('SET n = n, s = n', {'s': {'N': '10'}}),
    ('SET n = s, s = n', {'n': {'S': 'hello'}, 's': {'N': '10'}}),
    ('SET a.b = :one, a[0] = :one', 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]'),
    ('SET a[0] = :one, a.b = :one', 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]'),
    ('SET a[0].b = :one, a[0][0] = :one', 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0], b], path two: [a, [0], [0]]'),
    ('SET #dot = :one, a.b = :one', 'The document path provided in the update expression is invalid for update'),
    ('SET l[00] = :one', 'Invalid UpdateExpression: Syntax error; token: "0", near: "00]"'),
    ('SET l[01] = :one, l[1] = :one', 'Invalid UpdateExpression: Syntax error; token: "1", near: "01]"'),
    ('SET n = :one SET s = :s', 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
    ('set n = :one', {'n': {'N': '1'}}),
    ('REMOVE n SET s = :s', {'n': None}),
    ('ADD n :one', {'n': {'N': '11'}}),
    ('ADD n :s', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('ADD ss :ss', {'ss': {'SS': ['p', 'q', 'r']}}),
    ('ADD ss :ns', 'An operand in the update expression has an incorrect data type'),
    ('ADD n :one, s :s', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('ADD n = :one', 'Invalid UpdateExpression: Syntax error; token: "=", near: "n = :one"'),
    ('ADD m.x :one', {'m': {'M': {'x': {'N': '2'}, 'y': {'M': {'z': {'S': 'deep'}}}}}}),
    ('DELETE ss :ss', {'ss': {'SS': ['p']}}),
    ('DELETE ss :n', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND'),
    ('DELETE n :ns', 'An operand in the update expression has an incorrect data type'),
    ('DELETE ss', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "ss"'),
    ('ADD missing :ss', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('DELETE missing :ss', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: missing'),
    ('ADD n', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "n"'),
    ('REMOVE', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE"'),
    ('SET', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"'),
    ('SET n = :one garbage', 'Invalid UpdateExpression: Syntax error; token: "garbage", near: ":one garbage"'),
    ('UPDATE n = :one', 'Invalid UpdateExpression: Syntax error; token: "UPDATE", near: "UPDATE n"'),
    ('SET n = :one, REMOVE s', 'Invalid UpdateExpression: Syntax error; token: "REMOVE", near: ", REMOVE s"'),
    ('remove n', {'n': None}),
    ('add n :one', {'n': {'N': '11'}}),
    ('delete ss :ss', {'ss': {'SS': ['p']}}),
    ('Set n = :one', {'n': {'N': '1'}}),
    ('SET n = :one REMOVE s ADD n2 :one DELETE ss :ss', {'n': {'N': '1'}, 'n2': {'N': '1'}, 'ss': {'SS': ['p']}, 's': None}),
    ('REMOVE n, s', {'n': None, 's': None}),
    ('REMOVE n s', 'Invalid UpdateExpression: Syntax error; token: "s", near: "n s"'),
    ('REMOVE n,', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'),
    ('ADD n :one :one', 'Invalid UpdateExpression: Syntax error; token: ":one", near: ":one :one"'),
    ('ADD n :one,', 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","'),
    ('ADD ss :l', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('ADD ss :m', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('ADD ss :null', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: NULL, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('ADD ss :t', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('DELETE ss :s', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: STRING, typeSet: ALLOWED_FOR_DELETE_OPERAND'),
    ('DELETE ss :l', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: LIST, typeSet: ALLOWED_FOR_DELETE_OPERAND'),
    ('ADD n n', 'Invalid UpdateExpression: Syntax error; token: "n", near: "n n"'),
    ('DELETE ss ss', 'Invalid UpdateExpression: Syntax error; token: "ss", near: "ss ss"'),
    ('ADD n if_not_exists(n, :one)', 'Invalid UpdateExpression: Syntax error; token: "if_not_exists", near: "n if_not_exists("'),
    ('SET n = :one ADD n2 :one ADD n3 :one', 'Invalid UpdateExpression: The "ADD" section can only be used once in an update expression;'),
    ('SET n = :one DELETE ss :ss DELETE ns :ns', 'Invalid UpdateExpression: The "DELETE" section can only be used once in an update expression;'),
    ('REMOVE n REMOVE s', 'Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;'),
    ('SET n = :ss', {'n': {'SS': ['q', 'r']}}),
    ('SET n = :null', {'n': {'NULL': True}}),
    ('SET ss = :ss', {'ss': {'SS': ['q', 'r']}}),
    ('ADD ns :ns', {'ns': {'NS': ['1', '2', '3']}}),
    ('DELETE ns :ns', {}),
    ('ADD bs :b', 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BINARY, typeSet: ALLOWED_FOR_ADD_OPERAND'),
    ('SET pk = :a', 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key'),
    ('REMOVE pk', 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key'),
    ('ADD pk :one', 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key'),
    ('SET #pk = :a', 'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key'),
    ('SET n = pk', {'n': {'S': 'a'}}),
    ('SET n = #undefined', 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #undefined'),
    ('SET #undefined = :one', 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #undefined'),
    ('SET n = :undefined', 'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :undefined'),
    ('SET size = :one', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size'),
    ('SET n = size', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size'),
    ('SET #n = :one', {'n': {'N': '1'}}),
    ('SET n = :one', {'n': {'N': '1'}}),
    ('SET n = (:one)', {'n': {'N': '1'}}),
    ('SET n=:one', {'n': {'N': '1'}}),
    ('SET n =:one,s=:s', {'n': {'N': '1'}}),
    ('SET n = if_not_exists(n,:one)', {}),
    ('SET n = ((:one))', 'Invalid UpdateExpression: The expression has redundant parentheses;'),
    ('SET n = (n + :one)', {'n': {'N': '11'}}),
    ('SET n = (n) + (:one)', {'n': {'N': '11'}}),
    ('SET n = ((n) + :one)', {'n': {'N': '11'}}),
    ('SET n = ((n + :one))', 'Invalid UpdateExpression: The expression has redundant parentheses;'),
    ('SET n = (n + :one) + :one', 'Invalid UpdateExpression: Syntax error; token: "+", near: ") + :one"'),
    ('SET _n = :one', 'Invalid UpdateExpression: Syntax error; token: "_", near: "SET _n"'),
    ('SET l[01] = :one', 'Invalid UpdateExpression: Syntax error; token: "1", near: "01]"'),
    ('SET é = :one', 'Invalid UpdateExpression: Syntax error; token: "é", near: "SET é ="'),
    ('SET # = :one', 'Invalid UpdateExpression: Syntax error; token: "#", near: "SET # ="'),
    ('SET n = :', 'Invalid UpdateExpression: Syntax error; token: ":", near: "= :"'),
    ('SET n = -1', 'Invalid UpdateExpression: Syntax error; token: "-", near: "= -1"'),
    ('SET n = 1', 'Invalid UpdateExpression: Syntax error; token: "1", near: "= 1"'),
    ('SET n = :one -:one', {'n': {'N': '0'}}),
    ('SET n = :one+:one', {'n': {'N': '2'}}),
    ('SET n = :one - - :one', 'Invalid UpdateExpression: Syntax error; token: "-", near: "- - :one"'),
    # Which error comes first: syntax, then names, then the rest.
    ('SET n = :u garbage', 'Invalid UpdateExpression: Syntax error; token: "garbage", near: ":u garbage"'),
    ('SET n = #u garbage', 'Invalid UpdateExpression: Syntax error; token: "garbage", near: "#u garbage"'),
    ('SET n = foo(:one) garbage', 'Invalid UpdateExpression: Syntax error; token: "garbage", near: ") garbage"'),
    ('SET n = size(l) garbage', 'Invalid UpdateExpression: Syntax error; token: "garbage", near: ") garbage"'),
    ('SET #u = :one, n = ((:one))', 'Invalid UpdateExpression: The expression has redundant parentheses;'),
    ('SET n = :u, s = ((:one))', 'Invalid UpdateExpression: The expression has redundant parentheses;'),
    ('SET n = foo(:one), s = ((:one))', 'Invalid UpdateExpression: The expression has redundant parentheses;'),
    ('SET n = :one SET s = ((:one))', 'Invalid UpdateExpression: The expression has redundant parentheses;'),
    ('SET n = :one SET s = :one garbage', 'Invalid UpdateExpression: Syntax error; token: "garbage", near: ":one garbage"'),
    ('SET n = :u, s = foo(:one)', 'Invalid UpdateExpression: Invalid function name; function: foo'),
    ('SET n = :one SET s = :u', 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
    ('SET n = :u SET s = :one', 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
    ('SET n = :one, n = :u', 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]'),
    ('SET n = :one, n = name', 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name'),
    ('SET #u = :one, #u = :one', 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #u'),
    ('SET #u = :u', 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #u'),
    ('SET n = :u, #u = :one', 'Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #u'),
    ('SET n = :one, n = foo(:one)', 'Invalid UpdateExpression: Invalid function name; function: foo'),
]


@pytest.mark.parametrize("expression, expected", cases(UPDATES, ['SET size = :one', 'SET n = size']))
def test_update_expression(lax, update_table, expression, expected):
    lax.put_item(TableName=update_table, Item=ITEM)
    request = dict(TableName=update_table, Key=KEY, UpdateExpression=expression, ReturnValues="ALL_NEW",
                   **placeholders(expression))
    if isinstance(expected, str):
        expect_error(lax.update_item, "ValidationException", expected, **request)
        assert lax.get_item(TableName=update_table, Key=KEY)["Item"] == ITEM
    else:
        assert changes(lax.update_item(**request)["Attributes"]) == expected


# The forms clients send (electrodb's subtract, hand-written updates).
@pytest.mark.parametrize("expression, names, values, expected", [
    ("SET n = (n + :v)", {}, {":v": "3"}, {"n": "13"}),
    ("SET #s = (if_not_exists(#s, :d) - :v)", {"#s": "stock"}, {":d": "100", ":v": "3"}, {"stock": "97"}),
    ("SET #s = (if_not_exists(#s, :d) - :v)", {"#s": "n"}, {":d": "100", ":v": "3"}, {"n": "7"}),
    ("SET a = (:v)", {}, {":v": "3"}, {"a": "3"}),
    ("SET n = (n) - (:v), a = (if_not_exists(a, :d))", {}, {":v": "3", ":d": "1"}, {"n": "7", "a": "1"}),
])
def test_parenthesised_set_values(client, update_table, expression, names, values, expected):
    client.put_item(TableName=update_table, Item=ITEM)
    extra = {"ExpressionAttributeNames": names} if names else {}
    new = client.update_item(TableName=update_table, Key=KEY, UpdateExpression=expression, ReturnValues="ALL_NEW",
                             ExpressionAttributeValues={k: {"N": v} for k, v in values.items()}, **extra)
    assert changes(new["Attributes"]) == {name: {"N": number} for name, number in expected.items()}


@pytest.mark.parametrize("expression", ["SET n = ((n + :v))", "SET n = ((:v))", "SET n = (n) - ((:v))"])
def test_redundant_parentheses_refused(client, update_table, expression):
    expect_error(client.update_item, "ValidationException",
                 "Invalid UpdateExpression: The expression has redundant parentheses;",
                 TableName=update_table, Key=KEY, UpdateExpression=expression,
                 ExpressionAttributeValues={":v": {"N": "1"}})
