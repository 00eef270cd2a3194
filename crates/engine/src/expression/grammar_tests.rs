//! The expression grammar's edges, as DynamoDB draws them: parentheses,
//! tokens, function placement, operand rules.

use std::collections::HashMap;

use super::condition::Condition;
use super::update::Update;
use super::Placeholders;
use crate::model::{AttributeValue, Item, Number};

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn values() -> HashMap<String, AttributeValue> {
    [
        (":v", n("3")),
        (":d", n("100")),
        (":s", AttributeValue::S("hello".into())),
        (":l", AttributeValue::L(vec![n("9")])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn item() -> Item {
    [
        ("n".to_string(), n("10")),
        ("s".into(), n("5")),
        ("l".into(), AttributeValue::L(vec![n("1")])),
    ]
    .into()
}

/// The item after `expression`, or the error message.
fn update(expression: &str) -> Result<Item, String> {
    let (names, values) = (HashMap::new(), values());
    let mut placeholders = Placeholders::new(&names, &values);
    let update = Update::parse(expression, &mut placeholders).map_err(|e| e.to_string())?;
    update.apply(&item()).map_err(|e| e.to_string())
}

/// Whether `expression` holds for the item, or the error message.
fn condition(expression: &str) -> Result<bool, String> {
    let (names, values) = (HashMap::new(), values());
    let mut placeholders = Placeholders::new(&names, &values);
    let condition =
        Condition::parse(expression, "ConditionExpression", &mut placeholders).map_err(|e| e.to_string())?;
    Ok(condition.evaluate(&item()))
}

const REDUNDANT_UPDATE: &str = "Invalid UpdateExpression: The expression has redundant parentheses;";

#[test]
fn update_values_and_operands_may_be_parenthesised() {
    for (expression, attribute, expected) in [
        ("SET n = (n + :v)", "n", n("13")),
        ("SET n = ( n - :v )", "n", n("7")),
        ("SET s = (if_not_exists(s, :d) - :v)", "s", n("2")),
        ("SET t = (if_not_exists(t, :d) - :v)", "t", n("97")),
        ("SET n = (:v)", "n", n("3")),
        ("SET n = (n) + (:v)", "n", n("13")),
        ("SET n = ((n) - (:v))", "n", n("7")),
        ("SET n = if_not_exists((n), (:v))", "n", n("10")),
        (
            "SET l = (list_append((l), :l))",
            "l",
            AttributeValue::L(vec![n("1"), n("9")]),
        ),
    ] {
        assert_eq!(update(expression).unwrap()[attribute], expected, "{expression}");
    }
}

#[test]
fn redundant_parentheses_in_updates_are_refused_once_closed() {
    for expression in [
        "SET n = ((n + :v))",
        "SET n = ((:v))",
        "SET n = ((n)) + :v",
        "SET n = (((n) - (:v)))",
        "SET n = if_not_exists(n, ((:v)))",
        // Found before the later syntax error: parentheses are checked as read.
        "SET n = ((n + :v)) garbage",
    ] {
        assert_eq!(update(expression).unwrap_err(), REDUNDANT_UPDATE, "{expression}");
    }
    assert_eq!(
        update("SET n = ((n + :v)").unwrap_err(),
        "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \")\""
    );
}

#[test]
fn operands_of_plus_and_minus_are_single_operands() {
    assert_eq!(
        update("SET n = (n + :v) + :v").unwrap_err(),
        "Invalid UpdateExpression: Syntax error; token: \"+\", near: \") + :v\""
    );
    assert_eq!(
        update("SET n = n + (n + :v)").unwrap_err(),
        "Invalid UpdateExpression: Syntax error; token: \"+\", near: \"n + :v\""
    );
}

#[test]
fn update_functions_count_and_place_their_operands() {
    assert_eq!(
        update("SET l = list_append(l)").unwrap_err(),
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"
    );
    assert_eq!(
        update("SET n = if_not_exists(n, :v, :v)").unwrap_err(),
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 3"
    );
    assert_eq!(
        update("SET n = if_not_exists(n, n)").unwrap_err(),
        "Invalid UpdateExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: if_not_exists, first operand: [n]"
    );
    for expression in [
        "SET l = list_append(list_append(l, :l), :l)",
        "SET n = if_not_exists(n, list_append(l, :l))",
        "SET n = list_append(l, :l) + :v",
    ] {
        assert_eq!(
            update(expression).unwrap_err(),
            "Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: list_append",
            "{expression}"
        );
    }
    assert!(update("SET l = list_append(if_not_exists(m, :l), :l)").is_ok());
}

#[test]
fn condition_groups_and_operands() {
    assert_eq!(condition("(n) = (:d)"), Ok(false));
    assert_eq!(condition("((n = :d) OR (s = :v))"), Ok(false));
    assert_eq!(condition("n = :d OR n = :v AND s = :v"), Ok(false));
    assert_eq!(condition("NOT n = :v AND s = s2"), Ok(false));
    for expression in ["((n = :v))", "((n)) = :v", "(((n = :v)))", "NOT ((n = :v))"] {
        assert_eq!(
            condition(expression).unwrap_err(),
            "Invalid ConditionExpression: The expression has redundant parentheses;",
            "{expression}"
        );
    }
    // Neither a group nor an operand: the reading that got further speaks.
    assert_eq!(
        condition("(n)").unwrap_err(),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \")\""
    );
    assert_eq!(
        condition("((n = :v)").unwrap_err(),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \")\""
    );
}

#[test]
fn condition_operand_rules() {
    for (expression, message) in [
        ("n BETWEEN n AND :d", "The first operand must be distinct from the remaining operands for this operator or function; operator: BETWEEN, first operand: [n]"),
        ("n IN (:v, n)", "The first operand must be distinct from the remaining operands for this operator or function; operator: IN, first operand: [n]"),
        ("if_not_exists(n, :v) = :v", "The function is not allowed in a condition expression; function: if_not_exists"),
        ("list_append(l, :l)", "The function is not allowed in a condition expression; function: list_append"),
        ("begins_with(size(l), :s)", "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"),
        ("size(size(:s)) = :v", "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
        ("size(:v) = :v", "Incorrect operand type for operator or function; operator or function: size, operand type: N"),
    ] {
        assert_eq!(condition(expression).unwrap_err(), format!("Invalid ConditionExpression: {message}"), "{expression}");
    }
    // size() of a given value is that value's size.
    assert_eq!(condition("size(:s) = :v"), Ok(false));
    assert_eq!(condition("size(:l) < :v"), Ok(true));
}

#[test]
fn tokens() {
    for (expression, message) in [
        ("l[01] = :v", "Syntax error; token: \"1\", near: \"01]\""),
        ("_n = :v", "Syntax error; token: \"_\", near: \"_n\""),
        ("n != :v", "Syntax error; token: \"!\", near: \"n !=\""),
        ("é = :v", "Syntax error; token: \"é\", near: \"é =\""),
        ("# = :v", "Syntax error; token: \"#\", near: \"# =\""),
        ("n = ::v", "Syntax error; token: \":\", near: \"= ::v\""),
        ("n = :", "Syntax error; token: \":\", near: \"= :\""),
        ("n = \"x\"", "Syntax error; token: \"\"\", near: \"= \"x\""),
        (
            "l[2147483648] = :v",
            "List index is not within the allowable range; index: [2147483648]",
        ),
    ] {
        assert_eq!(
            condition(expression).unwrap_err(),
            format!("Invalid ConditionExpression: {message}"),
            "{expression}"
        );
    }
    assert_eq!(condition("l[2147483647] = :v"), Ok(false));
}

#[test]
fn syntax_errors_come_before_the_others_then_names() {
    assert_eq!(
        update("SET n = :undefined garbage").unwrap_err(),
        "Invalid UpdateExpression: Syntax error; token: \"garbage\", near: \":undefined garbage\""
    );
    assert_eq!(update("SET n = foo(:v), s = ((:v))").unwrap_err(), REDUNDANT_UPDATE);
    assert_eq!(
        update("SET n = :undefined SET s = :v").unwrap_err(),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        update("SET n = :v, n = :undefined").unwrap_err(),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]"
    );
    assert_eq!(
        condition("n = :undefined AND foo(n)").unwrap_err(),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(
        condition("#undefined = :v AND name = :v").unwrap_err(),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    );
    // Placeholders of a condition are reported in the order written.
    assert_eq!(
        condition("n = :undefined AND #undefined = :v").unwrap_err(),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"
    );
}
