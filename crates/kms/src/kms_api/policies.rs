//! GetKeyPolicy, PutKeyPolicy and ListKeyPolicies: a key has one policy,
//! named `default`.

use halyard_iam::policy::{PolicyDocument, PolicyKind};
use serde_json::{json, Value};

use super::{not_pending_deletion, update_key, Call, KmsError};
use crate::key_store::{Aliases, KeyRecord};

const POLICY_NAME: &str = "default";

/// Parses a key policy, with KMS's exception for one that does not.
pub fn parse_policy(policy: &str) -> Result<PolicyDocument, KmsError> {
    PolicyDocument::parse(policy, PolicyKind::Resource).map_err(|e| KmsError::MalformedPolicyDocument(e.0))
}

/// KMS's lockout safety check: the caller must still be able to change
/// the policy under the policy it sets.
pub fn check_lockout(call: &Call<'_>, key: &KeyRecord) -> Result<(), KmsError> {
    parse_policy(&key.policy)?;
    match call.access.key_action("kms:PutKeyPolicy", key, None) {
        Err(KmsError::AccessDenied(_)) => Err(KmsError::MalformedPolicyDocument(
            "The new key policy will not allow you to update the key policy in the future.".into(),
        )),
        other => other,
    }
}

fn policy_name(call: &Call<'_>) -> Result<(), KmsError> {
    match call.request.bounded_string("PolicyName", 1, 128)? {
        None | Some(POLICY_NAME) => Ok(()),
        Some(other) => Err(KmsError::NotFound(format!("No such policy exists: {other}"))),
    }
}

pub fn get_key_policy(call: Call<'_>) -> Result<Value, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action("kms:GetKeyPolicy", &key, None)?;
    policy_name(&call)?;
    Ok(json!({ "Policy": key.policy, "PolicyName": POLICY_NAME }))
}

pub fn list_key_policies(call: Call<'_>) -> Result<Value, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action("kms:ListKeyPolicies", &key, None)?;
    Ok(json!({ "PolicyNames": [POLICY_NAME], "Truncated": false }))
}

pub async fn put_key_policy(call: Call<'_>) -> Result<Value, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let policy = call.request.required_string("Policy", 131_072)?.to_string();
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action("kms:PutKeyPolicy", &key, None)?;
    policy_name(&call)?;
    not_pending_deletion(&key)?;
    let proposed = KeyRecord {
        policy: policy.clone(),
        ..key.clone()
    };
    if call.request.bool("BypassPolicyLockoutSafetyCheck")? == Some(true) {
        parse_policy(&policy)?;
    } else {
        check_lockout(&call, &proposed)?;
    }
    update_key(call.store, &key.id, move |key| {
        not_pending_deletion(key)?;
        key.policy = policy.clone();
        Ok(())
    })
    .await?;
    Ok(json!({}))
}
