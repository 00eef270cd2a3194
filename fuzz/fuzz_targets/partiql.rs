//! The PartiQL parser (crates/engine/src/partiql): every statement is
//! answered (a parse error is an answer) without panicking or overflowing
//! the stack; what parses is bound to parameters of every type, its WHERE
//! evaluated against an item with nested documents and its SET/REMOVE
//! clauses applied to it. The first byte picks whether the rest is the
//! statement itself or a short unit repeated to stand for deep nesting
//! (see `halyard_fuzz::repeated`).
#![no_main]

use halyard_engine::expression::update::Update;
use halyard_engine::model::item_codec::{decode_item, encode_item};
use halyard_engine::model::{item_size, AttributeValue, Item, Number};
use halyard_engine::partiql::{
    bind_condition, bind_update_actions, bind_value, parse, Statement, MAX_STATEMENT_BYTES,
};
use libfuzzer_sys::fuzz_target;

fn number(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).expect("valid number"))
}

/// One parameter of each type, repeated so that most statements have enough.
fn parameters() -> Vec<AttributeValue> {
    let one = vec![
        AttributeValue::S("text".into()),
        number("-12.5"),
        AttributeValue::B(vec![0, 1, 255]),
        AttributeValue::Bool(true),
        AttributeValue::Null,
        AttributeValue::Ss(vec!["a".into(), "b".into()]),
        AttributeValue::Ns(vec![Number::parse("1").unwrap()]),
        AttributeValue::Bs(vec![vec![1]]),
        AttributeValue::L(vec![number("1"), AttributeValue::S("x".into())]),
        AttributeValue::M(Item::from([("a".to_string(), number("1"))])),
    ];
    one.iter().cycle().take(40).cloned().collect()
}

fn item() -> Item {
    let deep = (0..30).fold(number("7"), |inner, _| AttributeValue::M(Item::from([("a".to_string(), inner)])));
    let mut item: Item = parameters()
        .into_iter()
        .take(10)
        .enumerate()
        .map(|(i, value)| (format!("v{i}"), value))
        .collect();
    item.insert("a".into(), deep);
    item.insert("pk".into(), AttributeValue::S("p".into()));
    item
}

fn check_storable(item: &Item) {
    item_size(item);
    let decoded = decode_item(&encode_item(item)).expect("an updated item decodes");
    assert_eq!(&decoded, item);
}

fn run(text: &str, parameters: &[AttributeValue], item: &Item) {
    let Ok(parsed) = parse(text) else { return };
    let filter = match &parsed.statement {
        Statement::Select(select) | Statement::Exists(select) => select.filter.as_ref(),
        Statement::Update(update) => {
            if let Ok(actions) = bind_update_actions(&update.clauses, parameters) {
                let update = Update {
                    actions,
                    from_attribute_updates: false,
                };
                for target in [item, &Item::new()] {
                    if let Ok(updated) = update.apply(target) {
                        check_storable(&updated);
                    }
                }
            }
            update.filter.as_ref()
        }
        Statement::Delete(delete) => delete.filter.as_ref(),
        Statement::Insert(insert) => {
            if let Ok(AttributeValue::M(map)) = bind_value(&insert.item, parameters) {
                check_storable(&map);
            }
            None
        }
    };
    if let Some(Ok(condition)) = filter.map(|filter| bind_condition(filter, parameters)) {
        condition.evaluate(item);
        condition.evaluate(&Item::new());
        condition.top_level_attributes();
    }
}

fuzz_target!(init: halyard_fuzz::report_stack_overflows(), |data: &[u8]| {
    thread_local! {
        static CONTEXT: (Vec<AttributeValue>, Item) = (parameters(), item());
    }
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = if selector & 0x80 != 0 {
        // Twice the length limit, so that the limit itself is exercised.
        match halyard_fuzz::repeated(rest, 2 * MAX_STATEMENT_BYTES) {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => return,
        }
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    CONTEXT.with(|(parameters, item)| run(&text, parameters, item));
});
