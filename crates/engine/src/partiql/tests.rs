//! The parser: each statement kind, literals, limits, and DynamoDB's errors.

use super::*;
use crate::expression::path::PathElement;

fn parsed(statement: &str) -> Statement {
    match parse(statement) {
        Ok(parsed) => parsed.statement,
        Err(error) => panic!("{statement}: {error}"),
    }
}

fn error(statement: &str) -> String {
    match parse(statement) {
        Ok(parsed) => panic!("{statement} parsed: {parsed:?}"),
        Err(error) => error.to_string(),
    }
}

fn attribute(name: &str) -> DocumentPath {
    DocumentPath(vec![PathElement::Attribute(name.into())])
}

#[test]
fn select_with_projection_index_and_where() {
    let Statement::Select(select) = parsed(r#"SELECT a, b.c[2], "d e" FROM "T"."I" WHERE pk = 'x' AND n >= 5"#) else {
        panic!("not a select")
    };
    assert_eq!(select.table, "T");
    assert_eq!(select.index.as_deref(), Some("I"));
    let paths = select.projection.unwrap();
    assert_eq!(paths[0], attribute("a"));
    assert_eq!(
        paths[1],
        DocumentPath(vec![
            PathElement::Attribute("b".into()),
            PathElement::Attribute("c".into()),
            PathElement::Index(2)
        ])
    );
    assert_eq!(paths[2], attribute("d e"));
    assert!(matches!(select.filter, Some(Expr::And(..))));
}

#[test]
fn select_star_with_every_predicate() {
    let statement = "select * from t where a between 1 and 2 or b in ['x', 'y'] or c in (1, 2) \
        or d is missing or e is not missing or f is null or g is not null or begins_with(h, 'p') \
        or contains(i, 'q') or attribute_type(j, 'S') or size(k) > 3 or not l <> m or n not in [1] \
        or o not between 1 and 2 ORDER BY a DESC";
    let Statement::Select(select) = parsed(statement) else {
        panic!()
    };
    assert_eq!(select.projection, None);
    assert_eq!(select.order_by, Some(("a".into(), true)));
}

#[test]
fn insert_literals_of_every_kind() {
    let Statement::Insert(insert) =
        parsed("INSERT INTO t VALUE {'s': 'it''s', 'n': -1.5e3, 'p': +2, 'b': TRUE, 'z': null, 'l': [1, [], {}], 'ss': <<'a', 'b'>>, 'q': ?}")
    else {
        panic!()
    };
    let Value::Map(entries) = insert.item else { panic!() };
    assert_eq!(entries[0], ("s".into(), Value::String("it's".into())));
    assert_eq!(entries[1], ("n".into(), Value::Number("-1.5e3".into())));
    assert_eq!(entries[7], ("q".into(), Value::Parameter(0)));
}

#[test]
fn update_and_delete() {
    let Statement::Update(update) = parsed(
        "UPDATE t SET a = 1, b = b + 1 SET l = list_append(l, [2]) SET s = set_add(s, <<1>>) REMOVE c WHERE pk = ? RETURNING MODIFIED NEW *",
    ) else {
        panic!()
    };
    assert_eq!(update.clauses.len(), 5);
    assert_eq!(update.returning, Some(Returning::ModifiedNew));
    let Statement::Delete(delete) = parsed("DELETE FROM t WHERE pk = 'a' RETURNING ALL OLD *;") else {
        panic!()
    };
    assert_eq!(delete.returning, Some(Returning::AllOld));
    assert!(matches!(
        parsed("EXISTS(SELECT * FROM t WHERE pk = 1 AND a = 2)"),
        Statement::Exists(_)
    ));
}

#[test]
fn parameters_are_counted_in_order() {
    let parsed = parse("SELECT * FROM t WHERE a = ? AND b IN [?, ?]").unwrap();
    assert_eq!(parsed.parameters, 3);
}

#[test]
fn dynamodb_errors() {
    for bad in [
        "SELEC * FROM t",
        "SELECT * FROM t WHERE",
        "",
        "INSERT INTO t VALUE {'a':1} , {'b':2}",
        "SELECT * FROM t WHERE a = 0x10",
    ] {
        assert_eq!(
            error(bad),
            format!("Statement wasn't well formed, can't be processed: {bad}")
        );
    }
    assert_eq!(error("SELECT * FROM t WHERE foo(a)"), "Unrecognized function: foo");
    assert_eq!(
        error("SELECT * FROM t WHERE begins_with(a)"),
        "Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    );
    assert_eq!(
        error("SELECT * FROM t WHERE a = 1 AND c"),
        "The arguments to AND/OR must be Expressions"
    );
    assert_eq!(
        error("INSERT INTO t VALUE {'a': <<>>}"),
        "Empty bags are not supported at 1:27:2"
    );
    assert_eq!(
        error("INSERT INTO t VALUE {'a':1,'a':2}"),
        "Duplicate keys in tuple. Key: a under root at 1:28:3"
    );
    assert_eq!(
        error("INSERT INTO t VALUE {'a':`x`}"),
        "Ion Literals are not supported: SYMBOL under key root at 1:26:1"
    );
    assert_eq!(
        error("INSERT INTO t VALUE {'a':1} RETURNING ALL OLD *"),
        "RETURNING is not supported in INSERT"
    );
    assert_eq!(error("SELECT 'x' FROM t"), "Unexpected path component at 1:8:3");
    assert_eq!(
        error("UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL OLD a"),
        "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let statement = format!("SELECT * FROM t WHERE {}a = 1{}", "(".repeat(2000), ")".repeat(2000));
    assert!(error(&statement).contains("depth"));
    let statement = format!("SELECT * FROM t WHERE {}a = 1", "NOT ".repeat(2000));
    assert!(error(&statement).contains("300"));
    let value = format!("INSERT INTO t VALUE {{'a': {}1{}}}", "[".repeat(2000), "]".repeat(2000));
    assert!(error(&value).contains("depth"));
    let long = format!("SELECT * FROM t WHERE a = '{}'", "x".repeat(MAX_STATEMENT_BYTES));
    assert!(error(&long).contains("8192"));
    // A chain of ANDs: up to 300 operators, as in an expression.
    let chain = |n| format!("SELECT * FROM t WHERE {}", vec!["a = 1"; n].join(" AND "));
    assert!(parse(&chain(301)).is_ok());
    assert!(error(&chain(302)).contains("300"));
}

#[test]
fn binding_literals_and_sets() {
    let value = |text: &str| match parse(&format!("INSERT INTO t VALUE {{'v': {text}}}"))
        .unwrap()
        .statement
    {
        Statement::Insert(insert) => bind_value(&insert.item, &[crate::model::AttributeValue::S("p".into())]),
        _ => panic!(),
    };
    assert!(value("<<'a', 'a'>>").unwrap_err().to_string().contains("duplicates"));
    assert!(value("<<'a', 1>>").unwrap_err().to_string().contains("Bag"));
    assert!(value("1e999").unwrap_err().to_string().contains("overflow"));
    assert!(value(".5").is_ok());
    assert!(value("?").is_ok());
    assert!(parse("SELECT * FROM t WHERE a = ? AND b = ?").is_ok());
    assert_eq!(
        parse("INSERT INTO t VALUE {'v': [1, {'b': [?]}]}")
            .unwrap_err()
            .to_string(),
        "Unsupported data type: Parameter under key root.1.b.0 at 1:38:1"
    );
}
