//! Table definitions as stored in the catalog.

use serde::{Deserialize, Serialize};

use super::attribute_value::{AttributeValue, Item};
use super::index_key::IndexKey;

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    pub fn matches(self, value: &AttributeValue) -> bool {
        matches!(
            (self, value),
            (ScalarType::S, AttributeValue::S(_))
                | (ScalarType::N, AttributeValue::N(_))
                | (ScalarType::B, AttributeValue::B(_))
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyType {
    Hash,
    Range,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: KeyType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: ScalarType,
}

/// A key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    pub name: String,
    pub scalar_type: ScalarType,
}

/// A table's primary key: partition (hash) key and optional sort (range) key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub partition: KeyAttribute,
    pub sort: Option<KeyAttribute>,
}

impl PrimaryKey {
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition).chain(self.sort.as_ref())
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.attributes().any(|key| key.name == name)
    }

    /// The key attributes of `item` (which must hold them).
    pub fn key_of(&self, item: &Item) -> Item {
        self.attributes()
            .filter_map(|key| item.get(&key.name).map(|v| (key.name.clone(), v.clone())))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn name(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ProvisionedThroughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
    /// Seconds since the epoch, as DynamoDB reports them.
    pub last_increase: Option<f64>,
    pub last_decrease: Option<f64>,
    pub number_of_decreases_today: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Everything stored about a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDefinition {
    pub name: String,
    /// Unique per table incarnation: a re-created table gets a new id.
    pub id: String,
    pub arn: String,
    pub created: f64,
    pub key_schema: Vec<KeySchemaElement>,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub primary_key: PrimaryKey,
    pub billing_mode: BillingMode,
    pub throughput: ProvisionedThroughput,
    /// When the table last switched to on-demand, if ever.
    pub last_update_to_pay_per_request: Option<f64>,
    pub tags: Vec<Tag>,
    pub deletion_protection: bool,
    /// The storage keyspace that holds the table's items.
    pub keyspace: String,
    /// Global and local secondary indexes.
    #[serde(default)]
    pub indexes: Vec<IndexDefinition>,
    /// On-demand maximums, warm throughput and table class.
    #[serde(default)]
    pub on_demand_throughput: super::OnDemandThroughput,
    #[serde(default)]
    pub warm_throughput: super::WarmThroughput,
    #[serde(default)]
    pub table_class: Option<super::TableClassSummary>,
    /// The latest stream, enabled or not.
    #[serde(default)]
    pub stream: Option<super::TableStream>,
    /// Time to Live, while it is enabled.
    #[serde(default)]
    pub time_to_live: Option<TimeToLive>,
    /// When Time to Live was last enabled or disabled (seconds since the
    /// epoch): DynamoDB refuses another change for a while after one.
    #[serde(default)]
    pub time_to_live_changed: Option<f64>,
    /// The table's resource-based policy (PutResourcePolicy, CreateTable).
    #[serde(default)]
    pub resource_policy: Option<super::ResourcePolicy>,
    /// The resource-based policy of the table's latest stream.
    #[serde(default)]
    pub stream_policy: Option<super::StreamPolicy>,
    #[serde(default)]
    pub policy_changes: super::PolicyChanges,
    /// Point-in-time recovery, while enabled.
    #[serde(default)]
    pub point_in_time_recovery: Option<super::PointInTimeRecovery>,
    /// A restored table's origin (and, while it restores, its progress).
    #[serde(default)]
    pub restore: Option<super::RestoreSummary>,
    /// The table's KMS key, when it has one (SSESpecification Enabled);
    /// `None`: the service's own key.
    #[serde(default)]
    pub sse: Option<crate::TableEncryption>,
    /// While ImportTable fills the table: only the import writes to it.
    #[serde(default)]
    pub importing: bool,
}

/// A table's Time to Live setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeToLive {
    /// The attribute holding each item's expiry time, in epoch seconds.
    pub attribute_name: String,
    /// The keyspace of the expiry index (items in order of expiry).
    pub keyspace: String,
    /// False while the items already in the table when TTL was enabled are
    /// being added to the expiry index (DynamoDB's ENABLING).
    pub indexed: bool,
}

impl TableDefinition {
    pub fn index(&self, name: &str) -> Option<&IndexDefinition> {
        self.indexes.iter().find(|index| index.name == name)
    }

    /// The stream that records this table's changes now, if any.
    pub fn enabled_stream(&self) -> Option<&super::TableStream> {
        self.stream.as_ref().filter(|stream| stream.enabled)
    }

    /// Whether the table is still being filled by a restore or an import:
    /// only that filling writes to it until then.
    pub fn restoring(&self) -> bool {
        self.importing || self.restore.as_ref().is_some_and(|restore| restore.in_progress)
    }

    pub fn has_local_indexes(&self) -> bool {
        self.indexes.iter().any(|index| index.kind == IndexKind::Local)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionType {
    All,
    KeysOnly,
    Include,
}

impl ProjectionType {
    pub fn name(self) -> &'static str {
        match self {
            ProjectionType::All => "ALL",
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include => "INCLUDE",
        }
    }
}

/// Whether an index can be read: a new global index is CREATING while its
/// existing items are copied in (backfilled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexStatus {
    Creating,
    Active,
}

/// A secondary index: its own key, the attributes it holds, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDefinition {
    pub name: String,
    pub kind: IndexKind,
    pub key_schema: Vec<KeySchemaElement>,
    pub key: IndexKey,
    pub projection_type: ProjectionType,
    pub non_key_attributes: Vec<String>,
    /// Global indexes of provisioned tables have their own throughput.
    pub throughput: Option<ProvisionedThroughput>,
    pub arn: String,
    pub status: IndexStatus,
    /// The storage keyspace that holds the index entries.
    pub keyspace: String,
    /// Global indexes only (local ones share the table's throughput).
    #[serde(default)]
    pub on_demand_throughput: super::OnDemandThroughput,
    #[serde(default)]
    pub warm_throughput: super::WarmThroughput,
}

impl IndexDefinition {
    /// The attributes an index entry holds for `item` (which has the index
    /// key): everything, or the table and index keys plus the included
    /// attributes.
    pub fn project(&self, table_key: &PrimaryKey, item: &Item) -> Item {
        match self.projection_type {
            ProjectionType::All => item.clone(),
            ProjectionType::KeysOnly | ProjectionType::Include => item
                .iter()
                .filter(|(name, _)| {
                    table_key.is_key_attribute(name)
                        || self.key.is_key_attribute(name)
                        || self.non_key_attributes.iter().any(|n| n == *name)
                })
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        }
    }

    /// Whether the index holds every attribute of `name`d in the item.
    pub fn projects(&self, table_key: &PrimaryKey, name: &str) -> bool {
        self.projection_type == ProjectionType::All
            || table_key.is_key_attribute(name)
            || self.key.is_key_attribute(name)
            || self.non_key_attributes.iter().any(|n| n == name)
    }
}

/// A table's counters, kept exactly by the write path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableStats {
    pub item_count: i64,
    pub size_bytes: i64,
}

impl TableStats {
    /// These counters changed by `delta`.
    pub fn plus(&self, delta: &TableStats) -> TableStats {
        TableStats {
            item_count: self.item_count + delta.item_count,
            size_bytes: self.size_bytes + delta.size_bytes,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStatus {
    Creating,
    Active,
    Deleting,
    /// The table's KMS key is disabled or pending deletion.
    InaccessibleEncryptionCredentials,
}

impl TableStatus {
    pub fn name(self) -> &'static str {
        match self {
            TableStatus::Creating => "CREATING",
            TableStatus::Active => "ACTIVE",
            TableStatus::Deleting => "DELETING",
            TableStatus::InaccessibleEncryptionCredentials => "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        }
    }
}

/// A table as DescribeTable (and friends) report it.
#[derive(Debug, Clone)]
pub struct TableDescription {
    pub definition: TableDefinition,
    pub stats: TableStats,
    /// Per index name.
    pub index_stats: std::collections::BTreeMap<String, TableStats>,
    pub status: TableStatus,
    /// While the table's KMS key is unusable: since when that has been
    /// found (seconds since the epoch).
    pub inaccessible_since: Option<f64>,
}
