//! What each request must be authorised for: every DynamoDB and DynamoDB
//! Streams operation builds its [`AccessCheck`]s from the parsed request,
//! after its wire validation (DynamoDB reports "1 validation error
//! detected" constraint errors and expression syntax errors before an
//! access denial) and before the engine call (so a denial comes before
//! ResourceNotFound, key schema mismatches and conditional failures, and
//! nothing of a denied request is written). The [`Authorizer`] decides;
//! the first denial ends the request with AccessDeniedException.
//!
//! The mapping follows the Service Authorization Reference ("Actions,
//! resources, and condition keys for Amazon DynamoDB"), the DynamoDB API
//! permissions reference and "Using IAM policy conditions for fine-grained
//! access control". `ARN` is `arn:aws:dynamodb:REGION:ACCOUNT:`; `T` the
//! table, `I` the index, `L` the stream label.
//!
//! | Operation | Action(s) | Resource | Condition keys |
//! |---|---|---|---|
//! | CreateTable, DescribeTable, UpdateTable, DeleteTable, DescribeTimeToLive, UpdateTimeToLive, DescribeContinuousBackups | `dynamodb:<Operation>` | `ARN table/T` | — |
//! | TagResource, UntagResource, ListTagsOfResource | `dynamodb:<Operation>` | the ResourceArn given | — |
//! | PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy | `dynamodb:<Operation>` | the ResourceArn given (table or stream) | — |
//! | ListTables, DescribeLimits, DescribeEndpoints, ListBackups | `dynamodb:<Operation>` | `*` | — |
//! | CreateBackup, UpdateContinuousBackups | `dynamodb:<Operation>` | `ARN table/T` | — |
//! | DescribeBackup, DeleteBackup | `dynamodb:<Operation>` | the BackupArn given (`ARN table/T/backup/ID`) | — |
//! | RestoreTableFromBackup | `dynamodb:RestoreTableFromBackup`, twice | the BackupArn given, then `ARN table/TARGET` | — |
//! | RestoreTableToPointInTime | `dynamodb:RestoreTableToPointInTime`, twice | `ARN table/SOURCE`, then `ARN table/TARGET` | — |
//! | ExportTableToPointInTime, ImportTable | `dynamodb:<Operation>` | `ARN table/T` | — |
//! | DescribeExport, DescribeImport | `dynamodb:<Operation>` | the ExportArn / ImportArn given (`ARN table/T/export/ID`, `ARN table/T/import/ID`) | — |
//! | ListExports, ListImports | `dynamodb:<Operation>` | `*` | — |
//! | GetItem | `dynamodb:GetItem` | `ARN table/T` | LeadingKeys, Attributes, Select, ReturnConsumedCapacity |
//! | PutItem, UpdateItem, DeleteItem | `dynamodb:<Operation>` | `ARN table/T` | LeadingKeys, Attributes, ReturnValues, ReturnConsumedCapacity |
//! | Query | `dynamodb:Query` | `ARN table/T`, or `ARN table/T/index/I` with IndexName | LeadingKeys, Attributes, Select, ReturnConsumedCapacity |
//! | Scan | `dynamodb:Scan` | `ARN table/T`, or `ARN table/T/index/I` with IndexName | Attributes, Select, ReturnConsumedCapacity |
//! | BatchGetItem | `dynamodb:BatchGetItem`, one check per table | `ARN table/T` | LeadingKeys (all the table's keys), Attributes, Select, ReturnConsumedCapacity |
//! | BatchWriteItem | `dynamodb:BatchWriteItem`, one check per table | `ARN table/T` | LeadingKeys (all the table's requests), Attributes, ReturnConsumedCapacity |
//! | TransactGetItems | `dynamodb:GetItem`, one check per Get | `ARN table/T` | LeadingKeys, Attributes, Select, ReturnConsumedCapacity, EnclosingOperation |
//! | TransactWriteItems | `dynamodb:PutItem` / `UpdateItem` / `DeleteItem` / `ConditionCheckItem`, one check per action | `ARN table/T` | LeadingKeys, Attributes, ReturnConsumedCapacity, EnclosingOperation |
//! | ExecuteStatement | `dynamodb:PartiQLSelect` / `PartiQLInsert` / `PartiQLUpdate` / `PartiQLDelete` by statement kind | `ARN table/T`, or `ARN table/T/index/I` for a SELECT from an index | — |
//! | BatchExecuteStatement, ExecuteTransaction | as ExecuteStatement, one check per statement (`EXISTS` asks for `PartiQLSelect`); a batch answers a denied statement with its AccessDenied error | as ExecuteStatement | — |
//! | ListStreams (Streams) | `dynamodb:ListStreams` | `*` | — |
//! | DescribeStream, GetShardIterator (Streams) | `dynamodb:<Operation>` | the StreamArn given (`ARN table/T/stream/L`) | — |
//! | GetRecords (Streams) | `dynamodb:GetRecords` | the stream ARN the ShardIterator names | — |
//!
//! The condition keys, when present:
//! - `dynamodb:LeadingKeys`: the partition key values the request touches,
//!   as strings (S as is, N as its canonical text, B as base64). Query
//!   gives the value its key condition sets for the partition key of the
//!   table or index queried. Absent when the table does not exist (the
//!   engine then answers ResourceNotFound) or the request gives no value.
//!   A batch gives all keys of a table in one check, which is what
//!   `ForAllValues` (every value must match) and `ForAnyValue` expect.
//! - `dynamodb:Attributes`: the top-level attribute names the request
//!   names: the Key's or Item's attributes, and those read or written by
//!   ProjectionExpression / AttributesToGet, ConditionExpression /
//!   Expected, UpdateExpression / AttributeUpdates, KeyConditionExpression
//!   / KeyConditions and FilterExpression / QueryFilter / ScanFilter.
//!   Sorted; absent when the request names none (a plain Scan).
//! - `dynamodb:Select`: for reads, always: the Select given, else
//!   SPECIFIC_ATTRIBUTES with a projection, ALL_PROJECTED_ATTRIBUTES for an
//!   index, ALL_ATTRIBUTES otherwise (GetItem and BatchGetItem, which have
//!   no Select member, get the same defaults).
//! - `dynamodb:ReturnValues`: for PutItem, UpdateItem and DeleteItem,
//!   always (NONE unless given). Transaction actions have no ReturnValues
//!   member and give none.
//! - `dynamodb:ReturnConsumedCapacity`: for item operations, always (NONE
//!   unless given).
//! - `dynamodb:EnclosingOperation`: TransactGetItems or TransactWriteItems
//!   for the checks of a transaction's items.
//!
//! A request that names a table of another account, or a ResourceArn
//! that is not shaped like an ARN, is refused by the engine before any
//! check (no resource-based policy is shared across accounts here).

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use halyard_engine::expression::condition::Comparator;
use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::key_condition::{KeyTerm, SortKeyCondition};
use halyard_engine::expression::path::{DocumentPath, PathElement};
use halyard_engine::expression::projection::Projection;
use halyard_engine::expression::update::Update;
use halyard_engine::model::{AttributeValue, Item};
use halyard_engine::Engine;

use crate::error::ProtocolError;

/// Decides whether the caller may do what a check describes. The
/// implementation evaluates the caller's policies in memory.
pub trait Authorizer: Send + Sync {
    fn authorize(&self, check: &AccessCheck) -> Result<(), AccessDenied>;

    /// Whether the caller may have DynamoDB use the KMS key `key_id` for
    /// `table` (CreateTable, UpdateTable, a restore): refused with KMS's
    /// error as DynamoDB relays it. Without identities, anyone may.
    fn authorize_key_use(&self, key_id: &str, table: &str) -> Result<(), halyard_engine::Error> {
        let _ = (key_id, table);
        Ok(())
    }
}

/// A refusal; `message` is AccessDeniedException's text, e.g. "User:
/// arn:aws:iam::000000000000:user/alice is not authorized to perform:
/// dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/T
/// because no identity-based policy allows the dynamodb:GetItem action".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDenied {
    pub message: String,
}

/// One action on one resource, with the DynamoDB condition keys the
/// request sets (see the module documentation for when each is present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCheck {
    /// The IAM action, e.g. `dynamodb:GetItem`.
    pub action: &'static str,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The table the resource belongs to, for its tags and resource policy.
    pub table: Option<String>,
    /// `dynamodb:LeadingKeys`.
    pub leading_keys: Option<Vec<String>>,
    /// `dynamodb:Attributes`.
    pub attributes: Option<Vec<String>>,
    /// `dynamodb:Select`.
    pub select: Option<String>,
    /// `dynamodb:ReturnValues`.
    pub return_values: Option<String>,
    /// `dynamodb:ReturnConsumedCapacity`.
    pub return_consumed_capacity: Option<String>,
    /// `dynamodb:EnclosingOperation`: the transaction an item check is part of.
    pub enclosing_operation: Option<&'static str>,
}

impl AccessCheck {
    /// A check without condition keys.
    pub fn new(action: &'static str, resource: impl Into<String>, table: Option<String>) -> AccessCheck {
        AccessCheck {
            action,
            resource: resource.into(),
            table,
            leading_keys: None,
            attributes: None,
            select: None,
            return_values: None,
            return_consumed_capacity: None,
            enclosing_operation: None,
        }
    }
}

/// Allows everything: `--auth off`, and callers without identities.
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _check: &AccessCheck) -> Result<(), AccessDenied> {
        Ok(())
    }
}

/// Asks for each check in order; the first denial ends the request.
pub(crate) fn authorize(authorizer: &dyn Authorizer, checks: &[AccessCheck]) -> Result<(), ProtocolError> {
    for check in checks {
        authorizer
            .authorize(check)
            .map_err(|denied| ProtocolError::AccessDenied(denied.message))?;
    }
    Ok(())
}

/// The ARN of a table of this server's region and account.
pub(crate) fn table_arn(engine: &Engine, table: &str) -> String {
    format!(
        "arn:aws:dynamodb:{}:{}:table/{table}",
        engine.region(),
        engine.account_id()
    )
}

/// A check on a table (or, with `index`, one of its indexes) of this
/// server, without condition keys.
pub(crate) fn table_check(engine: &Engine, action: &'static str, table: &str, index: Option<&str>) -> AccessCheck {
    let mut resource = table_arn(engine, table);
    if let Some(index) = index {
        resource = format!("{resource}/index/{index}");
    }
    AccessCheck::new(action, resource, Some(table.to_string()))
}

/// A check on an account-wide action (`*`).
pub(crate) fn account_check(action: &'static str) -> AccessCheck {
    AccessCheck::new(action, "*", None)
}

/// A check on a resource named by its ARN (a table, stream or backup ARN); the
/// table is the one the ARN names, if it names one.
pub(crate) fn arn_check(action: &'static str, arn: &str) -> AccessCheck {
    AccessCheck::new(action, arn, table_in_arn(arn).map(str::to_string))
}

/// The table an ARN names: `...:table/T`, `...:table/T/index/I`,
/// `...:table/T/stream/L`, `...:table/T/backup/ID`.
fn table_in_arn(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let name = resource.strip_prefix("table/")?;
    let name = name.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// A partition key value as `dynamodb:LeadingKeys` holds it.
fn key_text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(text) => Some(text.clone()),
        AttributeValue::N(number) => Some(number.to_string()),
        AttributeValue::B(bytes) => Some(BASE64.encode(bytes)),
        _ => None,
    }
}

/// The partition key attribute of a table or index, as the checks of
/// one request need it; unknown when there is no such table or index.
pub(crate) struct KeySchema {
    partition: Option<String>,
}

impl KeySchema {
    /// The key of `table`, or of its index `index`.
    pub fn of(engine: &Engine, table: &str, index: Option<&str>) -> KeySchema {
        KeySchema {
            partition: engine.partition_key_name(table, index),
        }
    }

    /// The partition key values of `items` (keys or whole items).
    pub fn leading_keys<'i>(&self, items: impl IntoIterator<Item = &'i Item>) -> Option<Vec<String>> {
        let partition = self.partition.as_deref()?;
        let values: Vec<String> = items
            .into_iter()
            .filter_map(|item| item.get(partition).and_then(key_text))
            .collect();
        (!values.is_empty()).then_some(values)
    }

    /// The partition key value a Query's key condition sets.
    pub fn query_leading_keys(&self, terms: &[KeyTerm]) -> Option<Vec<String>> {
        let partition = self.partition.as_deref()?;
        terms
            .iter()
            .find_map(|term| match &term.condition {
                SortKeyCondition::Compare(Comparator::Equal, value) if term.attribute == partition => key_text(value),
                _ => None,
            })
            .map(|value| vec![value])
    }
}

/// The top-level attribute names a request names (`dynamodb:Attributes`).
#[derive(Default)]
pub(crate) struct AttributeNames(BTreeSet<String>);

fn top_level(path: &DocumentPath) -> Option<&str> {
    match path.0.first() {
        Some(PathElement::Attribute(name)) => Some(name),
        _ => None,
    }
}

impl AttributeNames {
    /// The names of an item's (or key's) attributes.
    pub fn item(&mut self, item: &Item) -> &mut Self {
        self.0.extend(item.keys().cloned());
        self
    }

    pub fn condition(&mut self, condition: Option<&Condition>) -> &mut Self {
        if let Some(condition) = condition {
            self.0
                .extend(condition.top_level_attributes().into_iter().map(str::to_string));
        }
        self
    }

    pub fn projection(&mut self, projection: Option<&Projection>) -> &mut Self {
        if let Some(projection) = projection {
            self.0.extend(projection.top_level_names().map(str::to_string));
        }
        self
    }

    /// The attributes an update writes and those its SET operands read.
    pub fn update(&mut self, update: Option<&Update>) -> &mut Self {
        if let Some(update) = update {
            let written = update.actions.iter().map(|action| action.path());
            let names = written.chain(update.read_paths()).filter_map(top_level);
            self.0.extend(names.map(str::to_string));
        }
        self
    }

    pub fn key_terms(&mut self, terms: &[KeyTerm]) -> &mut Self {
        self.0.extend(terms.iter().map(|term| term.attribute.clone()));
        self
    }

    /// The names, sorted; `None` when there are none.
    pub fn take(&mut self) -> Option<Vec<String>> {
        let names = std::mem::take(&mut self.0);
        (!names.is_empty()).then(|| names.into_iter().collect())
    }
}
