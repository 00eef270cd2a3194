//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey: a
//! user's long-term keys (at most two), or the root's when the root asks
//! without naming a user. An inactive key authenticates nothing: the
//! directory's credential store leaves it out.

use crate::directory::records::{access_key_key, AccessKey, KeyStatus};
use crate::directory::{ids, now, IamError, Record, RecordWrite, Records};
use crate::sigv4::Timestamp;

use super::entities::Entity;
use super::paging::{list_answer, page};
use super::{Call, QueryResponse};

/// IAM's quota of keys per user (and for the root).
const KEYS_PER_USER: usize = 2;

/// Whose keys a request is about: the named user, the calling user, or
/// (`None`) the account's root.
fn owner(call: &Call<'_>) -> Result<Option<String>, IamError> {
    let grants = &call.caller.grants;
    let user_name = match call.request.get("UserName") {
        Some(_) => Some(call.entity_name(Entity::User)?),
        None if grants.root => None,
        None => Some(grants.principal.username.clone().ok_or_else(|| {
            IamError::Validation("Must specify userName when calling with non-User credentials".into())
        })?),
    };
    let arn = match &user_name {
        Some(name) => Entity::User.arn(call.directory, name),
        None => call.directory.root_arn(),
    };
    call.authorize(&arn)?;
    // The user as spelled when created, so keys name their owner alike.
    match user_name {
        Some(name) => call
            .directory
            .read(|records| records.user(&name).map(|user| Some(user.name.clone())))
            .ok_or_else(|| Entity::User.not_found(&name)),
        None => Ok(None),
    }
}

fn owned_by<'a>(records: &'a Records, owner: &'a Option<String>) -> impl Iterator<Item = &'a AccessKey> + 'a {
    records.access_keys().filter(move |key| match (&key.user_name, owner) {
        (Some(key_owner), Some(owner)) => key_owner.eq_ignore_ascii_case(owner),
        (None, None) => true,
        _ => false,
    })
}

/// An `AccessKeyId` member: 16-128 word characters.
fn access_key_id_parameter(call: &Call<'_>) -> Result<String, IamError> {
    let id = call.request.required("AccessKeyId")?;
    let valid = (16..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{id}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+"
        )));
    }
    Ok(id.to_string())
}

/// The owner's key `id`, as the writer sees it, or IAM's NoSuchEntity.
fn owned_key(records: &Records, owner: &Option<String>, id: &str) -> Result<AccessKey, IamError> {
    owned_by(records, owner)
        .find(|key| key.id == id)
        .cloned()
        .ok_or_else(|| IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found.")))
}

fn status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "Active",
        KeyStatus::Inactive => "Inactive",
    }
}

pub(super) async fn create_access_key(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let user_name = owner(call)?;
    let key = AccessKey {
        id: ids::access_key_id("AKIA"),
        secret: ids::secret_access_key(),
        user_name: user_name.clone(),
        status: KeyStatus::Active,
        created: now(),
    };
    let record_key = access_key_key(&key.id);
    let record = Box::new(Record::AccessKey(key.clone()));
    call.directory
        .change(move |records| {
            if let Some(name) = &user_name {
                records.user(name).ok_or_else(|| Entity::User.not_found(name))?;
            }
            if owned_by(records, &user_name).count() >= KEYS_PER_USER {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
                )));
            }
            Ok(vec![RecordWrite::Put(record_key.clone(), record.clone())])
        })
        .await?;
    Ok(call.answer(|xml| {
        xml.open("AccessKey");
        xml.optional("UserName", key.user_name.as_deref());
        xml.element("AccessKeyId", &key.id);
        xml.element("Status", status_name(key.status));
        xml.element("SecretAccessKey", &key.secret);
        xml.element("CreateDate", &Timestamp(key.created).to_iso8601());
        xml.close();
    }))
}

pub(super) fn list_access_keys(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let owner = owner(call)?;
    let keys = call.directory.read(|records| {
        owned_by(records, &owner)
            .map(|key| (key.id.clone(), key.clone()))
            .collect::<Vec<_>>()
    });
    let page = page(call.request, keys)?;
    Ok(list_answer(call, "AccessKeyMetadata", &page, |xml, key| {
        xml.optional("UserName", key.user_name.as_deref());
        xml.element("AccessKeyId", &key.id);
        xml.element("Status", status_name(key.status));
        xml.element("CreateDate", &Timestamp(key.created).to_iso8601());
    }))
}

pub(super) async fn update_access_key(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let id = access_key_id_parameter(call)?;
    let status = match call.request.required("Status")? {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
            )))
        }
    };
    let owner = owner(call)?;
    call.directory
        .change(move |records| {
            let mut key = owned_key(records, &owner, &id)?;
            key.status = status;
            Ok(vec![RecordWrite::Put(
                access_key_key(&id),
                Box::new(Record::AccessKey(key)),
            )])
        })
        .await?;
    Ok(call.done())
}

pub(super) async fn delete_access_key(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let id = access_key_id_parameter(call)?;
    let owner = owner(call)?;
    call.directory
        .change(move |records| {
            owned_key(records, &owner, &id)?;
            Ok(vec![RecordWrite::Delete(access_key_key(&id))])
        })
        .await?;
    Ok(call.done())
}
