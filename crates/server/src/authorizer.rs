//! The third step of the pipeline for DynamoDB and Streams requests: each
//! [`AccessCheck`] the protocol layer asks for is evaluated against the
//! caller's identity and session policies, the resource's own policy and
//! its tags — all read from memory (the directory's view, the catalog),
//! never from storage.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use halyard_engine::Engine;
use halyard_iam::access::Caller;
use halyard_iam::policy::{PolicyDocument, PolicyKind};
use halyard_kms::key_store::KeyStore;
use halyard_protocol::{AccessCheck, AccessDenied, Authorizer};

/// Parsed resource policies by (resource, revision): a policy is parsed
/// once per revision, not per request.
#[derive(Default)]
pub struct ResourcePolicyCache {
    parsed: Mutex<HashMap<(String, String), Arc<PolicyDocument>>>,
}

/// Most parsed policies kept; past it the cache starts afresh.
const CACHE_CAPACITY: usize = 4096;

impl ResourcePolicyCache {
    fn get(&self, resource: &str, revision: &str, document: &str) -> Option<Arc<PolicyDocument>> {
        let key = (resource.to_string(), revision.to_string());
        let mut parsed = self.parsed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(policy) = parsed.get(&key) {
            return Some(policy.clone());
        }
        // Stored policies were validated when put; one that no longer
        // parses grants nothing.
        let policy = Arc::new(PolicyDocument::parse(document, PolicyKind::Resource).ok()?);
        if parsed.len() >= CACHE_CAPACITY {
            parsed.clear();
        }
        parsed.insert(key, policy.clone());
        Some(policy)
    }
}

/// Authorises one request's checks for its caller.
pub struct RequestAuthorizer<'a> {
    pub caller: &'a Caller,
    pub engine: &'a Engine,
    /// For the caller's use of a table's KMS key.
    pub keys: &'a KeyStore,
    pub policies: &'a ResourcePolicyCache,
}

impl RequestAuthorizer<'_> {
    /// The resource's policy: a stream's own for a stream ARN, else its
    /// table's.
    fn resource_policy(&self, check: &AccessCheck) -> Option<Arc<PolicyDocument>> {
        let table = check.table.as_deref()?;
        let policy = if check.resource.contains("/stream/") {
            self.engine.stream_resource_policy(&check.resource)?
        } else {
            self.engine.resource_policy(table)?
        };
        self.policies
            .get(&check.resource, &policy.revision_id, &policy.document)
    }
}

impl Authorizer for RequestAuthorizer<'_> {
    fn authorize(&self, check: &AccessCheck) -> Result<(), AccessDenied> {
        let resource_policy = self.resource_policy(check);
        // The root may do anything that no resource policy denies.
        if self.caller.grants.root && resource_policy.is_none() {
            return Ok(());
        }
        let mut context = self.caller.context(check.action, &check.resource);
        let keys = [
            ("dynamodb:LeadingKeys", check.leading_keys.as_deref()),
            ("dynamodb:Attributes", check.attributes.as_deref()),
        ];
        for (key, values) in keys {
            if let Some(values) = values {
                context.set(key, values.iter().map(String::as_str));
            }
        }
        let single = [
            ("dynamodb:Select", check.select.as_deref()),
            ("dynamodb:ReturnValues", check.return_values.as_deref()),
            (
                "dynamodb:ReturnConsumedCapacity",
                check.return_consumed_capacity.as_deref(),
            ),
            ("dynamodb:EnclosingOperation", check.enclosing_operation),
        ];
        for (key, value) in single {
            if let Some(value) = value {
                context.set(key, [value]);
            }
        }
        if let Some(tags) = check.table.as_deref().and_then(|table| self.engine.table_tags(table)) {
            for tag in tags.iter() {
                context.set(&format!("aws:ResourceTag/{}", tag.key), [tag.value.as_str()]);
            }
        }
        let resource_policies: Vec<Arc<PolicyDocument>> = resource_policy.into_iter().collect();
        self.caller
            .authorize(&context, &resource_policies)
            .map_err(|denial| AccessDenied {
                message: denial.message(),
            })
    }

    fn authorize_key_use(&self, key_id: &str, table: &str) -> Result<(), halyard_engine::Error> {
        halyard_kms::table_keys::authorize_caller(self.keys, self.caller, key_id, table)
    }
}
