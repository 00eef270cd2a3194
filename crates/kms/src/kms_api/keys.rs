//! CreateKey, DescribeKey, ListKeys, and the KeyMetadata they answer.

use serde_json::{json, Value};

use super::error::constraint;
use super::paging::page;
use super::{resolve, Call, KmsError};
use crate::key_store::{now, Aliases, KeyManager, KeyRecord, KeyState, Record, Tag, Write};

/// KMS's default quota of keys per account and region.
const MAX_KEYS: usize = 100_000;
/// Tags a key may have.
pub const MAX_TAGS: usize = 50;

const KEY_SPECS: &str = "[SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519]";
const KEY_USAGES: &str = "[SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT]";
const ORIGINS: &str = "[AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE]";

/// Checks an enum member: its value must be one of `values` (as listed in
/// KMS's message), and Halyard supports only `supported`.
fn enum_member(call: &Call<'_>, member: &str, wire: &str, values: &str, supported: &str) -> Result<(), KmsError> {
    let Some(value) = call.request.string(member)? else {
        return Ok(());
    };
    let listed = values.trim_matches(['[', ']']).split(", ").any(|v| v == value);
    if !listed {
        return Err(constraint(
            value,
            wire,
            &format!("Member must satisfy enum value set: {values}"),
        ));
    }
    if value != supported {
        return Err(KmsError::UnsupportedOperation(format!(
            "{value} is not supported: Halyard's keys are {supported} only"
        )));
    }
    Ok(())
}

pub async fn create_key(call: Call<'_>) -> Result<Value, KmsError> {
    let request = call.request;
    enum_member(&call, "KeySpec", "keySpec", KEY_SPECS, "SYMMETRIC_DEFAULT")?;
    enum_member(
        &call,
        "CustomerMasterKeySpec",
        "customerMasterKeySpec",
        KEY_SPECS,
        "SYMMETRIC_DEFAULT",
    )?;
    enum_member(&call, "KeyUsage", "keyUsage", KEY_USAGES, "ENCRYPT_DECRYPT")?;
    enum_member(&call, "Origin", "origin", ORIGINS, "AWS_KMS")?;
    if request.string("KeySpec")?.is_some() && request.string("CustomerMasterKeySpec")?.is_some() {
        return Err(KmsError::Validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated."
                .into(),
        ));
    }
    if request.bool("MultiRegion")? == Some(true) {
        return Err(KmsError::UnsupportedOperation(
            "Multi-Region keys are not supported by Halyard".into(),
        ));
    }
    if request.bounded_string("CustomKeyStoreId", 1, 64)?.is_some() {
        return Err(KmsError::UnsupportedOperation(
            "Custom key stores are not supported by Halyard".into(),
        ));
    }
    let description = request
        .bounded_string("Description", 0, 8192)?
        .unwrap_or_default()
        .to_string();
    let policy = request.bounded_string("Policy", 1, 131_072)?.map(str::to_string);
    let tags = request.tags("Tags")?.unwrap_or_default();
    check_tag_count(&tags)?;
    call.access.account_action("kms:CreateKey")?;
    if call.store.read(|keys| keys.keys().count()) >= MAX_KEYS {
        return Err(KmsError::LimitExceeded(format!(
            "Account {} has reached the maximum number of keys",
            call.store.account()
        )));
    }
    let key = call
        .store
        .new_key(description, policy, dedupe(tags), KeyManager::Customer, now())?;
    if request.bool("BypassPolicyLockoutSafetyCheck")? != Some(true) {
        super::policies::check_lockout(&call, &key)?;
    } else {
        super::policies::parse_policy(&key.policy)?;
    }
    let record = Record::Key(Box::new(key.clone()));
    call.store.change(move |_| Ok(vec![Write::Put(record.clone())])).await?;
    Ok(json!({ "KeyMetadata": key_metadata(&key) }))
}

/// Tags with later duplicates of a key replacing earlier ones.
pub fn dedupe(tags: Vec<Tag>) -> Vec<Tag> {
    let mut out: Vec<Tag> = Vec::with_capacity(tags.len());
    for tag in tags {
        match out.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value,
            None => out.push(tag),
        }
    }
    out
}

pub fn check_tag_count(tags: &[Tag]) -> Result<(), KmsError> {
    if tags.len() > MAX_TAGS {
        return Err(KmsError::Tag(format!("A key can have at most {MAX_TAGS} tags")));
    }
    Ok(())
}

pub async fn describe_key(call: Call<'_>) -> Result<Value, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let key = resolve(call.store, identifier, Aliases::Accepted).await?;
    call.access.key_action("kms:DescribeKey", &key, None)?;
    Ok(json!({ "KeyMetadata": key_metadata(&key) }))
}

pub fn list_keys(call: Call<'_>) -> Result<Value, KmsError> {
    call.access.account_action("kms:ListKeys")?;
    call.store.read(|keys| {
        let (page, mut fields) = page(call.request, keys.keys(), |key| key.id.clone())?;
        let listed: Vec<Value> = page
            .into_iter()
            .map(|key| json!({ "KeyId": key.id, "KeyArn": key.arn }))
            .collect();
        fields.insert("Keys".into(), listed.into());
        Ok(Value::Object(fields))
    })
}

/// A key's `KeyMetadata` as KMS reports it.
pub fn key_metadata(key: &KeyRecord) -> Value {
    let account = key.arn.split(':').nth(4).unwrap_or_default();
    let mut metadata = json!({
        "AWSAccountId": account,
        "KeyId": key.id,
        "Arn": key.arn,
        "CreationDate": key.created,
        "Enabled": key.state == KeyState::Enabled,
        "Description": key.description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": key.state.name(),
        "Origin": "AWS_KMS",
        "KeyManager": key.manager.name(),
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": false,
    });
    if let Some(deletion) = key.deletion_date {
        metadata["DeletionDate"] = deletion.into();
    }
    if let Some(current) = key.current() {
        metadata["CurrentKeyMaterialId"] = current.material_id(&key.id).into();
    }
    metadata
}
