//! Table settings that have operations of their own (tags, Time to Live,
//! resource policies):
//! each change is checked and applied by the writer against the table as
//! it is then, so that concurrent changes never overwrite each other.

use crate::catalog::Table;
use crate::error::{Error, Result};
use crate::model::{PointInTimeRecovery, TableDefinition, Tag, TimeToLive};
use crate::resource_policies::{self, PolicyChange};
use crate::time_to_live;
use halyard_storage::WriteTransaction;

/// DynamoDB's limit on a table's tags.
pub(crate) const MAX_TAGS: usize = 50;

#[derive(Debug)]
pub(crate) enum TableChange {
    /// TagResource: adds the tags, replacing the values of keys present.
    Tag(Vec<Tag>),
    /// UntagResource: removes the keys (absent ones are no error).
    Untag(Vec<String>),
    /// UpdateTimeToLive.
    TimeToLive {
        enabled: bool,
        attribute_name: String,
        /// When the request arrived, in seconds since the epoch.
        now: f64,
        /// Seconds after a change during which another is refused.
        cooldown: f64,
    },
    /// PutResourcePolicy or DeleteResourcePolicy.
    Policy(PolicyChange),
    /// UpdateContinuousBackups: enables (with a recovery period in days)
    /// or disables point-in-time recovery.
    PointInTimeRecovery { enabled: bool, days: Option<i64>, now: f64 },
    /// ImportTable has written every item: the table becomes ACTIVE.
    ImportDone,
}

/// Settings that only their own operations change: an UpdateTable keeps
/// them as they are when the writer applies it.
pub(crate) fn keep_owned(current: &TableDefinition, updated: &mut TableDefinition) {
    updated.tags = current.tags.clone();
    updated.time_to_live = current.time_to_live.clone();
    updated.time_to_live_changed = current.time_to_live_changed;
    updated.resource_policy = current.resource_policy.clone();
    updated.stream_policy = current.stream_policy.clone();
    updated.policy_changes = current.policy_changes.clone();
    updated.point_in_time_recovery = current.point_in_time_recovery.clone();
    updated.restore = current.restore.clone();
    updated.importing = current.importing;
}

/// The table's definition after `change`, creating or dropping the expiry
/// index keyspace when TTL is enabled or disabled.
pub(crate) fn apply(tx: &mut dyn WriteTransaction, table: &Table, change: &TableChange) -> Result<TableDefinition> {
    let mut definition = table.definition.clone();
    match change {
        TableChange::Tag(tags) => {
            for tag in tags {
                match definition.tags.iter_mut().find(|t| t.key == tag.key) {
                    Some(existing) => existing.value = tag.value.clone(),
                    None => definition.tags.push(tag.clone()),
                }
            }
            if definition.tags.len() > MAX_TAGS {
                return Err(too_many_tags());
            }
        }
        TableChange::Untag(keys) => definition.tags.retain(|tag| !keys.contains(&tag.key)),
        TableChange::TimeToLive {
            enabled,
            attribute_name,
            now,
            cooldown,
        } => {
            // What the change asks is checked before the cool-down, as in DynamoDB.
            match (&definition.time_to_live, enabled) {
                (Some(ttl), true) if &ttl.attribute_name == attribute_name => {
                    return Err(Error::validation("TimeToLive is already enabled"))
                }
                (Some(ttl), _) if &ttl.attribute_name != attribute_name => {
                    return Err(Error::validation("TimeToLive is active on a different AttributeName"))
                }
                (None, false) => return Err(Error::validation("TimeToLive is already disabled")),
                _ => {}
            }
            if definition
                .time_to_live_changed
                .is_some_and(|changed| now - changed < *cooldown)
            {
                return Err(Error::validation(
                    "Time to live has been modified multiple times within a fixed interval",
                ));
            }
            match definition.time_to_live.take() {
                Some(ttl) => tx.drop_keyspace(&ttl.keyspace)?,
                None => {
                    let keyspace = time_to_live::keyspace_for(&definition.id);
                    tx.create_keyspace(&keyspace)?;
                    definition.time_to_live = Some(TimeToLive {
                        attribute_name: attribute_name.clone(),
                        keyspace,
                        // An empty table has nothing to backfill.
                        indexed: table.stats().item_count == 0,
                    });
                }
            }
            definition.time_to_live_changed = Some(*now);
        }
        TableChange::Policy(change) => resource_policies::apply(&mut definition, change)?,
        TableChange::PointInTimeRecovery { enabled, days, now } => {
            definition.point_in_time_recovery = match (&definition.point_in_time_recovery, enabled) {
                (_, false) => None,
                // Enabled already: only the period changes; the history is kept.
                (Some(current), true) => Some(PointInTimeRecovery {
                    recovery_period_days: days.unwrap_or(current.recovery_period_days),
                    ..current.clone()
                }),
                (None, true) => Some(PointInTimeRecovery {
                    enabled_at: *now,
                    recovery_period_days: days.unwrap_or(crate::backups::DEFAULT_RECOVERY_PERIOD_DAYS),
                }),
            };
        }
        TableChange::ImportDone => definition.importing = false,
    }
    Ok(definition)
}

pub(crate) fn too_many_tags() -> Error {
    Error::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}
