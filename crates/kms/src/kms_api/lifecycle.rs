//! EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion and
//! UpdateKeyDescription: a key's state and metadata.

use serde_json::{json, Value};

use super::error::constraint;
use super::{not_pending_deletion, state_error, update_key, Call, KmsError};
use crate::key_store::{now, Aliases, KeyState, DAY};

/// The waiting period before deletion (ScheduleKeyDeletion), in days.
const MIN_PENDING_WINDOW: i64 = 7;
const MAX_PENDING_WINDOW: i64 = 30;

async fn set_state(call: Call<'_>, action: &str, state: KeyState) -> Result<Value, KmsError> {
    let key = call.key("KeyId", Aliases::Refused, action).await?;
    not_pending_deletion(&key)?;
    update_key(call.store, &key.id, move |key| {
        not_pending_deletion(key)?;
        key.state = state;
        Ok(())
    })
    .await?;
    Ok(json!({}))
}

pub async fn enable_key(call: Call<'_>) -> Result<Value, KmsError> {
    set_state(call, "kms:EnableKey", KeyState::Enabled).await
}

pub async fn disable_key(call: Call<'_>) -> Result<Value, KmsError> {
    set_state(call, "kms:DisableKey", KeyState::Disabled).await
}

pub async fn schedule_key_deletion(call: Call<'_>) -> Result<Value, KmsError> {
    let days = call.request.integer("PendingWindowInDays", 1, 365)?;
    let days = match days {
        Some(days) if days < MIN_PENDING_WINDOW => {
            return Err(constraint(
                days,
                "pendingWindowInDays",
                &format!("Member must have value greater than or equal to {MIN_PENDING_WINDOW}"),
            ))
        }
        Some(days) if days > MAX_PENDING_WINDOW => {
            return Err(constraint(
                days,
                "pendingWindowInDays",
                &format!("Member must have value less than or equal to {MAX_PENDING_WINDOW}"),
            ))
        }
        Some(days) => days as u32,
        None => MAX_PENDING_WINDOW as u32,
    };
    let key = call.key("KeyId", Aliases::Refused, "kms:ScheduleKeyDeletion").await?;
    not_pending_deletion(&key)?;
    let deletion_date = (now() + f64::from(days) * DAY).floor();
    let key = update_key(call.store, &key.id, move |key| {
        not_pending_deletion(key)?;
        key.state = KeyState::PendingDeletion;
        key.deletion_date = Some(deletion_date);
        key.pending_window_days = Some(days);
        Ok(())
    })
    .await?;
    Ok(json!({
        "KeyId": key.arn,
        "DeletionDate": deletion_date,
        "KeyState": key.state.name(),
        "PendingWindowInDays": days,
    }))
}

pub async fn cancel_key_deletion(call: Call<'_>) -> Result<Value, KmsError> {
    let key = call.key("KeyId", Aliases::Refused, "kms:CancelKeyDeletion").await?;
    let not_pending = |key: &crate::key_store::KeyRecord| match key.state {
        KeyState::PendingDeletion => Ok(()),
        _ => Err(KmsError::InvalidState(format!("{} is not pending deletion.", key.arn))),
    };
    not_pending(&key)?;
    let key = update_key(call.store, &key.id, move |key| {
        not_pending(key)?;
        // KMS leaves a key whose deletion is cancelled disabled.
        key.state = KeyState::Disabled;
        key.deletion_date = None;
        key.pending_window_days = None;
        Ok(())
    })
    .await?;
    Ok(json!({ "KeyId": key.arn }))
}

pub async fn update_key_description(call: Call<'_>) -> Result<Value, KmsError> {
    let description = call
        .request
        .bounded_string("Description", 0, 8192)?
        .ok_or_else(|| constraint("null", "description", "Member must not be null"))?
        .to_string();
    let key = call.key("KeyId", Aliases::Refused, "kms:UpdateKeyDescription").await?;
    if key.state == KeyState::PendingDeletion {
        return Err(state_error(&key));
    }
    update_key(call.store, &key.id, move |key| {
        not_pending_deletion(key)?;
        key.description = description.clone();
        Ok(())
    })
    .await?;
    Ok(json!({}))
}
