//! The throttle with an injected clock: admission, settlement, refunds,
//! reasons, and limits read from the current definition.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::model::{
    IndexDefinition, IndexStatus, KeyAttribute, OnDemandThroughput, PrimaryKey, ProjectionType, ProvisionedThroughput,
    ScalarType,
};

/// A clock the test moves by hand.
#[derive(Default)]
struct ManualClock(AtomicU64);

impl ManualClock {
    fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds * 1_000_000_000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

fn key() -> PrimaryKey {
    PrimaryKey {
        partition: KeyAttribute {
            name: "pk".into(),
            scalar_type: ScalarType::S,
        },
        sort: None,
    }
}

fn throughput(read: i64, write: i64) -> ProvisionedThroughput {
    ProvisionedThroughput {
        read_capacity_units: read,
        write_capacity_units: write,
        ..Default::default()
    }
}

fn table(billing_mode: BillingMode, read: i64, write: i64) -> TableDefinition {
    TableDefinition {
        name: "t".into(),
        id: "id-1".into(),
        arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t".into(),
        created: 0.0,
        key_schema: Vec::new(),
        attribute_definitions: Vec::new(),
        primary_key: key(),
        billing_mode,
        throughput: throughput(read, write),
        last_update_to_pay_per_request: None,
        tags: Vec::new(),
        deletion_protection: false,
        keyspace: "t_1".into(),
        indexes: vec![IndexDefinition {
            name: "g".into(),
            kind: IndexKind::Global,
            key_schema: Vec::new(),
            key: key().into(),
            projection_type: ProjectionType::All,
            non_key_attributes: Vec::new(),
            throughput: Some(throughput(read, 1)),
            arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/g".into(),
            status: IndexStatus::Active,
            keyspace: "i_1".into(),
            on_demand_throughput: OnDemandThroughput::default(),
            warm_throughput: Default::default(),
        }],
        on_demand_throughput: OnDemandThroughput::default(),
        warm_throughput: Default::default(),
        table_class: None,
        stream: None,
        time_to_live: None,
        time_to_live_changed: None,
        resource_policy: None,
        stream_policy: None,
        policy_changes: Default::default(),
        point_in_time_recovery: None,
        restore: None,
        sse: None,
        importing: false,
    }
}

fn throttle() -> (Throttle, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    (Throttle::with_clock(true, clock.clone()), clock)
}

fn write(units: f64) -> Demand {
    Demand::table(Access::Write, units)
}

fn reasons(error: Error) -> Vec<String> {
    match error {
        Error::Throttled { reasons, .. } => reasons.into_iter().map(|r| r.reason).collect(),
        other => panic!("not throttled: {other:?}"),
    }
}

#[test]
fn a_spent_table_is_throttled_until_capacity_accrues() {
    let (throttle, clock) = throttle();
    let definition = table(BillingMode::Provisioned, 1, 1);
    let admission = throttle.admit(&definition, &[write(1.0)]).unwrap();
    throttle.settle("t", admission, &[write(300.0)]);
    let error = throttle.admit(&definition, &[write(1.0)]).unwrap_err();
    assert_eq!(reasons(error), ["TableWriteProvisionedThroughputExceeded"]);
    // Reads have a bucket of their own.
    drop(
        throttle
            .admit(&definition, &[Demand::table(Access::Read, 1.0)])
            .unwrap(),
    );
    clock.advance(1);
    drop(throttle.admit(&definition, &[write(1.0)]).unwrap());
}

#[test]
fn a_spent_index_throttles_the_table_write_and_names_the_index() {
    let (throttle, _clock) = throttle();
    let definition = table(BillingMode::Provisioned, 100, 100);
    let admission = throttle
        .admit(&definition, &[write(1.0), Demand::index("g", Access::Write, 300.0)])
        .unwrap();
    throttle.settle(
        "t",
        admission,
        &[write(300.0), Demand::index("g", Access::Write, 300.0)],
    );
    let error = throttle
        .admit(&definition, &[write(1.0), Demand::index("g", Access::Write, 1.0)])
        .unwrap_err();
    let Error::Throttled { message, reasons } = error else {
        panic!("not throttled")
    };
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0].reason, "IndexWriteProvisionedThroughputExceeded");
    assert_eq!(reasons[0].resource, definition.indexes[0].arn);
    assert!(message.contains("global secondary indexes"));
    // The refused request charged nothing to the table.
    drop(throttle.admit(&definition, &[write(29_700.0)]).unwrap());
}

#[test]
fn a_refund_gives_the_estimate_back() {
    let (throttle, _clock) = throttle();
    let definition = table(BillingMode::Provisioned, 1, 1);
    let admission = throttle.admit(&definition, &[write(300.0)]).unwrap();
    throttle.refund(admission);
    drop(throttle.admit(&definition, &[write(300.0)]).unwrap());
}

#[test]
fn raising_provisioned_throughput_applies_at_once() {
    let (throttle, _clock) = throttle();
    let mut definition = table(BillingMode::Provisioned, 1, 1);
    let admission = throttle.admit(&definition, &[write(300.0)]).unwrap();
    drop(admission);
    assert!(throttle.admit(&definition, &[write(1.0)]).is_err());
    definition.throughput.write_capacity_units = 10;
    drop(throttle.admit(&definition, &[write(1.0)]).unwrap());
}

#[test]
fn on_demand_tables_are_limited_only_by_their_maximums() {
    let (throttle, clock) = throttle();
    let mut definition = table(BillingMode::PayPerRequest, 0, 0);
    for _ in 0..100 {
        throttle.settle(
            "t",
            throttle.admit(&definition, &[write(1000.0)]).unwrap(),
            &[write(1000.0)],
        );
    }
    definition.on_demand_throughput.max_write_request_units = 5;
    drop(throttle.admit(&definition, &[write(12.0)]).unwrap());
    let error = throttle.admit(&definition, &[write(1.0)]).unwrap_err();
    assert_eq!(reasons(error), ["TableWriteMaxOnDemandThroughputExceeded"]);
    // 7 units of debt, repaid at 5 a second.
    clock.advance(1);
    assert!(throttle.admit(&definition, &[write(1.0)]).is_err());
    clock.advance(1);
    drop(throttle.admit(&definition, &[write(1.0)]).unwrap());
}

#[test]
fn disabled_throttle_admits_everything() {
    let throttle = Throttle::with_clock(false, Arc::new(ManualClock::default()));
    let definition = table(BillingMode::Provisioned, 1, 1);
    for _ in 0..10 {
        throttle.settle(
            "t",
            throttle.admit(&definition, &[write(400.0)]).unwrap(),
            &[write(400.0)],
        );
    }
}

#[test]
fn forgetting_a_table_drops_its_buckets() {
    let (throttle, _clock) = throttle();
    let definition = table(BillingMode::Provisioned, 1, 1);
    drop(throttle.admit(&definition, &[write(300.0)]).unwrap());
    throttle.forget(&definition.id);
    drop(throttle.admit(&definition, &[write(300.0)]).unwrap());
}

#[test]
fn a_billing_mode_switch_starts_the_limits_over() {
    let (throttle, _clock) = throttle();
    let before = table(BillingMode::Provisioned, 1, 1);
    drop(throttle.admit(&before, &[write(300.0)]).unwrap());
    let mut after = before.clone();
    after.billing_mode = BillingMode::PayPerRequest;
    throttle.forget_stale(&before, &after);
    // Back to the same provisioned throughput: the bucket is full again.
    throttle.forget_stale(&after, &before);
    drop(throttle.admit(&before, &[write(300.0)]).unwrap());
}

#[test]
fn a_deleted_index_loses_its_buckets_and_the_table_keeps_its_own() {
    let (throttle, _clock) = throttle();
    let before = table(BillingMode::Provisioned, 1, 1);
    drop(
        throttle
            .admit(&before, &[write(300.0), Demand::index("g", Access::Write, 300.0)])
            .unwrap(),
    );
    let mut after = before.clone();
    after.indexes.clear();
    throttle.forget_stale(&before, &after);
    assert!(throttle.admit(&after, &[write(1.0)]).is_err());
    assert_eq!(throttle.buckets.lock().unwrap().len(), 1);
}
