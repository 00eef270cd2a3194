//! What TagResource, UntagResource, ListTagsOfResource and CreateTable's
//! Tags share: resolving a table ARN and DynamoDB's rules for tags.

use std::sync::Arc;

use crate::catalog::Table;
use crate::model::Tag;
use crate::table_settings::{too_many_tags, MAX_TAGS};
use crate::{Engine, Error, Result};

/// Whether `arn` has an ARN's shape (six `:`-separated parts, the last
/// with a `/`): IAM refuses to authorise anything else.
fn looks_like_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[..5].iter().all(|part| !part.is_empty())
        && parts[5]
            .split_once('/')
            .is_some_and(|(kind, rest)| !kind.is_empty() && !rest.is_empty())
}

/// Checks a ResourceArn's shape, as DynamoDB does before anything else
/// (before the request's other members).
pub fn check_arn_shape(operation: &str, arn: Option<&str>) -> Result<()> {
    let arn = arn.ok_or_else(|| Error::validation("Invalid TableArn"))?;
    if looks_like_arn(arn) {
        return Ok(());
    }
    let resource = if arn.is_empty() { "*" } else { arn };
    Err(Error::AccessDenied(format!(
        "User: arn:aws:iam::000000000000:root is not authorized to perform: dynamodb:{operation} on resource: {resource}"
    )))
}

/// The table name in a table ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`);
/// index ARNs and anything else are refused.
fn table_name_in(arn: &str) -> Result<(&str, &str, &str)> {
    let invalid = || Error::validation(format!("Invalid TableArn: Invalid ResourceArn provided as input {arn}"));
    let rest = arn.strip_prefix("arn:aws:dynamodb:").ok_or_else(invalid)?;
    let (region, rest) = rest.split_once(':').ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let name = resource.strip_prefix("table/").ok_or_else(invalid)?;
    let valid_account = !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit());
    let valid_name = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if region.is_empty() || !valid_account || !valid_name {
        return Err(invalid());
    }
    Ok((region, account, name))
}

/// Checks that `arn` is a table ARN.
pub(crate) fn check_table_arn(arn: &str) -> Result<()> {
    table_name_in(arn).map(|_| ())
}

impl Engine {
    /// The table a table ARN names; `not_found` when none of this server's.
    pub(crate) fn table_by_arn(&self, arn: &str, not_found: impl FnOnce() -> Error) -> Result<Arc<Table>> {
        let (region, account, name) = table_name_in(arn)?;
        if region != self.config.region || account != self.config.account_id {
            return Err(not_found());
        }
        self.catalog.get(name).ok_or_else(not_found)
    }
}

/// A live table's tags, shared rather than copied: what `aws:ResourceTag`
/// conditions read on each request.
pub struct TableTags(Arc<Table>);

impl std::ops::Deref for TableTags {
    type Target = [Tag];

    fn deref(&self) -> &[Tag] {
        &self.0.definition.tags
    }
}

impl Engine {
    /// A table's tags, from the in-memory catalog (no storage read).
    pub fn table_tags(&self, table_name: &str) -> Option<TableTags> {
        self.catalog.get(table_name).map(TableTags)
    }
}

pub(crate) fn resource_not_found(arn: &str) -> Error {
    Error::ResourceNotFound(format!("Requested resource not found: ResourcArn: {arn} not found"))
}

/// A tag key or value may hold letters, numbers, white space and `+ - = . _ : /`.
fn allowed_characters(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "+-=._:/".contains(c))
}

/// Checks tags to add (TagResource, CreateTable) and folds repeated keys
/// into one, the last value winning.
pub(crate) fn check_tags(tags: Vec<Tag>) -> Result<Vec<Tag>> {
    let mut checked: Vec<Tag> = Vec::with_capacity(tags.len());
    for tag in tags {
        if tag.key.starts_with("aws:") {
            return Err(Error::validation(format!(
                "Invalid tag key: {}. Tag keys starting with aws: are reserved for AWS use",
                tag.key
            )));
        }
        if !allowed_characters(&tag.key) || !allowed_characters(&tag.value) {
            return Err(Error::validation(
                "Invalid tag: keys and values may contain only letters, numbers, white space and + - = . _ : /",
            ));
        }
        match checked.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value,
            None => checked.push(tag),
        }
    }
    if checked.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(checked)
}
