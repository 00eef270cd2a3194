//! Multi-attribute index keys: the storage encoding sorts entries exactly as
//! DynamoDB orders them (by the sort attributes left to right, each by its
//! own type's order, for S, N and B mixed), and a key condition's storage
//! range holds exactly the entries that satisfy it, so a Query stays a
//! range seek. Checked against a reference model on random keys.

use std::cmp::Ordering;
use std::ops::Bound;

use halyard_engine::expression::condition::Comparator;
use halyard_engine::expression::key_condition::{self, KeyTerm, SortKeyCondition};
use halyard_engine::model::{AttributeValue, IndexKey, KeyAttribute, Number, ScalarType};
use halyard_engine::Error;
use halyard_storage::keycodec::{self, KeyValue};
use proptest::prelude::*;

fn key_value(value: &AttributeValue) -> KeyValue<'_> {
    match value {
        AttributeValue::S(s) => KeyValue::S(s),
        AttributeValue::N(n) => KeyValue::N(n.parts()),
        AttributeValue::B(b) => KeyValue::B(b),
        other => panic!("not a key value: {other:?}"),
    }
}

/// DynamoDB's order of two values of one key attribute.
fn compare(a: &AttributeValue, b: &AttributeValue) -> Ordering {
    match (a, b) {
        (AttributeValue::S(a), AttributeValue::S(b)) => a.as_bytes().cmp(b.as_bytes()),
        (AttributeValue::N(a), AttributeValue::N(b)) => a.cmp(b),
        (AttributeValue::B(a), AttributeValue::B(b)) => a.cmp(b),
        _ => panic!("values of one attribute have one type"),
    }
}

fn scalar_type() -> impl Strategy<Value = ScalarType> {
    prop_oneof![Just(ScalarType::S), Just(ScalarType::N), Just(ScalarType::B)]
}

/// Values from small domains, so that entries share prefixes often; they
/// include bytes the encoding escapes (00, FF) and numbers of every sign
/// and magnitude.
fn value_of(scalar_type: ScalarType) -> BoxedStrategy<AttributeValue> {
    match scalar_type {
        ScalarType::S => "[a\u{0}\u{e9}b]{1,3}".prop_map(AttributeValue::S).boxed(),
        ScalarType::N => prop_oneof![
            Just("-100"),
            Just("-1.5"),
            Just("-1"),
            Just("0"),
            Just("0.25"),
            Just("1"),
            Just("1.5"),
            Just("10"),
            Just("1E+30"),
        ]
        .prop_map(|text| AttributeValue::N(Number::parse(text).unwrap()))
        .boxed(),
        ScalarType::B => proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0x7f), Just(0xff)], 1..3)
            .prop_map(AttributeValue::B)
            .boxed(),
    }
}

/// An index key of 1–2 partition and 1–4 sort attributes with random types.
fn index_key() -> impl Strategy<Value = IndexKey> {
    (
        proptest::collection::vec(scalar_type(), 1..3),
        proptest::collection::vec(scalar_type(), 1..5),
    )
        .prop_map(|(partition, sort)| {
            let attributes = |prefix: &str, types: Vec<ScalarType>| -> Vec<KeyAttribute> {
                types
                    .into_iter()
                    .enumerate()
                    .map(|(i, scalar_type)| KeyAttribute {
                        name: format!("{prefix}{i}"),
                        scalar_type,
                    })
                    .collect()
            };
            IndexKey {
                partition: attributes("h", partition),
                sort: attributes("r", sort),
            }
        })
}

/// One entry's values, in key schema order.
fn entry(key: &IndexKey) -> BoxedStrategy<Vec<AttributeValue>> {
    key.attributes()
        .map(|attribute| value_of(attribute.scalar_type))
        .collect::<Vec<_>>()
        .boxed()
}

/// An entry's storage key: its index key values, then a unique suffix
/// standing for the table key.
fn storage_key(values: &[AttributeValue], id: usize) -> Vec<u8> {
    let mut key = Vec::new();
    for value in values {
        keycodec::encode(key_value(value), &mut key);
    }
    keycodec::encode(KeyValue::S(&format!("{id:04}")), &mut key);
    key
}

fn in_range(range: &(Bound<Vec<u8>>, Bound<Vec<u8>>), key: &[u8]) -> bool {
    let above = match &range.0 {
        Bound::Included(start) => key >= start.as_slice(),
        Bound::Excluded(start) => key > start.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match &range.1 {
        Bound::Included(end) => key <= end.as_slice(),
        Bound::Excluded(end) => key < end.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

fn satisfies(condition: &SortKeyCondition, value: &AttributeValue) -> bool {
    match condition {
        SortKeyCondition::Compare(comparator, bound) => {
            let order = compare(value, bound);
            match comparator {
                Comparator::Equal => order == Ordering::Equal,
                Comparator::Less => order == Ordering::Less,
                Comparator::LessOrEqual => order != Ordering::Greater,
                Comparator::Greater => order == Ordering::Greater,
                Comparator::GreaterOrEqual => order != Ordering::Less,
                Comparator::NotEqual => unreachable!("not a key condition"),
            }
        }
        SortKeyCondition::Between(low, high) => compare(value, low).is_ge() && compare(value, high).is_le(),
        SortKeyCondition::BeginsWith(prefix) => match (value, prefix) {
            (AttributeValue::S(v), AttributeValue::S(p)) => v.starts_with(p.as_str()),
            (AttributeValue::B(v), AttributeValue::B(p)) => v.starts_with(p),
            _ => unreachable!("begins_with takes S or B"),
        },
    }
}

/// A key condition drawn from the entries' own values (so that it matches
/// some) or from the whole domain: equalities on every partition attribute
/// and on the first `prefix` sort attributes, then maybe one other
/// condition on the next sort attribute.
#[derive(Debug, Clone)]
struct Query {
    terms: Vec<KeyTerm>,
}

fn query(key: &IndexKey, entries: &[Vec<AttributeValue>]) -> BoxedStrategy<Query> {
    let key = key.clone();
    let sample = entries.first().cloned();
    let values: Vec<BoxedStrategy<AttributeValue>> = key
        .attributes()
        .enumerate()
        .map(|(position, attribute)| match &sample {
            Some(sample) => {
                prop_oneof![3 => Just(sample[position].clone()), 1 => value_of(attribute.scalar_type)].boxed()
            }
            None => value_of(attribute.scalar_type),
        })
        .collect();
    let sort_count = key.sort.len();
    (values, 0..=sort_count, 0..6usize)
        .prop_flat_map(move |(values, prefix, kind)| {
            let key = key.clone();
            let last_type = key.sort.get(prefix).map(|a| a.scalar_type);
            let extra = last_type.map_or_else(|| Just(None).boxed(), |t| value_of(t).prop_map(Some).boxed());
            (Just((key, values, prefix, kind)), extra)
        })
        .prop_map(|((key, values, prefix, kind), extra)| {
            let mut terms = Vec::new();
            let equal = |name: &str, value: &AttributeValue| KeyTerm {
                attribute: name.to_string(),
                condition: SortKeyCondition::Compare(Comparator::Equal, value.clone()),
            };
            for (attribute, value) in key.attributes().zip(&values).take(key.partition.len() + prefix) {
                terms.push(equal(&attribute.name, value));
            }
            if let (Some(attribute), Some(extra)) = (key.sort.get(prefix), extra) {
                let value = values[key.partition.len() + prefix].clone();
                let (low, high) = match compare(&value, &extra) {
                    Ordering::Greater => (extra.clone(), value.clone()),
                    _ => (value.clone(), extra.clone()),
                };
                let condition = match kind {
                    0 => SortKeyCondition::Compare(Comparator::Less, value),
                    1 => SortKeyCondition::Compare(Comparator::LessOrEqual, value),
                    2 => SortKeyCondition::Compare(Comparator::Greater, value),
                    3 => SortKeyCondition::Compare(Comparator::GreaterOrEqual, value),
                    4 => SortKeyCondition::Between(low, high),
                    _ => match &value {
                        AttributeValue::S(s) => {
                            let first = s.chars().next().expect("key strings are not empty");
                            SortKeyCondition::BeginsWith(AttributeValue::S(first.to_string()))
                        }
                        AttributeValue::B(b) => SortKeyCondition::BeginsWith(AttributeValue::B(b[..1].to_vec())),
                        _ => SortKeyCondition::Compare(Comparator::Equal, value),
                    },
                };
                terms.push(KeyTerm {
                    attribute: attribute.name.clone(),
                    condition,
                });
            }
            // The order of the terms in an expression does not matter.
            terms.reverse();
            Query { terms }
        })
        .boxed()
}

fn case() -> impl Strategy<Value = (IndexKey, Vec<Vec<AttributeValue>>, Query)> {
    index_key()
        .prop_flat_map(|key| {
            let entries = proptest::collection::vec(entry(&key), 1..40);
            (Just(key), entries)
        })
        .prop_flat_map(|(key, entries)| {
            let query = query(&key, &entries);
            (Just(key), Just(entries), query)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Storage order is DynamoDB's order: tuple order, each value by its type.
    #[test]
    fn entries_sort_by_their_attributes_left_to_right((_key, entries, _query) in case()) {
        let mut by_storage: Vec<(Vec<u8>, usize)> =
            entries.iter().enumerate().map(|(id, values)| (storage_key(values, id), id)).collect();
        by_storage.sort();
        let mut by_model: Vec<usize> = (0..entries.len()).collect();
        by_model.sort_by(|&a, &b| {
            entries[a]
                .iter()
                .zip(&entries[b])
                .map(|(x, y)| compare(x, y))
                .find(|order| order.is_ne())
                .unwrap_or(Ordering::Equal)
                .then(a.cmp(&b))
        });
        prop_assert_eq!(by_storage.into_iter().map(|(_, id)| id).collect::<Vec<_>>(), by_model);
    }

    /// A key condition's range holds exactly the entries it matches.
    #[test]
    fn key_condition_ranges_hold_exactly_the_matching_entries((key, entries, query) in case()) {
        let condition = key_condition::resolve(query.terms.clone(), &key).expect("a valid condition");
        let range = condition.storage_range();
        for (id, values) in entries.iter().enumerate() {
            let expected = query.terms.iter().all(|term| {
                let position = key.attributes().position(|a| a.name == term.attribute).unwrap();
                satisfies(&term.condition, &values[position])
            });
            prop_assert_eq!(in_range(&range, &storage_key(values, id)), expected, "entry {:?}", values);
        }
    }
}

fn two_by_two() -> IndexKey {
    let attribute = |name: &str, scalar_type| KeyAttribute {
        name: name.into(),
        scalar_type,
    };
    IndexKey {
        partition: vec![attribute("h1", ScalarType::S), attribute("h2", ScalarType::N)],
        sort: vec![
            attribute("r1", ScalarType::S),
            attribute("r2", ScalarType::B),
            attribute("r3", ScalarType::N),
        ],
    }
}

fn term(attribute: &str, condition: SortKeyCondition) -> KeyTerm {
    KeyTerm {
        attribute: attribute.into(),
        condition,
    }
}

fn eq(value: AttributeValue) -> SortKeyCondition {
    SortKeyCondition::Compare(Comparator::Equal, value)
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(text: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(text).unwrap())
}

fn refusal(terms: Vec<KeyTerm>) -> String {
    match key_condition::resolve(terms, &two_by_two()) {
        Err(Error::Validation(message)) => message,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn every_partition_attribute_needs_an_equality() {
    let missing = refusal(vec![term("h1", eq(s("a")))]);
    assert!(
        missing.contains("every HASH key attribute") && missing.ends_with(": h2"),
        "{missing}"
    );
    let ranged = refusal(vec![
        term("h1", eq(s("a"))),
        term("h2", SortKeyCondition::Compare(Comparator::Greater, n("1"))),
    ]);
    assert!(ranged.ends_with("not an equality: h2"), "{ranged}");
}

#[test]
fn sort_attributes_are_used_left_to_right() {
    let partition = || vec![term("h1", eq(s("a"))), term("h2", eq(n("1")))];
    let mut skipped = partition();
    skipped.push(term("r2", eq(AttributeValue::B(vec![1]))));
    assert!(refusal(skipped).ends_with("missing: r1"));
    let mut range_then_more = partition();
    range_then_more.push(term("r1", SortKeyCondition::BeginsWith(s("x"))));
    range_then_more.push(term("r2", eq(AttributeValue::B(vec![1]))));
    assert!(refusal(range_then_more).ends_with("not an equality: r1"));
    let mut valid = partition();
    valid.push(term("r1", eq(s("x"))));
    valid.push(term("r2", SortKeyCondition::BeginsWith(AttributeValue::B(vec![1]))));
    let condition = key_condition::resolve(valid, &two_by_two()).unwrap();
    assert_eq!(condition.sort_prefix, vec![s("x")]);
}

#[test]
fn conditions_are_checked_against_each_attribute_type() {
    let wrong_type = refusal(vec![term("h1", eq(s("a"))), term("h2", eq(s("1")))]);
    assert!(wrong_type.contains("Condition parameter type does not match schema type"));
    let duplicate = refusal(vec![term("h1", eq(s("a"))), term("h1", eq(s("b")))]);
    assert_eq!(
        duplicate,
        "KeyConditionExpressions must only contain one condition per key"
    );
    let unknown = refusal(vec![term("h1", eq(s("a"))), term("x", eq(s("b")))]);
    assert_eq!(unknown, "Query condition missed key schema element: h2");
}
