//! CreateUser, GetUser, ListUsers, DeleteUser.

use crate::directory::records::{user_key, Permissions, User};
use crate::directory::{ids, now, IamError, Record, RecordWrite};
use crate::query::XmlWriter;
use crate::sigv4::Timestamp;

use super::entities::{delete_conflict, insert_new, policies_conflict, Entity};
use super::paging::list_under_path;
use super::{entity_arn, name_parameter, path_parameter, tags_parameter, write_tags, Call, QueryResponse};

pub(super) async fn create_user(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    // A new user's name: at most 64 (existing names are checked to 128).
    let name = name_parameter(call.request, "UserName", 64)?;
    let path = path_parameter(call.request)?;
    super::refuse_permissions_boundary(call.request)?;
    let arn = entity_arn(call.directory, "user", &path, &name);
    call.authorize(&arn)?;
    let user = User {
        name: name.clone(),
        path,
        id: ids::unique_id("AIDA"),
        arn,
        created: now(),
        tags: tags_parameter(call.request)?,
        permissions: Permissions::default(),
        groups: Vec::new(),
    };
    insert_new(
        call.directory,
        user_key(&name),
        Record::User(user.clone()),
        format!("User with name {name} already exists."),
    )
    .await?;
    Ok(call.answer(|xml| write_user(xml, "User", &user)))
}

pub(super) fn get_user(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let caller = &call.caller.grants;
    // Without UserName: the caller itself.
    let name = match call.request.get("UserName") {
        Some(_) => call.entity_name(Entity::User)?,
        None => match &caller.principal.username {
            Some(name) => name.clone(),
            None if caller.root => {
                return Ok(call.answer(|xml| {
                    xml.open("User");
                    xml.element("UserId", &caller.principal.user_id);
                    xml.element("Arn", &caller.principal.arn);
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
    let user = authorized_user(call, &name)?;
    Ok(call.answer(|xml| write_user(xml, "User", &user)))
}

pub(super) fn list_users(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    // ListUsers leaves tags out; GetUser and ListUserTags give them.
    list_under_path(
        call,
        "Users",
        |records| records.users().collect(),
        |xml, user| {
            write_user_fields(
                xml,
                &User {
                    tags: Vec::new(),
                    ..user.clone()
                },
            )
        },
    )
}

/// Refuses while the user has anything that would dangle: access keys,
/// inline or attached policies, group memberships.
pub(super) async fn delete_user(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(Entity::User)?;
    authorized_user(call, &name)?;
    call.directory
        .change(move |records| {
            let user = records.user(&name).ok_or_else(|| Entity::User.not_found(&name))?;
            let owns_keys = records.access_keys().any(|key| {
                key.user_name
                    .as_deref()
                    .is_some_and(|owner| owner.eq_ignore_ascii_case(&name))
            });
            let conflict = if owns_keys {
                Some("must delete access keys first")
            } else if let Some(what) = policies_conflict(&user.permissions) {
                Some(what)
            } else if !user.groups.is_empty() {
                Some("must remove users from group first")
            } else {
                None
            };
            if let Some(what) = conflict {
                return Err(delete_conflict(what));
            }
            Ok(vec![RecordWrite::Delete(user_key(&name))])
        })
        .await?;
    Ok(call.done())
}

/// The named user, once the caller may do the action on it.
pub(super) fn authorized_user(call: &Call<'_>, name: &str) -> Result<User, IamError> {
    call.authorize(&Entity::User.arn(call.directory, name))?;
    call.directory
        .read(|records| records.user(name).cloned())
        .ok_or_else(|| Entity::User.not_found(name))
}

/// `<element>` holding a user as CreateUser and GetUser answer it.
pub(super) fn write_user(xml: &mut XmlWriter, element: &str, user: &User) {
    xml.open(element);
    write_user_fields(xml, user);
    xml.close();
}

/// A user's members, inside `<User>` or a list's `<member>`.
pub(super) fn write_user_fields(xml: &mut XmlWriter, user: &User) {
    xml.element("Path", &user.path);
    xml.element("UserName", &user.name);
    xml.element("UserId", &user.id);
    xml.element("Arn", &user.arn);
    xml.element("CreateDate", &Timestamp(user.created).to_iso8601());
    write_tags(xml, &user.tags);
}
