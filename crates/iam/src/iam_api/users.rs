//! CreateUser, GetUser.

use std::sync::Arc;

use crate::access::Caller;
use crate::directory::records::{user_key, Permissions, User};
use crate::directory::{ids, now, Directory, IamError, Record, RecordWrite};
use crate::query::{success, QueryRequest, QueryResponse, QueryService, XmlWriter};
use crate::sigv4::Timestamp;

use super::{authorize, entity_arn, path_parameter};

/// User names: 1-64 of `[\w+=,.@-]`.
fn user_name(request: &QueryRequest, member: &str) -> Result<String, IamError> {
    let name = request.required(member)?;
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{name}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
            crate::query::lower_first(member)
        )));
    }
    Ok(name.to_string())
}

pub(super) async fn create_user(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> Result<QueryResponse, IamError> {
    let name = user_name(request, "UserName")?;
    let path = path_parameter(request)?;
    let arn = entity_arn(directory, "user", &path, &name);
    authorize(caller, "CreateUser", &arn)?;
    let user = User {
        name: name.clone(),
        path,
        id: ids::unique_id("AIDA"),
        arn,
        created: now(),
        tags: super::tags_parameter(request)?,
        permissions: Permissions::default(),
        groups: Vec::new(),
    };
    let record = Box::new(Record::User(user.clone()));
    directory
        .change(move |records| {
            if records.user(&name).is_some() {
                return Err(IamError::EntityAlreadyExists(format!(
                    "User with name {name} already exists."
                )));
            }
            Ok(vec![RecordWrite::Put(user_key(&name), record.clone())])
        })
        .await?;
    Ok(success(QueryService::Iam, "CreateUser", request_id, |xml| {
        write_user(xml, &user)
    }))
}

pub(super) fn get_user(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> Result<QueryResponse, IamError> {
    // Without UserName: the caller itself.
    let name = match request.get("UserName") {
        Some(_) => user_name(request, "UserName")?,
        None => match &caller.grants.principal.username {
            Some(name) => name.clone(),
            None if caller.grants.root => {
                return Ok(success(QueryService::Iam, "GetUser", request_id, |xml| {
                    xml.open("User");
                    xml.element("UserId", &caller.grants.principal.user_id);
                    xml.element("Arn", &caller.grants.principal.arn);
                    xml.close();
                }))
            }
            None => {
                return Err(IamError::Validation(
                    "Must specify userName when calling with non-User credentials".into(),
                ))
            }
        },
    };
    let user = directory
        .read(|records| records.user(&name).cloned())
        .ok_or_else(|| IamError::NoSuchEntity(format!("The user with name {name} cannot be found.")))?;
    authorize(caller, "GetUser", &user.arn)?;
    Ok(success(QueryService::Iam, "GetUser", request_id, |xml| {
        write_user(xml, &user)
    }))
}

/// `<User>` as CreateUser and GetUser answer it.
pub(super) fn write_user(xml: &mut XmlWriter, user: &User) {
    xml.open("User");
    xml.element("Path", &user.path);
    xml.element("UserName", &user.name);
    xml.element("UserId", &user.id);
    xml.element("Arn", &user.arn);
    xml.element("CreateDate", &Timestamp(user.created).to_iso8601());
    if !user.tags.is_empty() {
        super::write_tags(xml, &user.tags);
    }
    xml.close();
}
