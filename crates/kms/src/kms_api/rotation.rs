//! EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand and ListKeyRotations. Rotating adds a version of the
//! key's material; earlier versions stay, to decrypt what they sealed.

use serde_json::{json, Value};

use super::paging::page;
use super::{not_pending_deletion, update_key, usable, Call, KmsError};
use crate::key_store::{now, Aliases, KeyRecord, Origin, DAY, DEFAULT_ROTATION_DAYS};

/// On-demand rotations KMS allows a key.
const MAX_ON_DEMAND_ROTATIONS: usize = 25;

pub async fn enable_key_rotation(call: Call<'_>) -> Result<Value, KmsError> {
    let days = call
        .request
        .integer("RotationPeriodInDays", 90, 2560)?
        .map_or(DEFAULT_ROTATION_DAYS, |d| d as u32);
    let key = call.key("KeyId", Aliases::Refused, "kms:EnableKeyRotation").await?;
    usable(&key)?;
    let at = now();
    update_key(call.store, &key.id, move |key| {
        usable(key)?;
        key.rotation_period_days = Some(days);
        key.next_rotation = Some((at + f64::from(days) * DAY).floor());
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn disable_key_rotation(call: Call<'_>) -> Result<Value, KmsError> {
    let key = call.key("KeyId", Aliases::Refused, "kms:DisableKeyRotation").await?;
    usable(&key)?;
    update_key(call.store, &key.id, move |key| {
        usable(key)?;
        key.rotation_period_days = None;
        key.next_rotation = None;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub fn get_key_rotation_status(call: Call<'_>) -> Result<Value, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action("kms:GetKeyRotationStatus", &key, None)?;
    not_pending_deletion(&key)?;
    let mut status = json!({
        "KeyRotationEnabled": key.rotation_period_days.is_some(),
        "KeyId": key.arn,
    });
    if let Some(days) = key.rotation_period_days {
        status["RotationPeriodInDays"] = days.into();
    }
    if let Some(next) = key.next_rotation {
        status["NextRotationDate"] = next.into();
    }
    if let Some(started) = key.on_demand_rotation_start {
        status["OnDemandRotationStartDate"] = started.into();
    }
    Ok(status)
}

pub async fn rotate_key_on_demand(call: Call<'_>) -> Result<Value, KmsError> {
    let key = call.key("KeyId", Aliases::Refused, "kms:RotateKeyOnDemand").await?;
    usable(&key)?;
    let at = now();
    let number = next_version(&key);
    let version = call.store.new_version(&key.id, number, Origin::OnDemand, at)?;
    update_key(call.store, &key.id, move |key| {
        usable(key)?;
        if next_version(key) != number {
            return Err(KmsError::Validation(format!(
                "A rotation of {} is already in progress.",
                key.arn
            )));
        }
        let on_demand = key.versions.iter().filter(|v| v.origin == Origin::OnDemand).count();
        if on_demand >= MAX_ON_DEMAND_ROTATIONS {
            return Err(KmsError::LimitExceeded(format!(
                "The key {} has reached the maximum number of on-demand rotations.",
                key.arn
            )));
        }
        key.versions.push(version.clone());
        key.on_demand_rotation_start = Some(at);
        Ok(())
    })
    .await?;
    Ok(json!({ "KeyId": key.id }))
}

fn next_version(key: &KeyRecord) -> u32 {
    key.current().map_or(1, |v| v.number) + 1
}

pub fn list_key_rotations(call: Call<'_>) -> Result<Value, KmsError> {
    let identifier = call.request.key_id("KeyId")?;
    let key = call
        .store
        .read(|keys| keys.resolve(identifier, Aliases::Refused).cloned())?;
    call.access.key_action("kms:ListKeyRotations", &key, None)?;
    not_pending_deletion(&key)?;
    let rotations = key.versions.iter().filter(|v| v.origin != Origin::Created);
    let (page, mut fields) = page(call.request, rotations, |v| format!("{:010}", v.number))?;
    let listed: Vec<Value> = page
        .into_iter()
        .map(|v| {
            json!({
                "KeyId": key.id,
                "KeyMaterialId": v.material_id(&key.id),
                "RotationDate": v.created,
                "RotationType": if v.origin == Origin::OnDemand { "ON_DEMAND" } else { "AUTOMATIC" },
            })
        })
        .collect();
    fields.insert("Rotations".into(), listed.into());
    Ok(Value::Object(fields))
}
