//! The ordered write path, driven through the engine's API over real
//! SQLite storage: conditions are checked inside the writer, in order.

use std::collections::HashMap;
use std::sync::Arc;

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::update::Update;
use halyard_engine::expression::Placeholders;
use halyard_engine::model::{AttributeValue, Item, Number};
use halyard_engine::{Engine, EngineConfig, Error, GetItemInput, PutItemInput, UpdateItemInput};
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};

mod common;

async fn engine(dir: &std::path::Path) -> Arc<Engine> {
    let storage = SqliteStorage::open(dir, SqliteOptions::default()).unwrap();
    let engine = Arc::new(Engine::open(Arc::new(storage), EngineConfig::default()).unwrap());
    common::create_pk_table(&engine, "t").await;
    engine
}

fn key(pk: &str) -> Item {
    Item::from([("pk".to_string(), AttributeValue::S(pk.into()))])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conditional_creates_admit_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let names = HashMap::new();
    let values = HashMap::new();
    let condition = Condition::parse(
        "attribute_not_exists(pk)",
        "ConditionExpression",
        &mut Placeholders::new(&names, &values),
    )
    .unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|writer| {
            let engine = engine.clone();
            let condition = condition.clone();
            tokio::spawn(async move {
                let mut item = key("contended");
                item.insert(
                    "writer".into(),
                    AttributeValue::N(Number::parse(&writer.to_string()).unwrap()),
                );
                engine
                    .put_item(PutItemInput {
                        table_name: "t".into(),
                        item,
                        condition: Some(condition),
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(Error::ConditionalCheckFailed { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one conditional create may succeed");
    engine.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_are_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let names = HashMap::new();
    let values = HashMap::from([(":one".to_string(), AttributeValue::N(Number::parse("1").unwrap()))]);
    let update = Update::parse("ADD c :one", &mut Placeholders::new(&names, &values)).unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let engine = engine.clone();
            let update = update.clone();
            tokio::spawn(async move {
                engine
                    .update_item(UpdateItemInput {
                        table_name: "t".into(),
                        key: key("counter"),
                        update: Some(update),
                        condition: None,
                        return_values: Default::default(),
                        return_old_on_failure: false,
                    })
                    .await
                    .unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let item = engine
        .get_item(GetItemInput {
            table_name: "t".into(),
            key: key("counter"),
            ..Default::default()
        })
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["c"], AttributeValue::N(Number::parse("200").unwrap()));
    let table = engine.describe_table("t").unwrap();
    assert_eq!(table.stats.item_count, 1);
    engine.shutdown();
}

#[tokio::test]
async fn a_failed_write_leaves_no_trace_and_does_not_disturb_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let names = HashMap::new();
    let values = HashMap::from([(":s".to_string(), AttributeValue::S("text".into()))]);
    // Adding a number to a string fails inside the writer, after the read.
    let bad = Update::parse("SET a = :s ADD s :s", &mut Placeholders::new(&names, &values));
    assert!(bad.is_err(), "ADD of a string is refused at parse time");
    let values = HashMap::from([(":n".to_string(), AttributeValue::N(Number::parse("1").unwrap()))]);
    let update = Update::parse("SET a = :n ADD s :n", &mut Placeholders::new(&names, &values)).unwrap();
    let mut item = key("k");
    item.insert("s".into(), AttributeValue::S("not a number".into()));
    engine
        .put_item(PutItemInput {
            table_name: "t".into(),
            item: item.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let (failed, succeeded) = tokio::join!(
        engine.update_item(UpdateItemInput {
            table_name: "t".into(),
            key: key("k"),
            update: Some(update),
            condition: None,
            return_values: Default::default(),
            return_old_on_failure: false,
        }),
        engine.put_item(PutItemInput {
            table_name: "t".into(),
            item: key("other"),
            ..Default::default()
        }),
    );
    assert!(matches!(failed, Err(Error::Validation(_))), "{failed:?}");
    succeeded.unwrap();
    let stored = engine
        .get_item(GetItemInput {
            table_name: "t".into(),
            key: key("k"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        stored.item.unwrap(),
        item,
        "the failed update changed nothing, not even its SET part"
    );
    assert_eq!(engine.describe_table("t").unwrap().stats.item_count, 2);
    engine.shutdown();
}
