//! A table's ARN in place of its name: every operation that names a table
//! accepts `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`, as DescribeTable
//! reports it, and this is the one place that turns it into the name.

use crate::{Engine, Error, Result};

/// A TableName longer than a table name may be an ARN up to this length.
pub const MAX_TABLE_ARN_LENGTH: usize = 1024;

/// Whether a TableName is given as an ARN rather than a name.
pub fn is_arn(table_name: &str) -> bool {
    table_name.starts_with("arn:")
}

fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl Engine {
    /// The table name a request's TableName stands for: the name itself, or
    /// the name in an ARN of a table of this server's region and account.
    /// `action` is the operation, as an access denial names it.
    pub fn resolve_table_name<'a>(&self, given: &'a str, action: &str) -> Result<&'a str> {
        if !is_arn(given) {
            return Ok(given);
        }
        let invalid = || {
            Error::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {given}"
            ))
        };
        let parts: Vec<&str> = given.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err(invalid());
        };
        let name = resource.strip_prefix("table/").ok_or_else(invalid)?;
        if partition.is_empty() || service != "dynamodb" || !valid_table_name(name) {
            return Err(invalid());
        }
        // A table of another account is that account's to share; no
        // resource-based policy grants access to it here.
        if account != self.config.account_id {
            return Err(Error::AccessDenied(format!(
                "User: arn:aws:iam::{}:root is not authorized to perform: dynamodb:{action} on resource: {given} because no resource-based policy allows the dynamodb:{action} action",
                self.config.account_id
            )));
        }
        if region != self.config.region {
            return Err(invalid());
        }
        Ok(name)
    }
}
