//! CreateAlias, UpdateAlias, DeleteAlias and ListAliases.

use serde_json::{json, Value};

use super::error::constraint;
use super::paging::page;
use super::{not_pending_deletion, Call, KmsError};
use crate::key_store::{alias_storage_key_of, now, AliasRecord, Aliases, KeyRecord, Record, Write};

/// Aliases a key may have.
const MAX_ALIASES_PER_KEY: usize = 50;

/// The request's `AliasName`, checked as KMS checks it.
fn alias_name<'a>(call: &Call<'a>) -> Result<&'a str, KmsError> {
    let name = call.request.required_string("AliasName", 256)?;
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
    {
        return Err(constraint(
            name,
            "aliasName",
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ));
    }
    if !name.starts_with("alias/") || name.len() == "alias/".len() {
        return Err(KmsError::InvalidAliasName(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .into(),
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::InvalidAliasName(
            "Cannot create, update or delete an alias with the prefix 'alias/aws/': it is reserved for AWS managed keys"
                .into(),
        ));
    }
    Ok(name)
}

/// The target key of CreateAlias and UpdateAlias: a customer managed key
/// (by id or ARN) not pending deletion, that the caller may alias.
fn target(call: &Call<'_>, action: &str) -> Result<KeyRecord, KmsError> {
    let identifier = call.request.key_id("TargetKeyId")?;
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action(action, &key, None)?;
    not_pending_deletion(&key)?;
    Ok(key)
}

fn alias_count(keys: &crate::key_store::Keys, key_id: &str) -> usize {
    keys.aliases().filter(|a| a.target == key_id).count()
}

fn too_many_aliases(arn: &str) -> KmsError {
    KmsError::LimitExceeded(format!(
        "The key {arn} has reached the maximum number of aliases ({MAX_ALIASES_PER_KEY})"
    ))
}

pub async fn create_alias(call: Call<'_>) -> Result<Value, KmsError> {
    let name = alias_name(&call)?.to_string();
    let key = target(&call, "kms:CreateAlias")?;
    let at = now();
    call.store
        .change(move |keys| {
            if keys.alias(&name).is_some() {
                return Err(KmsError::AlreadyExists(format!(
                    "An alias with the name {} already exists",
                    keys.alias_arn(&name)
                )));
            }
            let key = keys.resolve(&key.id, Aliases::Refused)?;
            not_pending_deletion(key)?;
            if alias_count(keys, &key.id) >= MAX_ALIASES_PER_KEY {
                return Err(too_many_aliases(&key.arn));
            }
            Ok(vec![Write::Put(Record::Alias(AliasRecord {
                name: name.clone(),
                target: key.id.clone(),
                created: at,
                updated: at,
            }))])
        })
        .await?;
    Ok(json!({}))
}

/// The alias `name`, or KMS's NotFoundException.
fn existing<'a>(keys: &'a crate::key_store::Keys, name: &str) -> Result<&'a AliasRecord, KmsError> {
    keys.alias(name)
        .ok_or_else(|| KmsError::NotFound(format!("Alias {} is not found.", keys.alias_arn(name))))
}

pub async fn update_alias(call: Call<'_>) -> Result<Value, KmsError> {
    let name = alias_name(&call)?.to_string();
    let key = target(&call, "kms:UpdateAlias")?;
    // The caller must also be allowed to move the alias off its key.
    let current = call.store.read(|keys| {
        let alias = existing(keys, &name)?;
        Ok::<_, KmsError>(keys.key(&alias.target).cloned())
    })?;
    if let Some(current) = &current {
        call.access.key_action("kms:UpdateAlias", current, None)?;
    }
    let at = now();
    call.store
        .change(move |keys| {
            let alias = existing(keys, &name)?;
            let key = keys.resolve(&key.id, Aliases::Refused)?;
            not_pending_deletion(key)?;
            if alias.target != key.id && alias_count(keys, &key.id) >= MAX_ALIASES_PER_KEY {
                return Err(too_many_aliases(&key.arn));
            }
            Ok(vec![Write::Put(Record::Alias(AliasRecord {
                target: key.id.clone(),
                updated: at,
                ..alias.clone()
            }))])
        })
        .await?;
    Ok(json!({}))
}

pub async fn delete_alias(call: Call<'_>) -> Result<Value, KmsError> {
    let name = alias_name(&call)?.to_string();
    let target = call.store.read(|keys| {
        let alias = existing(keys, &name)?;
        Ok::<_, KmsError>(keys.key(&alias.target).cloned())
    })?;
    if let Some(key) = &target {
        call.access.key_action("kms:DeleteAlias", key, None)?;
    }
    call.store
        .change(move |keys| {
            existing(keys, &name)?;
            Ok(vec![Write::Delete(alias_storage_key_of(&name))])
        })
        .await?;
    Ok(json!({}))
}

pub fn list_aliases(call: Call<'_>) -> Result<Value, KmsError> {
    let key_filter = match call.request.bounded_string("KeyId", 1, 2048)? {
        Some(identifier) => {
            let key = call
                .store
                .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
            call.access.key_action("kms:ListAliases", &key, None)?;
            Some(key.id)
        }
        None => {
            call.access.account_action("kms:ListAliases")?;
            None
        }
    };
    call.store.read(|keys| {
        let aliases = keys
            .aliases()
            .filter(|a| key_filter.as_ref().is_none_or(|id| a.target == *id));
        let (page, mut fields) = page(call.request, aliases, |alias| alias.name.clone())?;
        let listed: Vec<Value> = page
            .into_iter()
            .map(|alias| {
                json!({
                    "AliasName": alias.name,
                    "AliasArn": keys.alias_arn(&alias.name),
                    "TargetKeyId": alias.target,
                    "CreationDate": alias.created,
                    "LastUpdatedDate": alias.updated,
                })
            })
            .collect();
        fields.insert("Aliases".into(), listed.into());
        Ok(Value::Object(fields))
    })
}
