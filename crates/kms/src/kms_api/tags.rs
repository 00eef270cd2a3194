//! TagResource, UntagResource and ListResourceTags.

use serde_json::{json, Value};

use super::error::constraint;
use super::keys::{check_tag_count, dedupe};
use super::paging::page;
use super::{not_pending_deletion, update_key, Call, KmsError};
use crate::key_store::{Aliases, KeyRecord};

fn key(call: &Call<'_>, action: &str) -> Result<KeyRecord, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action(action, &key, None)?;
    Ok(key)
}

pub async fn tag_resource(call: Call<'_>) -> Result<Value, KmsError> {
    let tags = call
        .request
        .tags("Tags")?
        .ok_or_else(|| constraint("null", "tags", "Member must not be null"))?;
    let key = key(&call, "kms:TagResource")?;
    not_pending_deletion(&key)?;
    let tags = dedupe(tags);
    update_key(call.store, &key.id, move |key| {
        not_pending_deletion(key)?;
        let mut merged = key.tags.clone();
        merged.extend(tags.iter().cloned());
        let merged = dedupe(merged);
        check_tag_count(&merged)?;
        key.tags = merged;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn untag_resource(call: Call<'_>) -> Result<Value, KmsError> {
    let tag_keys = call
        .request
        .strings("TagKeys")?
        .ok_or_else(|| constraint("null", "tagKeys", "Member must not be null"))?;
    for (index, tag_key) in tag_keys.iter().enumerate() {
        let len = tag_key.chars().count();
        if len == 0 || len > 128 {
            let bound = if len == 0 {
                "Member must have length greater than or equal to 1"
            } else {
                "Member must have length less than or equal to 128"
            };
            return Err(constraint(tag_key, &format!("tagKeys.{}.member", index + 1), bound));
        }
    }
    let key = key(&call, "kms:UntagResource")?;
    not_pending_deletion(&key)?;
    update_key(call.store, &key.id, move |key| {
        not_pending_deletion(key)?;
        key.tags.retain(|tag| !tag_keys.contains(&tag.key));
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub fn list_resource_tags(call: Call<'_>) -> Result<Value, KmsError> {
    let key = key(&call, "kms:ListResourceTags")?;
    let mut tags = key.tags.clone();
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    let (page, mut fields) = page(call.request, tags.into_iter(), |tag| tag.key.clone())?;
    let listed: Vec<Value> = page
        .into_iter()
        .map(|tag| json!({ "TagKey": tag.key, "TagValue": tag.value }))
        .collect();
    fields.insert("Tags".into(), listed.into());
    Ok(Value::Object(fields))
}
