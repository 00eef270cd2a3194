//! Resource-based policies of tables and streams, as stored with the
//! table's definition.

use serde::{Deserialize, Serialize};

/// A policy document (validated and in DynamoDB's canonical form) and
/// its revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePolicy {
    pub document: String,
    /// A number, as a string: the milliseconds since the epoch when this
    /// revision was written, or one more than the previous revision.
    pub revision_id: String,
}

/// The policy of a table's stream: the stream's own, so it applies only
/// while `stream_arn` is the table's latest stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPolicy {
    pub stream_arn: String,
    pub policy: ResourcePolicy,
}

/// When each of a table's policy slots last changed (milliseconds since the
/// epoch): DynamoDB refuses another change for a while after one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyChanges {
    pub table: Option<u64>,
    pub stream: Option<u64>,
}
