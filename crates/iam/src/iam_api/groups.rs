//! CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser. Membership is kept on the user
//! (`User::groups`), which is what authorisation reads.

use crate::directory::records::{group_key, user_key, Group, Permissions};
use crate::directory::{ids, now, IamError, Record, RecordWrite};
use crate::query::XmlWriter;
use crate::sigv4::Timestamp;

use super::entities::{delete_conflict, insert_new, policies_conflict, Entity, EntityRecord};
use super::paging::{list_answer, list_under_path, page};
use super::users::{authorized_user, write_user_fields};
use super::{entity_arn, name_parameter, path_parameter, Call, QueryResponse};

/// IAM's quota of groups a user may be in.
const GROUPS_PER_USER: usize = 10;

pub(super) async fn create_group(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = name_parameter(call.request, "GroupName", 128)?;
    let path = path_parameter(call.request)?;
    let arn = entity_arn(call.directory, "group", &path, &name);
    call.authorize(&arn)?;
    let group = Group {
        name: name.clone(),
        path,
        id: ids::unique_id("AGPA"),
        arn,
        created: now(),
        permissions: Permissions::default(),
    };
    insert_new(
        call.directory,
        group_key(&name),
        Record::Group(group.clone()),
        format!("Group with name {name} already exists."),
    )
    .await?;
    Ok(call.answer(|xml| write_group(xml, "Group", &group)))
}

fn authorized_group(call: &Call<'_>, name: &str) -> Result<Group, IamError> {
    match call.authorized_entity(Entity::Group, name)? {
        EntityRecord::Group(group) => Ok(group),
        _ => Err(Entity::Group.not_found(name)),
    }
}

/// The group and a page of its members.
pub(super) fn get_group(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(Entity::Group)?;
    let group = authorized_group(call, &name)?;
    let members = call.directory.read(|records| {
        records
            .users()
            .filter(|user| user.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.name)))
            .map(|user| (user.name.to_ascii_lowercase(), user.clone()))
            .collect::<Vec<_>>()
    });
    let page = page(call.request, members)?;
    Ok(call.answer(|xml| {
        write_group(xml, "Group", &group);
        xml.members("Users", &page.items, write_user_fields);
        page.write_end(xml);
    }))
}

pub(super) fn list_groups(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    list_under_path(call, "Groups", |records| records.groups().collect(), write_group_fields)
}

/// Refuses while the group has members or policies.
pub(super) async fn delete_group(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(Entity::Group)?;
    authorized_group(call, &name)?;
    call.directory
        .change(move |records| {
            let group = records.group(&name).ok_or_else(|| Entity::Group.not_found(&name))?;
            let has_members = records
                .users()
                .any(|user| user.groups.iter().any(|g| g.eq_ignore_ascii_case(&name)));
            let conflict = if has_members {
                Some("must remove users from group first")
            } else {
                policies_conflict(&group.permissions)
            };
            if let Some(what) = conflict {
                return Err(delete_conflict(what));
            }
            Ok(vec![RecordWrite::Delete(group_key(&name))])
        })
        .await?;
    Ok(call.done())
}

/// Adding a member twice changes nothing.
pub(super) async fn add_user_to_group(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    change_membership(call, true).await
}

/// Removing a user who is not a member changes nothing.
pub(super) async fn remove_user_from_group(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    change_membership(call, false).await
}

/// Authorised on the group, as IAM does for both actions.
async fn change_membership(call: &Call<'_>, add: bool) -> Result<QueryResponse, IamError> {
    let group_name = call.entity_name(Entity::Group)?;
    let user_name = call.entity_name(Entity::User)?;
    authorized_group(call, &group_name)?;
    call.directory
        .change(move |records| {
            let group = records
                .group(&group_name)
                .ok_or_else(|| Entity::Group.not_found(&group_name))?;
            let mut user = records
                .user(&user_name)
                .cloned()
                .ok_or_else(|| Entity::User.not_found(&user_name))?;
            let member = user.groups.iter().position(|g| g.eq_ignore_ascii_case(&group.name));
            match (add, member) {
                (true, Some(_)) | (false, None) => return Ok(Vec::new()),
                (true, None) if user.groups.len() >= GROUPS_PER_USER => {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
                    )))
                }
                (true, None) => user.groups.push(group.name.clone()),
                (false, Some(at)) => {
                    user.groups.remove(at);
                }
            }
            Ok(vec![RecordWrite::Put(
                user_key(&user.name),
                Box::new(Record::User(user)),
            )])
        })
        .await?;
    Ok(call.done())
}

pub(super) fn list_groups_for_user(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(Entity::User)?;
    let user = authorized_user(call, &name)?;
    let mut groups = call.directory.read(|records| {
        user.groups
            .iter()
            .filter_map(|name| records.group(name))
            .map(|group| (group.name.to_ascii_lowercase(), group.clone()))
            .collect::<Vec<_>>()
    });
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let page = page(call.request, groups)?;
    Ok(list_answer(call, "Groups", &page, write_group_fields))
}

fn write_group(xml: &mut XmlWriter, element: &str, group: &Group) {
    xml.open(element);
    write_group_fields(xml, group);
    xml.close();
}

fn write_group_fields(xml: &mut XmlWriter, group: &Group) {
    xml.element("Path", &group.path);
    xml.element("GroupName", &group.name);
    xml.element("GroupId", &group.id);
    xml.element("Arn", &group.arn);
    xml.element("CreateDate", &Timestamp(group.created).to_iso8601());
}
