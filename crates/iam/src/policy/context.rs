//! The request context a policy is evaluated against: who, what action, on
//! what resource, and the condition keys (each multi-valued, names
//! case-insensitive as IAM's are).

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The caller: `arn:aws:iam::123456789012:user/alice`,
    /// `arn:aws:sts::123456789012:assumed-role/R/s`.
    pub principal_arn: String,
    /// The caller's account id.
    pub principal_account: String,
    /// `dynamodb:GetItem`.
    pub action: String,
    /// `arn:aws:dynamodb:us-east-1:123456789012:table/T`.
    pub resource: String,
    keys: BTreeMap<String, Vec<String>>,
}

impl RequestContext {
    /// A context with no condition keys; the account is read from the
    /// principal ARN's fifth field.
    pub fn new(principal_arn: &str, action: &str, resource: &str) -> RequestContext {
        RequestContext {
            principal_account: arn_field(principal_arn, 4).unwrap_or("").to_string(),
            principal_arn: principal_arn.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            keys: BTreeMap::new(),
        }
    }

    /// Sets a condition key (`dynamodb:LeadingKeys`, `aws:SourceIp`, ...).
    pub fn set<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys
            .insert(key.to_ascii_lowercase(), values.into_iter().map(Into::into).collect());
    }

    /// The values of a key, `None` when the request does not have it.
    pub fn values(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }

    /// The account that owns the resource (from its ARN), if it names one.
    pub fn resource_account(&self) -> Option<&str> {
        arn_field(&self.resource, 4).filter(|a| !a.is_empty())
    }
}

/// The `index`th `:`-separated field of an ARN.
pub fn arn_field(arn: &str, index: usize) -> Option<&str> {
    if !arn.starts_with("arn:") {
        return None;
    }
    arn.splitn(6, ':').nth(index)
}
