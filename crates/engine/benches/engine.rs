//! Item codec and expression evaluation: `cargo bench -p halyard-engine --bench engine`.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::Placeholders;
use halyard_engine::model::item_codec::{decode_item, encode_item};
use halyard_engine::model::{item_too_deep, AttributeValue, Item, Number};

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).expect("number"))
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

/// An item of about 200 bytes with most attribute types.
fn sample_item() -> Item {
    let mut address = Item::new();
    address.insert("city".into(), s("Lisbon"));
    address.insert("zip".into(), s("1100-148"));
    let mut item = Item::new();
    item.insert("pk".into(), s("user000000004217"));
    item.insert("sk".into(), n("1732550400123"));
    item.insert("name".into(), s("Ada Lovelace"));
    item.insert("title".into(), s("Analyst of engines"));
    item.insert("age".into(), n("36"));
    item.insert("balance".into(), n("-1234.5678"));
    item.insert("active".into(), AttributeValue::Bool(true));
    item.insert("deleted_at".into(), AttributeValue::Null);
    item.insert("avatar".into(), AttributeValue::B(vec![0xAB; 24]));
    item.insert(
        "tags".into(),
        AttributeValue::Ss(vec!["math".into(), "poetry".into(), "engines".into()]),
    );
    item.insert(
        "scores".into(),
        AttributeValue::Ns(vec![Number::parse("1").unwrap(), Number::parse("2.5").unwrap()]),
    );
    item.insert(
        "history".into(),
        AttributeValue::L(vec![s("login"), n("42"), AttributeValue::Bool(false)]),
    );
    item.insert("address".into(), AttributeValue::M(address));
    item
}

fn item_codec(c: &mut Criterion) {
    let item = sample_item();
    let bytes = encode_item(&item);
    let mut group = c.benchmark_group("item_codec");
    group.bench_function(format!("encode_item ({} bytes)", bytes.len()), |b| {
        b.iter(|| encode_item(black_box(&item)))
    });
    group.bench_function(format!("decode_item ({} bytes)", bytes.len()), |b| {
        b.iter(|| decode_item(black_box(&bytes)).expect("decodes"))
    });
    // The nesting check every written item gets, beside the cost of storing it.
    group.bench_function("item_too_deep", |b| b.iter(|| item_too_deep(black_box(&item))));
    group.finish();
}

fn condition(c: &mut Criterion) {
    let item = sample_item();
    let names: HashMap<String, String> = [
        ("#n".to_string(), "name".to_string()),
        ("#a".to_string(), "address".to_string()),
    ]
    .into_iter()
    .collect();
    let values: HashMap<String, AttributeValue> = [
        (":min".to_string(), n("18")),
        (":p".to_string(), s("Ada")),
        (":city".to_string(), s("Lisbon")),
        (":two".to_string(), n("2")),
        (":tag".to_string(), s("poetry")),
    ]
    .into_iter()
    .collect();
    let cases = [
        ("simple", "age > :min"),
        (
            "compound",
            "attribute_exists(pk) AND age >= :min AND begins_with(#n, :p) AND #a.city = :city \
             AND size(tags) > :two AND contains(tags, :tag) AND NOT attribute_exists(deleted_on)",
        ),
    ];
    let mut group = c.benchmark_group("condition");
    for (label, expression) in cases {
        let mut placeholders = Placeholders::new(&names, &values);
        let condition = Condition::parse(expression, "ConditionExpression", &mut placeholders)
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert!(condition.evaluate(&item), "{label} should hold");
        group.bench_function(format!("parse {label}"), |b| {
            b.iter(|| {
                let mut placeholders = Placeholders::new(&names, &values);
                Condition::parse(black_box(expression), "ConditionExpression", &mut placeholders).expect("parses")
            })
        });
        group.bench_function(format!("evaluate {label}"), |b| {
            b.iter(|| condition.evaluate(black_box(&item)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = item_codec, condition
}
criterion_main!(benches);
