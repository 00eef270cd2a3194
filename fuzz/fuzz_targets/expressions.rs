//! The expression parsers (crates/engine/src/expression): condition and
//! filter, update, projection and key condition, with placeholder maps.
//! Every input is answered (a parse error is an answer) without panicking
//! or overflowing the stack; what parses is applied to an item with
//! nested documents; a parsed condition is never nested deeper than
//! DynamoDB's 300 operators allow. The first byte picks the parser and
//! whether the rest is the expression itself or a short unit repeated to
//! stand for deep nesting (see `halyard_fuzz::repeated`).
#![no_main]

use std::collections::HashMap;

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::key_condition;
use halyard_engine::expression::projection::Projection;
use halyard_engine::expression::update::Update;
use halyard_engine::expression::{ExpressionNames, Placeholders, MAX_EXPRESSION_BYTES};
use halyard_engine::model::item_codec::{decode_item, encode_item};
use halyard_engine::model::{
    item_size, AttributeValue, IndexKey, Item, KeyAttribute, Number, PrimaryKey, ScalarType,
};
use libfuzzer_sys::fuzz_target;

/// DynamoDB's limit on the operators of one expression, which also bounds
/// how deeply a condition can nest.
const MAX_OPERATORS: usize = 300;

fn number(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).expect("valid number"))
}

fn item(pairs: Vec<(&str, AttributeValue)>) -> Item {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect()
}

/// One value of every type, for the `:x` placeholders and for the item.
fn values() -> Vec<(&'static str, AttributeValue)> {
    vec![
        ("s", AttributeValue::S("text".into())),
        ("e", AttributeValue::S(String::new())),
        ("n", number("-12.5")),
        ("z", number("0")),
        ("b", AttributeValue::B(vec![0, 1, 255])),
        ("t", AttributeValue::Bool(true)),
        ("null", AttributeValue::Null),
        ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
        (
            "ns",
            AttributeValue::Ns(vec![Number::parse("1").unwrap(), Number::parse("2").unwrap()]),
        ),
        ("bs", AttributeValue::Bs(vec![vec![1], vec![2]])),
        (
            "l",
            AttributeValue::L(vec![
                number("1"),
                AttributeValue::S("x".into()),
                AttributeValue::L(vec![]),
            ]),
        ),
        (
            "m",
            AttributeValue::M(item(vec![("a", number("1")), ("m", AttributeValue::M(Item::new()))])),
        ),
    ]
}

struct Context {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    item: Item,
    schemas: Vec<IndexKey>,
}

fn context() -> Context {
    let names = [
        ("#a", "a"),
        ("#s", "s"),
        ("#m", "m"),
        ("#pk", "pk"),
        ("#sk", "sk"),
        ("#dot", "a.b"),
        ("#k", "KEY"),
    ]
    .into_iter()
    .map(|(placeholder, name)| (placeholder.to_string(), name.to_string()))
    .collect();
    let placeholder_values = values()
        .into_iter()
        .map(|(name, value)| (format!(":{name}"), value))
        .collect();
    let mut fields = values();
    fields.push(("pk", AttributeValue::S("p".into())));
    fields.push(("sk", number("5")));
    let deep = (0..30).fold(number("7"), |inner, _| AttributeValue::M(item(vec![("a", inner)])));
    fields.push(("a", deep));
    let key = |name: &str, scalar_type| KeyAttribute {
        name: name.to_string(),
        scalar_type,
    };
    let schemas = vec![
        PrimaryKey {
            partition: key("pk", ScalarType::S),
            sort: Some(key("sk", ScalarType::N)),
        }
        .into(),
        PrimaryKey {
            partition: key("b", ScalarType::B),
            sort: Some(key("s", ScalarType::S)),
        }
        .into(),
        PrimaryKey {
            partition: key("n", ScalarType::N),
            sort: None,
        }
        .into(),
        // A multi-attribute index key: two partition and three sort attributes.
        IndexKey {
            partition: vec![key("pk", ScalarType::S), key("n", ScalarType::N)],
            sort: vec![key("s", ScalarType::S), key("sk", ScalarType::N), key("b", ScalarType::B)],
        },
    ];
    Context {
        names,
        values: placeholder_values,
        item: item(fields),
        schemas,
    }
}

/// Levels of AND, OR and NOT above the deepest comparison or function.
fn condition_depth(condition: &Condition) -> usize {
    match condition {
        Condition::And(a, b) | Condition::Or(a, b) => 1 + condition_depth(a).max(condition_depth(b)),
        Condition::Not(a) => 1 + condition_depth(a),
        _ => 1,
    }
}

/// An item an update produced must be storable: the codec round-trips it.
fn check_storable(item: &Item) {
    item_size(item);
    let decoded = decode_item(&encode_item(item)).expect("an updated item decodes");
    assert_eq!(&decoded, item);
}

fn run(parser: u8, text: &str, context: &Context) {
    let mut placeholders = Placeholders::new(&context.names, &context.values);
    match parser % 4 {
        0 => {
            if let Ok(condition) = Condition::parse(text, "ConditionExpression", &mut placeholders) {
                let depth = condition_depth(&condition);
                assert!(
                    depth <= MAX_OPERATORS + 1,
                    "a condition {depth} levels deep was accepted"
                );
                condition.evaluate(&context.item);
                condition.evaluate(&Item::new());
                condition.top_level_attributes();
            }
        }
        1 => {
            if let Ok(update) = Update::parse(text, &mut placeholders) {
                for item in [&context.item, &Item::new()] {
                    if let Ok(updated) = update.apply(item) {
                        check_storable(&updated);
                    }
                }
            }
        }
        2 => {
            let mut names = ExpressionNames::new(&context.names);
            if let Ok(projection) = Projection::parse(text, &mut names) {
                check_storable(&projection.apply(&context.item));
                projection.top_level_names().count();
            }
        }
        _ => {
            if let Ok(terms) = key_condition::parse(text, &mut placeholders) {
                for schema in &context.schemas {
                    if let Ok(condition) = key_condition::resolve(terms.clone(), schema) {
                        condition.storage_range();
                    }
                }
            }
        }
    }
    // Whatever the outcome, the unused-placeholder check answers.
    let _ = placeholders.check_all_used();
}

fuzz_target!(init: halyard_fuzz::report_stack_overflows(), |data: &[u8]| {
    thread_local! {
        static CONTEXT: Context = context();
    }
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = if selector & 0x80 != 0 {
        // Twice the length limit, so that the limit itself is exercised.
        match halyard_fuzz::repeated(rest, 2 * MAX_EXPRESSION_BYTES) {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => return,
        }
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    CONTEXT.with(|context| run(selector, &text, context));
});
