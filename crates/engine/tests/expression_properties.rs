//! Property tests for the expression language: the parsers never panic on
//! any input, and condition evaluation agrees with a small reference model.

use std::collections::HashMap;

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::update::Update;
use halyard_engine::expression::Placeholders;
use halyard_engine::model::{AttributeValue, Item, Number};
use proptest::prelude::*;

/// Text built from the expression language's own pieces, so that random
/// inputs get deep into the parser rather than failing at the first byte.
fn expression_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a"),
        Just("b.c"),
        Just("l[1]"),
        Just("#n"),
        Just(":v"),
        Just(":w"),
        Just("("),
        Just(")"),
        Just(","),
        Just("="),
        Just("<>"),
        Just("<"),
        Just(">="),
        Just(" AND "),
        Just(" OR "),
        Just("NOT "),
        Just(" BETWEEN "),
        Just(" IN "),
        Just("size("),
        Just("attribute_exists("),
        Just("begins_with("),
        Just("contains("),
        Just("SET "),
        Just("REMOVE "),
        Just("ADD "),
        Just("DELETE "),
        Just("+"),
        Just("-"),
        Just("if_not_exists("),
        Just("list_append("),
        Just("["),
        Just("]"),
        Just("99999999999"),
        Just("."),
        Just("name"),
        Just("@"),
        Just(" "),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

fn placeholders_values() -> (HashMap<String, String>, HashMap<String, AttributeValue>) {
    let names = HashMap::from([("#n".to_string(), "n".to_string())]);
    let values = HashMap::from([
        (":v".to_string(), AttributeValue::N(Number::parse("1").unwrap())),
        (":w".to_string(), AttributeValue::S("x".into())),
    ]);
    (names, values)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(text in expression_text()) {
        let (names, values) = placeholders_values();
        let mut placeholders = Placeholders::new(&names, &values);
        if let Ok(condition) = Condition::parse(&text, "ConditionExpression", &mut placeholders) {
            condition.evaluate(&Item::new());
        }
        let mut placeholders = Placeholders::new(&names, &values);
        if let Ok(update) = Update::parse(&text, &mut placeholders) {
            let _ = update.apply(&Item::new());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in ".{0,300}") {
        let (names, values) = placeholders_values();
        let mut placeholders = Placeholders::new(&names, &values);
        let _ = Condition::parse(&text, "ConditionExpression", &mut placeholders);
        let mut placeholders = Placeholders::new(&names, &values);
        let _ = Update::parse(&text, &mut placeholders);
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let (names, values) = placeholders_values();
    for expression in [
        format!("{}a = :v{}", "(NOT ".repeat(1000), ")".repeat(1000)),
        format!("{}a = :v", "NOT ".repeat(2000)),
        format!("{}a = :v{}", "(".repeat(4000), ")".repeat(4000)),
        format!("{}a = :v{}", "(".repeat(2040), ")".repeat(2040)),
        format!("{}a{} = :v", "(".repeat(2040), ")".repeat(2040)),
        "a = :v AND ".repeat(400) + "a = :v",
    ] {
        // On a stack the size of a server worker thread's (tokio's default, 2 MiB).
        let (names, values) = (names.clone(), values.clone());
        let parsed = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let mut placeholders = Placeholders::new(&names, &values);
                Condition::parse(&expression, "ConditionExpression", &mut placeholders).is_err()
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(parsed, "deep nesting must be refused");
    }
}

/// The reference model: attributes `a`, `b`, `c` holding small integers or
/// short strings, or absent.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Int(i64),
    Text(String),
}

#[derive(Debug, Clone)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Model {
    Compare(&'static str, Op, Scalar),
    Between(&'static str, Scalar, Scalar),
    In(&'static str, Vec<Scalar>),
    Exists(&'static str),
    NotExists(&'static str),
    BeginsWith(&'static str, String),
    And(Box<Model>, Box<Model>),
    Or(Box<Model>, Box<Model>),
    Not(Box<Model>),
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![(-5i64..5).prop_map(Scalar::Int), "[ab]{0,3}".prop_map(Scalar::Text)]
}

fn attribute() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("c")]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Eq),
        Just(Op::Ne),
        Just(Op::Lt),
        Just(Op::Le),
        Just(Op::Gt),
        Just(Op::Ge)
    ]
}

fn model() -> impl Strategy<Value = Model> {
    let leaf = prop_oneof![
        (attribute(), op(), scalar()).prop_map(|(a, o, v)| Model::Compare(a, o, v)),
        (attribute(), -5i64..5, 0i64..5).prop_map(|(a, low, width)| Model::Between(
            a,
            Scalar::Int(low),
            Scalar::Int(low + width)
        )),
        (attribute(), proptest::collection::vec(scalar(), 1..4)).prop_map(|(a, v)| Model::In(a, v)),
        attribute().prop_map(Model::Exists),
        attribute().prop_map(Model::NotExists),
        (attribute(), "[ab]{0,2}").prop_map(|(a, p)| Model::BeginsWith(a, p)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Model::And(Box::new(x), Box::new(y))),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Model::Or(Box::new(x), Box::new(y))),
            inner.prop_map(|x| Model::Not(Box::new(x))),
        ]
    })
}

fn order(a: &Scalar, b: &Scalar) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Scalar::Int(x), Scalar::Int(y)) => Some(x.cmp(y)),
        (Scalar::Text(x), Scalar::Text(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

fn reference(model: &Model, item: &HashMap<&str, Scalar>) -> bool {
    use std::cmp::Ordering::*;
    match model {
        Model::Compare(a, op, v) => match (item.get(a), op) {
            (None, Op::Ne) => true,
            (None, _) => false,
            (Some(x), Op::Eq) => x == v,
            (Some(x), Op::Ne) => x != v,
            (Some(x), op) => order(x, v).is_some_and(|o| match op {
                Op::Lt => o == Less,
                Op::Le => o != Greater,
                Op::Gt => o == Greater,
                _ => o != Less,
            }),
        },
        Model::Between(a, low, high) => item
            .get(a)
            .is_some_and(|x| order(x, low).is_some_and(|o| o != Less) && order(x, high).is_some_and(|o| o != Greater)),
        Model::In(a, list) => item.get(a).is_some_and(|x| list.contains(x)),
        Model::Exists(a) => item.contains_key(a),
        Model::NotExists(a) => !item.contains_key(a),
        Model::BeginsWith(a, prefix) => matches!(item.get(a), Some(Scalar::Text(t)) if t.starts_with(prefix.as_str())),
        Model::And(x, y) => reference(x, item) && reference(y, item),
        Model::Or(x, y) => reference(x, item) || reference(y, item),
        Model::Not(x) => !reference(x, item),
    }
}

fn to_value(scalar: &Scalar) -> AttributeValue {
    match scalar {
        Scalar::Int(i) => AttributeValue::N(Number::parse(&i.to_string()).unwrap()),
        Scalar::Text(t) => AttributeValue::S(t.clone()),
    }
}

/// Renders the model as expression text, collecting its values.
fn render(model: &Model, values: &mut HashMap<String, AttributeValue>) -> String {
    let mut value = |scalar: &Scalar| {
        let name = format!(":v{}", values.len());
        values.insert(name.clone(), to_value(scalar));
        name
    };
    match model {
        Model::Compare(a, op, v) => {
            let symbol = match op {
                Op::Eq => "=",
                Op::Ne => "<>",
                Op::Lt => "<",
                Op::Le => "<=",
                Op::Gt => ">",
                Op::Ge => ">=",
            };
            format!("{a} {symbol} {}", value(v))
        }
        Model::Between(a, low, high) => {
            let low = value(low);
            format!("{a} BETWEEN {low} AND {}", value(high))
        }
        Model::In(a, list) => {
            let names: Vec<String> = list.iter().map(&mut value).collect();
            format!("{a} IN ({})", names.join(", "))
        }
        Model::Exists(a) => format!("attribute_exists({a})"),
        Model::NotExists(a) => format!("attribute_not_exists({a})"),
        Model::BeginsWith(a, prefix) => format!("begins_with({a}, {})", value(&Scalar::Text(prefix.clone()))),
        Model::And(x, y) => format!("({}) AND ({})", render(x, values), render(y, values)),
        Model::Or(x, y) => format!("({}) OR ({})", render(x, values), render(y, values)),
        Model::Not(x) => format!("NOT ({})", render(x, values)),
    }
}

fn item() -> impl Strategy<Value = HashMap<&'static str, Scalar>> {
    proptest::collection::hash_map(attribute(), scalar(), 0..3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn evaluation_agrees_with_the_reference_model(model in model(), item in item()) {
        let mut values = HashMap::new();
        let text = render(&model, &mut values);
        let names = HashMap::new();
        let mut placeholders = Placeholders::new(&names, &values);
        let condition = Condition::parse(&text, "ConditionExpression", &mut placeholders)
            .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let engine_item: Item = item.iter().map(|(k, v)| (k.to_string(), to_value(v))).collect();
        prop_assert_eq!(condition.evaluate(&engine_item), reference(&model, &item), "{}", text);
    }
}
