//! Resource-based policies of tables and streams (PutResourcePolicy,
//! GetResourcePolicy, DeleteResourcePolicy, CreateTable's ResourcePolicy):
//! which resource an ARN names, and how a change meets the policy the
//! writer finds, with DynamoDB's errors.

use std::sync::Arc;

use crate::catalog::Table;
use crate::model::{ResourcePolicy, StreamPolicy, TableDefinition};
use crate::{Engine, Error, Result};

/// ExpectedRevisionId that asks for a policy only where there is none.
const NO_POLICY: &str = "NO_POLICY";

/// The resource of a policy ARN, within its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PolicyTarget {
    Table,
    /// The table's stream with this ARN.
    Stream(String),
}

#[derive(Debug)]
pub(crate) enum PolicyAction {
    /// A document already validated and in canonical form.
    Put(String),
    Delete,
}

/// A policy change, applied by the writer against the table as it is then.
#[derive(Debug)]
pub(crate) struct PolicyChange {
    /// The ResourceArn as given, for error messages.
    pub arn: String,
    pub target: PolicyTarget,
    pub action: PolicyAction,
    pub expected_revision_id: Option<String>,
    /// When the request arrived, in seconds since the epoch.
    pub now: f64,
    /// How long after a change of this policy another is refused.
    pub cooldown: std::time::Duration,
}

/// A revision id for a policy written at `now` (seconds since the epoch):
/// its milliseconds, as DynamoDB's revision ids are.
pub(crate) fn revision_at(now: f64) -> u64 {
    (now * 1000.0).round().max(0.0) as u64
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

/// The table name and target an ARN names, checked for shape, partition,
/// region and account, as DynamoDB checks them before anything else.
fn parse_arn<'a>(arn: &'a str, region: &str, account: &str) -> Result<(&'a str, PolicyTarget)> {
    if !arn.starts_with("arn:") {
        return Err(invalid(format!("ARNs must start with 'arn:': {arn}")));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, service, arn_region, arn_account, resource] = parts[..] else {
        return Err(invalid(format!("Invalid resource Arn: {arn}")));
    };
    if service != "dynamodb" {
        return Err(invalid(format!("Provided Arn is not a DynamoDB resource {arn}")));
    }
    if partition != "aws" || arn_region != region {
        return Err(invalid(format!("Invalid resource Arn: {arn}")));
    }
    if arn_account != account {
        return Err(Error::validation(
            "This action is only supported by accounts that match the resource owner\u{2019}s account.",
        ));
    }
    let not_dynamodb = || invalid(format!("Provided Arn is not a DynamoDB resource {arn}"));
    let path = resource.strip_prefix("table/").ok_or_else(not_dynamodb)?;
    let mut segments = path.split('/');
    let name = segments
        .next()
        .filter(|name| !name.is_empty())
        .ok_or_else(not_dynamodb)?;
    match (segments.next(), segments.next(), segments.next()) {
        (None, _, _) => Ok((name, PolicyTarget::Table)),
        (Some("stream"), Some(label), None) if !label.is_empty() => Ok((name, PolicyTarget::Stream(arn.to_string()))),
        (Some("index"), _, _) => Err(invalid(format!(
            "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
        ))),
        _ => Err(not_dynamodb()),
    }
}

fn table_not_found(name: &str) -> Error {
    Error::ResourceNotFound(format!("Requested resource not found: Table: {name} not found"))
}

/// Checks that the table still has the stream `arn` as its latest.
fn check_stream(definition: &TableDefinition, arn: &str) -> Result<()> {
    if definition.stream.as_ref().is_some_and(|stream| stream.arn == arn) {
        return Ok(());
    }
    let label = arn.rsplit('/').next().unwrap_or_default();
    Err(Error::ResourceNotFound(format!(
        "Requested resource not found: Stream: {label} not found for Table: {}",
        definition.name
    )))
}

/// The policy `target` has in `definition`.
fn current<'a>(definition: &'a TableDefinition, target: &PolicyTarget) -> Option<&'a ResourcePolicy> {
    match target {
        PolicyTarget::Table => definition.resource_policy.as_ref(),
        PolicyTarget::Stream(arn) => definition
            .stream_policy
            .as_ref()
            .filter(|stream_policy| &stream_policy.stream_arn == arn)
            .map(|stream_policy| &stream_policy.policy),
    }
}

pub(crate) fn policy_not_found(arn: &str) -> Error {
    Error::PolicyNotFound(format!(
        "Resource-based policy not found for the provided ResourceArn: {arn}"
    ))
}

/// ExpectedRevisionId against the policy there is: a mismatch, or any
/// expectation where there is no policy, is PolicyNotFoundException.
fn check_expected(definition: &TableDefinition, change: &PolicyChange, current: Option<&ResourcePolicy>) -> Result<()> {
    let Some(expected) = change.expected_revision_id.as_deref() else {
        return Ok(());
    };
    let put = matches!(change.action, PolicyAction::Put(_));
    match current {
        None if put && expected == NO_POLICY => Ok(()),
        None => Err(policy_not_found(&change.arn)),
        Some(policy) if put && expected == NO_POLICY => Err(Error::PolicyNotFound(format!(
            "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table {}, but a policy exists with revision id {}.",
            definition.name, policy.revision_id
        ))),
        Some(policy) if policy.revision_id != expected => Err(Error::PolicyNotFound(format!(
            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {expected}, but the policy associated to target table {} has revision id {}.",
            definition.name, policy.revision_id
        ))),
        Some(_) => Ok(()),
    }
}

/// Applies `change` to `definition`. Putting the policy already there
/// changes nothing (its revision id stays), as in DynamoDB.
pub(crate) fn apply(definition: &mut TableDefinition, change: &PolicyChange) -> Result<()> {
    if let PolicyTarget::Stream(arn) = &change.target {
        check_stream(definition, arn)?;
    }
    let existing = current(definition, &change.target);
    check_expected(definition, change, existing)?;
    if matches!(&change.action, PolicyAction::Put(document) if existing.is_some_and(|policy| &policy.document == document))
    {
        return Ok(());
    }
    check_cooldown(definition, change)?;
    let updated = match &change.action {
        PolicyAction::Put(document) => {
            let after = existing
                .and_then(|policy| policy.revision_id.parse::<u64>().ok())
                .map_or(0, |previous| previous + 1);
            Some(ResourcePolicy {
                document: document.clone(),
                revision_id: revision_at(change.now).max(after).to_string(),
            })
        }
        PolicyAction::Delete => None,
    };
    let changed = Some(revision_at(change.now));
    match &change.target {
        PolicyTarget::Table => {
            definition.resource_policy = updated;
            definition.policy_changes.table = changed;
        }
        PolicyTarget::Stream(arn) => {
            definition.stream_policy = updated.map(|policy| StreamPolicy {
                stream_arn: arn.clone(),
                policy,
            });
            definition.policy_changes.stream = changed;
        }
    }
    Ok(())
}

/// Refuses a change within the cool-down after the last one, with
/// DynamoDB's ThrottlingException naming when to try again.
fn check_cooldown(definition: &TableDefinition, change: &PolicyChange) -> Result<()> {
    let (last, resource) = match &change.target {
        PolicyTarget::Table => (definition.policy_changes.table, format!("table {}", definition.name)),
        PolicyTarget::Stream(arn) => (
            definition.policy_changes.stream,
            format!("stream {}", arn.rsplit('/').next().unwrap_or_default()),
        ),
    };
    let cooldown = change.cooldown.as_millis() as u64;
    match last {
        Some(last) if revision_at(change.now).saturating_sub(last) < cooldown => Err(Error::Throttling(format!(
            "Resource-based policy for {resource} modified within the previous {cooldown} milliseconds. Please try again after {}Z.",
            crate::streams::label_at((last + cooldown) as f64 / 1000.0)
        ))),
        _ => Ok(()),
    }
}

/// The policies of a live table, shared with every request that reads
/// them (the authoriser's, on each request).
#[derive(Debug, Default)]
pub(crate) struct LivePolicies {
    pub table: Option<Arc<ResourcePolicy>>,
    pub stream: Option<Arc<ResourcePolicy>>,
}

impl LivePolicies {
    pub fn of(definition: &TableDefinition) -> LivePolicies {
        let latest_stream = definition.stream.as_ref().map(|stream| stream.arn.as_str());
        LivePolicies {
            table: definition.resource_policy.clone().map(Arc::new),
            stream: definition
                .stream_policy
                .as_ref()
                .filter(|stream_policy| Some(stream_policy.stream_arn.as_str()) == latest_stream)
                .map(|stream_policy| Arc::new(stream_policy.policy.clone())),
        }
    }
}

impl Table {
    /// The live policy of `target`.
    pub fn policy(&self, target: &PolicyTarget) -> Option<&Arc<ResourcePolicy>> {
        match target {
            PolicyTarget::Table => self.policies.table.as_ref(),
            PolicyTarget::Stream(_) => self.policies.stream.as_ref(),
        }
    }
}

impl Engine {
    /// Checks a policy ResourceArn's shape, partition, region and account
    /// (DynamoDB does so before it reads the policy document).
    pub fn check_policy_arn(&self, arn: &str) -> Result<()> {
        parse_arn(arn, &self.config.region, &self.config.account_id).map(|_| ())
    }

    /// The live table and the resource a policy ARN names: the table, or
    /// its latest stream.
    pub(crate) fn policy_target(&self, arn: &str) -> Result<(Arc<Table>, PolicyTarget)> {
        let (name, target) = parse_arn(arn, &self.config.region, &self.config.account_id)?;
        let table = self.catalog.get(name).ok_or_else(|| table_not_found(name))?;
        if let PolicyTarget::Stream(stream_arn) = &target {
            check_stream(&table.definition, stream_arn)?;
        }
        Ok((table, target))
    }

    /// A table's resource-based policy, from the in-memory catalog (no
    /// storage read): what the authoriser evaluates with the caller's own.
    pub fn resource_policy(&self, table_name: &str) -> Option<Arc<ResourcePolicy>> {
        self.catalog.get(table_name)?.policies.table.clone()
    }

    /// The resource-based policy of a stream (`arn:...:table/T/stream/L`),
    /// from the in-memory catalog; none for a stream that is not its
    /// table's latest.
    pub fn stream_resource_policy(&self, stream_arn: &str) -> Option<Arc<ResourcePolicy>> {
        let (name, target) = parse_arn(stream_arn, &self.config.region, &self.config.account_id).ok()?;
        let PolicyTarget::Stream(_) = target else {
            return None;
        };
        let table = self.catalog.get(name)?;
        let latest = table.definition.stream.as_ref()?;
        (latest.arn == stream_arn)
            .then(|| table.policies.stream.clone())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/orders";

    fn parse(arn: &str) -> Result<(&str, PolicyTarget)> {
        parse_arn(arn, "us-east-1", "000000000000")
    }

    fn definition() -> TableDefinition {
        let json = serde_json::json!({
            "name": "orders", "id": "id", "arn": TABLE, "created": 0.0, "key_schema": [],
            "attribute_definitions": [],
            "primary_key": {"partition": {"name": "pk", "scalar_type": "S"}, "sort": null},
            "billing_mode": "PayPerRequest", "throughput": {"read_capacity_units": 0,
            "write_capacity_units": 0, "last_increase": null, "last_decrease": null,
            "number_of_decreases_today": 0}, "last_update_to_pay_per_request": null, "tags": [],
            "deletion_protection": false, "keyspace": "t"
        });
        serde_json::from_value(json).expect("a table definition")
    }

    fn put(document: &str, expected: Option<&str>, now: f64) -> PolicyChange {
        PolicyChange {
            arn: TABLE.into(),
            target: PolicyTarget::Table,
            action: PolicyAction::Put(document.into()),
            expected_revision_id: expected.map(str::to_string),
            now,
            cooldown: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn arns_name_a_table_or_its_stream() {
        assert_eq!(parse(TABLE).unwrap(), ("orders", PolicyTarget::Table));
        let stream = format!("{TABLE}/stream/2026-01-01T00:00:00.000");
        assert_eq!(
            parse(&stream).unwrap(),
            ("orders", PolicyTarget::Stream(stream.clone()))
        );
        for refused in [
            "orders",
            "arn:aws:dynamodb:us-east-1",
            "arn:aws:s3:us-east-1:000000000000:table/orders",
            "arn:aws-cn:dynamodb:us-east-1:000000000000:table/orders",
            "arn:aws:dynamodb:eu-west-1:000000000000:table/orders",
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            "arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/i",
            "arn:aws:dynamodb:us-east-1:000000000000:table/orders/backup/b",
            "arn:aws:dynamodb:us-east-1:000000000000:table/",
            "arn:aws:dynamodb:us-east-1:000000000000:global-table/orders",
        ] {
            assert!(matches!(parse(refused), Err(Error::Validation(_))), "{refused}");
        }
    }

    #[test]
    fn revisions_grow_and_an_unchanged_document_keeps_its_revision() {
        let mut table = definition();
        apply(&mut table, &put("a", None, 10.0)).unwrap();
        let first = table.resource_policy.clone().unwrap();
        assert_eq!(first.revision_id, "10000");
        apply(&mut table, &put("a", None, 20.0)).unwrap();
        assert_eq!(table.resource_policy.as_ref().unwrap(), &first);
        // A clock that went back still gives a later revision.
        apply(&mut table, &put("b", Some("10000"), 5.0)).unwrap();
        assert_eq!(table.resource_policy.as_ref().unwrap().revision_id, "10001");
    }

    #[test]
    fn a_change_within_the_cooldown_is_throttled() {
        let mut table = definition();
        let cooled = |document: &str, now: f64| PolicyChange {
            cooldown: std::time::Duration::from_secs(15),
            ..put(document, None, now)
        };
        apply(&mut table, &cooled("a", 100.0)).unwrap();
        // The same document again is no change, so no refusal.
        apply(&mut table, &cooled("a", 101.0)).unwrap();
        let Err(Error::Throttling(message)) = apply(&mut table, &cooled("b", 114.9)) else {
            panic!("not throttled");
        };
        assert_eq!(
            message,
            "Resource-based policy for table orders modified within the previous 15000 milliseconds. \
             Please try again after 1970-01-01T00:01:55.000Z."
        );
        apply(&mut table, &cooled("b", 115.0)).unwrap();
        // A delete is a change too.
        let delete = PolicyChange {
            action: PolicyAction::Delete,
            ..cooled("", 130.0)
        };
        apply(&mut table, &delete).unwrap();
        assert!(matches!(
            apply(&mut table, &cooled("c", 131.0)),
            Err(Error::Throttling(_))
        ));
    }

    #[test]
    fn expected_revisions() {
        let mut table = definition();
        assert!(matches!(
            apply(&mut table, &put("a", Some("1"), 1.0)),
            Err(Error::PolicyNotFound(_))
        ));
        apply(&mut table, &put("a", Some(NO_POLICY), 1.0)).unwrap();
        assert!(matches!(
            apply(&mut table, &put("b", Some(NO_POLICY), 2.0)),
            Err(Error::PolicyNotFound(_))
        ));
        assert!(matches!(
            apply(&mut table, &put("b", Some("999"), 2.0)),
            Err(Error::PolicyNotFound(_))
        ));
        assert_eq!(table.resource_policy.as_ref().unwrap().document, "a");
        let delete = PolicyChange {
            action: PolicyAction::Delete,
            expected_revision_id: Some("1000".into()),
            ..put("", None, 3.0)
        };
        apply(&mut table, &delete).unwrap();
        assert_eq!(table.resource_policy, None);
        assert!(matches!(apply(&mut table, &delete), Err(Error::PolicyNotFound(_))));
    }

    #[test]
    fn a_stream_policy_needs_the_tables_latest_stream() {
        let mut table = definition();
        let stream = format!("{TABLE}/stream/2026-01-01T00:00:00.000");
        let change = PolicyChange {
            arn: stream.clone(),
            target: PolicyTarget::Stream(stream.clone()),
            ..put("s", None, 1.0)
        };
        assert!(matches!(apply(&mut table, &change), Err(Error::ResourceNotFound(_))));
        table.stream = Some(crate::model::TableStream {
            arn: stream.clone(),
            label: "2026-01-01T00:00:00.000".into(),
            view_type: crate::model::StreamViewType::KeysOnly,
            enabled: true,
        });
        apply(&mut table, &change).unwrap();
        assert_eq!(table.resource_policy, None);
        assert_eq!(LivePolicies::of(&table).stream.unwrap().document, "s");
        // A new stream does not inherit the old one's policy.
        table.stream.as_mut().unwrap().arn = format!("{TABLE}/stream/2026-02-01T00:00:00.000");
        assert!(LivePolicies::of(&table).stream.is_none());
    }
}
