//! The IAM API (query protocol, version 2010-05-08): one file per group of
//! actions. Each action is authorised as `iam:<Action>` on the entity it
//! names, then changes the directory through the writer, its preconditions
//! checked on the writer (`Directory::change`), so concurrent requests
//! cannot both pass them.

mod access_keys;
mod entities;
mod groups;
mod inline_policies;
mod managed_policies;
mod paging;
mod roles;
mod tags;
mod users;

use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::access::Caller;
use crate::directory::records::{Tag, Tags};
use crate::directory::{Directory, IamError};
use crate::query::{failure, success, QueryRequest, QueryResponse, QueryService, XmlWriter};

use entities::Entity;

/// Runs one IAM request for an authenticated caller.
pub async fn handle(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> QueryResponse {
    let action = request.action().unwrap_or_default();
    let call = Call {
        directory,
        caller,
        request,
        request_id,
        action,
    };
    let result = match action {
        "CreateUser" => users::create_user(&call).await,
        "GetUser" => users::get_user(&call),
        "ListUsers" => users::list_users(&call),
        "DeleteUser" => users::delete_user(&call).await,
        "CreateAccessKey" => access_keys::create_access_key(&call).await,
        "ListAccessKeys" => access_keys::list_access_keys(&call),
        "UpdateAccessKey" => access_keys::update_access_key(&call).await,
        "DeleteAccessKey" => access_keys::delete_access_key(&call).await,
        "CreateGroup" => groups::create_group(&call).await,
        "GetGroup" => groups::get_group(&call),
        "ListGroups" => groups::list_groups(&call),
        "DeleteGroup" => groups::delete_group(&call).await,
        "AddUserToGroup" => groups::add_user_to_group(&call).await,
        "RemoveUserFromGroup" => groups::remove_user_from_group(&call).await,
        "ListGroupsForUser" => groups::list_groups_for_user(&call),
        "PutUserPolicy" => inline_policies::put(&call, Entity::User).await,
        "GetUserPolicy" => inline_policies::get(&call, Entity::User),
        "ListUserPolicies" => inline_policies::list(&call, Entity::User),
        "DeleteUserPolicy" => inline_policies::delete(&call, Entity::User).await,
        "PutGroupPolicy" => inline_policies::put(&call, Entity::Group).await,
        "GetGroupPolicy" => inline_policies::get(&call, Entity::Group),
        "ListGroupPolicies" => inline_policies::list(&call, Entity::Group),
        "DeleteGroupPolicy" => inline_policies::delete(&call, Entity::Group).await,
        "PutRolePolicy" => inline_policies::put(&call, Entity::Role).await,
        "GetRolePolicy" => inline_policies::get(&call, Entity::Role),
        "ListRolePolicies" => inline_policies::list(&call, Entity::Role),
        "DeleteRolePolicy" => inline_policies::delete(&call, Entity::Role).await,
        "CreatePolicy" => managed_policies::create_policy(&call).await,
        "GetPolicy" => managed_policies::get_policy(&call),
        "GetPolicyVersion" => managed_policies::get_policy_version(&call),
        "ListPolicies" => managed_policies::list_policies(&call),
        "DeletePolicy" => managed_policies::delete_policy(&call).await,
        "AttachUserPolicy" => managed_policies::attach(&call, Entity::User).await,
        "AttachGroupPolicy" => managed_policies::attach(&call, Entity::Group).await,
        "AttachRolePolicy" => managed_policies::attach(&call, Entity::Role).await,
        "DetachUserPolicy" => managed_policies::detach(&call, Entity::User).await,
        "DetachGroupPolicy" => managed_policies::detach(&call, Entity::Group).await,
        "DetachRolePolicy" => managed_policies::detach(&call, Entity::Role).await,
        "ListAttachedUserPolicies" => managed_policies::list_attached(&call, Entity::User),
        "ListAttachedGroupPolicies" => managed_policies::list_attached(&call, Entity::Group),
        "ListAttachedRolePolicies" => managed_policies::list_attached(&call, Entity::Role),
        "CreateRole" => roles::create_role(&call).await,
        "GetRole" => roles::get_role(&call),
        "ListRoles" => roles::list_roles(&call),
        "DeleteRole" => roles::delete_role(&call).await,
        "TagUser" => tags::tag(&call, Entity::User).await,
        "UntagUser" => tags::untag(&call, Entity::User).await,
        "ListUserTags" => tags::list(&call, Entity::User),
        "TagRole" => tags::tag(&call, Entity::Role).await,
        "UntagRole" => tags::untag(&call, Entity::Role).await,
        "ListRoleTags" => tags::list(&call, Entity::Role),
        _ => Err(IamError::InvalidAction(format!(
            "Could not find operation {action} for version {}",
            QueryService::Iam.version()
        ))),
    };
    result.unwrap_or_else(|error| failure(QueryService::Iam, &error, request_id))
}

/// One IAM request being answered.
pub(crate) struct Call<'a> {
    pub directory: &'a Arc<Directory>,
    pub caller: &'a Caller,
    pub request: &'a QueryRequest,
    pub request_id: &'a str,
    /// `CreateUser`: the permission asked for and the result's name.
    pub action: &'a str,
}

impl Call<'_> {
    /// Authorises `iam:<action>` on `resource` for the caller.
    pub fn authorize(&self, resource: &str) -> Result<(), IamError> {
        let context = self.caller.context(&format!("iam:{}", self.action), resource);
        self.caller
            .authorize(&context, &[])
            .map_err(|denial| IamError::AccessDenied(denial.message()))
    }

    /// `<ActionResponse><ActionResult>` with the members `result` writes.
    pub fn answer(&self, result: impl FnOnce(&mut XmlWriter)) -> QueryResponse {
        success(QueryService::Iam, self.action, self.request_id, result)
    }

    /// An answer with an empty result, for actions that return nothing.
    pub fn done(&self) -> QueryResponse {
        self.answer(|_| {})
    }

    /// The entity named by `entity`'s member (`UserName`...), validated.
    pub fn entity_name(&self, entity: Entity) -> Result<String, IamError> {
        name_parameter(self.request, entity.name_member(), entity.max_name_length())
    }

    /// Authorises the action on the named entity, then finds it. The
    /// authorisation comes first, so a caller may not learn which names
    /// exist by asking about names it has no right to.
    pub fn authorized_entity(&self, entity: Entity, name: &str) -> Result<entities::EntityRecord, IamError> {
        self.authorize(&entity.arn(self.directory, name))?;
        self.directory.read(|records| entity.existing(records, name))
    }
}

/// `arn:aws:iam::ACCOUNT:<kind><path><name>`, e.g. `user` + `/` + `alice`.
pub(crate) fn entity_arn(directory: &Directory, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{}:{kind}{path}{name}", directory.account_id())
}

/// The resource of actions that name no entity (ListUsers, ListRoles...):
/// IAM authorises them only against `"Resource": "*"`.
pub(crate) const ANY_RESOURCE: &str = "*";

fn validation(member: &str, value: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
        crate::query::lower_first(member)
    ))
}

/// A name member (users, groups, roles, policies): 1 to `max` of
/// `[\w+=,.@-]`.
pub(crate) fn name_parameter(request: &QueryRequest, member: &str, max: usize) -> Result<String, IamError> {
    let name = request.required(member)?;
    if name.is_empty() || name.len() > max {
        return Err(validation(
            member,
            name,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)) {
        return Err(validation(
            member,
            name,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(name.to_string())
}

/// A `Path` parameter: `/` by default; IAM's pattern is `/` or
/// `/.../`, at most 512 characters.
pub(crate) fn path_parameter(request: &QueryRequest) -> Result<String, IamError> {
    let path = request.get("Path").unwrap_or("/");
    let valid = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if !valid {
        return Err(validation(
            "Path",
            path,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(path.to_string())
}

/// A `PathPrefix` filter (`/` when absent): what List* actions match
/// entity paths against.
pub(crate) fn path_prefix_parameter(request: &QueryRequest) -> Result<String, IamError> {
    let prefix = request.get("PathPrefix").unwrap_or("/");
    let valid = !prefix.is_empty()
        && prefix.len() <= 512
        && prefix.starts_with('/')
        && prefix.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    if !valid {
        return Err(validation(
            "PathPrefix",
            prefix,
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        ));
    }
    Ok(prefix.to_string())
}

/// Permissions boundaries are not kept: refusing one is safer than
/// accepting it and granting more than the caller meant to.
pub(crate) fn refuse_permissions_boundary(request: &QueryRequest) -> Result<(), IamError> {
    match request.get("PermissionsBoundary") {
        Some(_) => Err(IamError::InvalidInput(
            "Halyard does not support permissions boundaries: leave PermissionsBoundary out.".into(),
        )),
        None => Ok(()),
    }
}

/// An optional `Description`: at most 1000 characters.
pub(crate) fn description_parameter(request: &QueryRequest) -> Result<Option<String>, IamError> {
    match request.get("Description") {
        Some(text) if text.chars().count() > 1000 => Err(validation(
            "Description",
            text,
            "Member must have length less than or equal to 1000",
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// A `Tags` parameter (`Tags.member.N.Key`/`.Value`): at most 50, keys
/// 1-128 and values 0-256 characters, no key twice (ignoring case).
pub(crate) fn tags_parameter(request: &QueryRequest) -> Result<Tags, IamError> {
    let tags: Vec<Tag> = request
        .structures("Tags")
        .into_iter()
        .map(|members| Tag {
            key: members.get("Key").copied().unwrap_or_default().to_string(),
            value: members.get("Value").copied().unwrap_or_default().to_string(),
        })
        .collect();
    for (n, tag) in tags.iter().enumerate() {
        let member = |name: &str| format!("tags.{}.member.{name}", n + 1);
        let key_length = tag.key.chars().count();
        if key_length == 0 || key_length > 128 {
            return Err(validation(
                &member("key"),
                &tag.key,
                "Member must have length between 1 and 128",
            ));
        }
        if !tag.key.chars().all(tag_character) {
            return Err(validation(
                &member("key"),
                &tag.key,
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if tag.value.chars().count() > 256 {
            return Err(validation(
                &member("value"),
                &tag.value,
                "Member must have length less than or equal to 256",
            ));
        }
        if !tag.value.chars().all(tag_character) {
            return Err(validation(
                &member("value"),
                &tag.value,
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
    }
    for (n, tag) in tags.iter().enumerate() {
        if tags[..n].iter().any(|other| other.key.eq_ignore_ascii_case(&tag.key)) {
            return Err(IamError::InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
    }
    check_tag_count(tags.len())?;
    Ok(tags)
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: letters, spaces, numbers and a few marks.
fn tag_character(c: char) -> bool {
    c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
}

/// IAM's cap of 50 tags on an entity or policy.
pub(crate) fn check_tag_count(count: usize) -> Result<(), IamError> {
    if count > 50 {
        return Err(IamError::LimitExceeded(
            "The number of tags has reached the maximum limit.".into(),
        ));
    }
    Ok(())
}

/// `<Tags><member><Key/><Value/></member>...</Tags>`, when there are any.
pub(crate) fn write_tags(xml: &mut XmlWriter, tags: &[Tag]) {
    if !tags.is_empty() {
        xml.members("Tags", tags, |xml, tag| {
            xml.element("Key", &tag.key);
            xml.element("Value", &tag.value);
        });
    }
}

/// A policy document parameter, within the model's bounds: 1 to 131072
/// characters of tab, newline, carriage return and U+0020-U+00FF.
pub(crate) fn document_parameter<'a>(request: &'a QueryRequest, member: &str) -> Result<&'a str, IamError> {
    let text = request.required(member)?;
    let length = text.chars().count();
    if length == 0 || length > 131_072 {
        return Err(validation(member, text, "Member must have length between 1 and 131072"));
    }
    if !text
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r') || ('\u{20}'..='\u{ff}').contains(&c))
    {
        return Err(validation(
            member,
            text,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(text)
}

/// A policy's size as IAM counts it against its quotas: characters other
/// than whitespace.
pub(crate) fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// RFC 3986's unreserved characters stay; everything else is encoded.
const DOCUMENT_ENCODING: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A policy document as IAM answers it: URL-encoded (the SDKs decode it).
pub(crate) fn encoded_document(text: &str) -> String {
    utf8_percent_encode(text, DOCUMENT_ENCODING).to_string()
}

/// `true`/`false` as the query protocol writes booleans.
pub(crate) fn boolean(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// An optional integer member within `min..=max`, with the model's
/// validation text when outside.
pub(crate) fn bounded_integer(
    request: &QueryRequest,
    member: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, IamError> {
    match request.integer(member)? {
        Some(n) if n < min => Err(validation(
            member,
            &n.to_string(),
            &format!("Member must have value greater than or equal to {min}"),
        )),
        Some(n) if n > max => Err(validation(
            member,
            &n.to_string(),
            &format!("Member must have value less than or equal to {max}"),
        )),
        other => Ok(other),
    }
}
