//! The AWS KMS JSON 1.1 API (`X-Amz-Target: TrentService.<Operation>`):
//! one module per group of operations, each reading its request with
//! [`request::Request`], authorising with [`authorize::Access`], and
//! answering a JSON value or a [`KmsError`] (turned into KMS's wire form
//! in one place, [`KmsError::to_wire`]).

mod aliases;
pub mod authorize;
mod crypto;
pub mod error;
mod keys;
mod lifecycle;
mod paging;
mod policies;
mod request;
mod rotation;
mod tags;

use std::sync::Arc;

use halyard_iam::access::Caller;
use serde_json::Value;

pub use authorize::Access;
pub use crypto::{decrypt_data_key, generate_data_key};
pub use error::{KmsError, WireError};

use crate::key_store::{records::Record, Aliases, KeyRecord, KeyState, KeyStore, Write};
use request::Request;

/// The `X-Amz-Target` prefix of KMS operations.
pub const TARGET_PREFIX: &str = "TrentService.";

/// Runs `operation` with the JSON `body` for `caller`.
pub async fn handle(store: &Arc<KeyStore>, caller: &Caller, operation: &str, body: &[u8]) -> Result<Value, KmsError> {
    let request = Request::parse(body)?;
    let access = Access::direct(caller);
    let call = Call {
        store,
        access,
        request: &request,
    };
    match operation {
        "CreateKey" => keys::create_key(call).await,
        "DescribeKey" => keys::describe_key(call).await,
        "ListKeys" => keys::list_keys(call),
        "EnableKey" => lifecycle::enable_key(call).await,
        "DisableKey" => lifecycle::disable_key(call).await,
        "ScheduleKeyDeletion" => lifecycle::schedule_key_deletion(call).await,
        "CancelKeyDeletion" => lifecycle::cancel_key_deletion(call).await,
        "UpdateKeyDescription" => lifecycle::update_key_description(call).await,
        "EnableKeyRotation" => rotation::enable_key_rotation(call).await,
        "DisableKeyRotation" => rotation::disable_key_rotation(call).await,
        "GetKeyRotationStatus" => rotation::get_key_rotation_status(call),
        "RotateKeyOnDemand" => rotation::rotate_key_on_demand(call).await,
        "ListKeyRotations" => rotation::list_key_rotations(call),
        "CreateAlias" => aliases::create_alias(call).await,
        "UpdateAlias" => aliases::update_alias(call).await,
        "DeleteAlias" => aliases::delete_alias(call).await,
        "ListAliases" => aliases::list_aliases(call),
        "Encrypt" => crypto::encrypt(call).await,
        "Decrypt" => crypto::decrypt(call).await,
        "ReEncrypt" => crypto::re_encrypt(call).await,
        "GenerateDataKey" => crypto::generate_data_key_operation(call, true).await,
        "GenerateDataKeyWithoutPlaintext" => crypto::generate_data_key_operation(call, false).await,
        "GenerateRandom" => crypto::generate_random(call),
        "TagResource" => tags::tag_resource(call).await,
        "UntagResource" => tags::untag_resource(call).await,
        "ListResourceTags" => tags::list_resource_tags(call),
        "GetKeyPolicy" => policies::get_key_policy(call),
        "PutKeyPolicy" => policies::put_key_policy(call).await,
        "ListKeyPolicies" => policies::list_key_policies(call),
        _ => Err(KmsError::UnknownOperation),
    }
}

/// One request being served.
#[derive(Clone, Copy)]
struct Call<'a> {
    store: &'a Arc<KeyStore>,
    access: Access<'a>,
    request: &'a Request,
}

impl Call<'_> {
    /// The key the request's `member` names, once the caller may do
    /// `action` on it. `alias/aws/<service>` names its AWS managed key,
    /// created on first use.
    async fn key(&self, member: &str, aliases: Aliases, action: &str) -> Result<KeyRecord, KmsError> {
        let identifier = self.request.key_id(member)?;
        let key = resolve(self.store, identifier, aliases).await?;
        self.access.key_action(action, &key, None)?;
        Ok(key)
    }
}

/// The key `identifier` names; a predefined AWS alias creates its key.
async fn resolve(store: &Arc<KeyStore>, identifier: &str, aliases: Aliases) -> Result<KeyRecord, KmsError> {
    match store.read(|keys| keys.resolve(identifier, aliases).cloned()) {
        Err(KmsError::NotFound(_)) if aliases == Aliases::Accepted && aws_alias(store, identifier).is_some() => {
            store
                .aws_managed_key(aws_alias(store, identifier).unwrap_or_default())
                .await
        }
        other => other,
    }
}

/// The services whose managed keys Halyard creates on first use.
const AWS_MANAGED: [&str; 1] = ["dynamodb"];

/// The service of a predefined AWS alias (`alias/aws/dynamodb` or its ARN).
fn aws_alias<'a>(store: &KeyStore, identifier: &'a str) -> Option<&'a str> {
    let name = match identifier.strip_prefix("arn:") {
        Some(_) => {
            let prefix = format!("arn:aws:kms:{}:{}:", store.region(), store.account());
            identifier.strip_prefix(prefix.as_str())?
        }
        None => identifier,
    };
    let service = name.strip_prefix("alias/aws/")?;
    AWS_MANAGED.contains(&service).then_some(service)
}

/// Changes the key `key_id` on the writer with `modify` (which checks the
/// key's state as the writer sees it), and returns it as stored.
async fn update_key<F>(store: &Arc<KeyStore>, key_id: &str, modify: F) -> Result<KeyRecord, KmsError>
where
    F: Fn(&mut KeyRecord) -> Result<(), KmsError> + Send + Sync + 'static,
{
    let id = key_id.to_string();
    let writes = store
        .change(move |keys| {
            let mut key = keys
                .key(&id)
                .cloned()
                .ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", keys.key_arn(&id))))?;
            modify(&mut key)?;
            Ok(vec![Write::Put(Record::Key(Box::new(key)))])
        })
        .await?;
    match writes.into_iter().next() {
        Some(Write::Put(Record::Key(key))) => Ok(*key),
        _ => Err(KmsError::Internal("a key change wrote no key".into())),
    }
}

/// KMS's refusal of a key in the wrong state for an operation.
fn state_error(key: &KeyRecord) -> KmsError {
    match key.state {
        KeyState::Disabled => KmsError::Disabled(format!("{} is disabled.", key.arn)),
        KeyState::PendingDeletion => KmsError::InvalidState(format!("{} is pending deletion.", key.arn)),
        KeyState::Enabled => KmsError::InvalidState(format!("{} is enabled.", key.arn)),
    }
}

/// Refuses a key pending deletion (operations that take disabled keys).
fn not_pending_deletion(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::PendingDeletion => Err(state_error(key)),
        _ => Ok(()),
    }
}

/// Refuses a key that is not enabled (the cryptographic operations).
fn usable(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::Enabled => Ok(()),
        _ => Err(state_error(key)),
    }
}
