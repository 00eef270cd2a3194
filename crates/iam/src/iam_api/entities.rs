//! What users, groups and roles have alike for the actions that treat them
//! the same way (inline policies, attached policies, tags): how each is
//! named, found, limited, stored and reported missing.

use crate::directory::records::{group_key, role_key, user_key, Group, Permissions, Role, Tags, User};
use crate::directory::{Directory, IamError, Record, RecordWrite, Records};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entity {
    User,
    Group,
    Role,
}

impl Entity {
    /// `user`, as in ARNs and messages.
    pub fn noun(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Group => "group",
            Entity::Role => "role",
        }
    }

    /// `User`, as in action names (`PutUserPolicy`) and quota names.
    pub fn title(self) -> &'static str {
        match self {
            Entity::User => "User",
            Entity::Group => "Group",
            Entity::Role => "Role",
        }
    }

    /// The request member naming it: `UserName`.
    pub fn name_member(self) -> &'static str {
        match self {
            Entity::User => "UserName",
            Entity::Group => "GroupName",
            Entity::Role => "RoleName",
        }
    }

    /// The longest name the model accepts for an existing entity.
    pub fn max_name_length(self) -> usize {
        match self {
            Entity::User | Entity::Group => 128,
            Entity::Role => 64,
        }
    }

    /// IAM's cap on the entity's inline policies together, in characters
    /// other than whitespace.
    pub fn inline_quota(self) -> usize {
        match self {
            Entity::User => 2048,
            Entity::Group => 5120,
            Entity::Role => 10240,
        }
    }

    pub fn find(self, records: &Records, name: &str) -> Option<EntityRecord> {
        match self {
            Entity::User => records.user(name).cloned().map(EntityRecord::User),
            Entity::Group => records.group(name).cloned().map(EntityRecord::Group),
            Entity::Role => records.role(name).cloned().map(EntityRecord::Role),
        }
    }

    /// `find`, or IAM's NoSuchEntity.
    pub fn existing(self, records: &Records, name: &str) -> Result<EntityRecord, IamError> {
        self.find(records, name).ok_or_else(|| self.not_found(name))
    }

    /// "The user with name X cannot be found."
    pub fn not_found(self, name: &str) -> IamError {
        IamError::NoSuchEntity(format!("The {} with name {name} cannot be found.", self.noun()))
    }

    /// The entity's ARN, or the one it would have on the default path:
    /// what the caller is authorised against before existence is told.
    pub fn arn(self, directory: &Directory, name: &str) -> String {
        directory
            .read(|records| self.find(records, name).map(|record| record.arn().to_string()))
            .unwrap_or_else(|| super::entity_arn(directory, self.noun(), "/", name))
    }
}

/// A user, group or role record, as read for a change.
#[derive(Debug, Clone)]
pub(crate) enum EntityRecord {
    User(User),
    Group(Group),
    Role(Role),
}

impl EntityRecord {
    pub fn name(&self) -> &str {
        match self {
            EntityRecord::User(user) => &user.name,
            EntityRecord::Group(group) => &group.name,
            EntityRecord::Role(role) => &role.name,
        }
    }

    pub fn arn(&self) -> &str {
        match self {
            EntityRecord::User(user) => &user.arn,
            EntityRecord::Group(group) => &group.arn,
            EntityRecord::Role(role) => &role.arn,
        }
    }

    pub fn permissions(&self) -> &Permissions {
        match self {
            EntityRecord::User(user) => &user.permissions,
            EntityRecord::Group(group) => &group.permissions,
            EntityRecord::Role(role) => &role.permissions,
        }
    }

    pub fn permissions_mut(&mut self) -> &mut Permissions {
        match self {
            EntityRecord::User(user) => &mut user.permissions,
            EntityRecord::Group(group) => &mut group.permissions,
            EntityRecord::Role(role) => &mut role.permissions,
        }
    }

    /// Groups have no tags.
    pub fn tags(&self) -> Option<&Tags> {
        match self {
            EntityRecord::User(user) => Some(&user.tags),
            EntityRecord::Role(role) => Some(&role.tags),
            EntityRecord::Group(_) => None,
        }
    }

    pub fn tags_mut(&mut self) -> Option<&mut Tags> {
        match self {
            EntityRecord::User(user) => Some(&mut user.tags),
            EntityRecord::Role(role) => Some(&mut role.tags),
            EntityRecord::Group(_) => None,
        }
    }

    /// The write that stores this record as it now is.
    pub fn into_write(self) -> RecordWrite {
        match self {
            EntityRecord::User(user) => RecordWrite::Put(user_key(&user.name), Box::new(Record::User(user))),
            EntityRecord::Group(group) => RecordWrite::Put(group_key(&group.name), Box::new(Record::Group(group))),
            EntityRecord::Role(role) => RecordWrite::Put(role_key(&role.name), Box::new(Record::Role(role))),
        }
    }
}

/// Changes the named entity on the writer: `change` edits the record as
/// the writer finds it (and may return further writes, such as a managed
/// policy's attachment count); the edited record is stored with them.
pub(crate) async fn change_entity<F>(
    directory: &std::sync::Arc<Directory>,
    entity: Entity,
    name: &str,
    change: F,
) -> Result<(), IamError>
where
    F: Fn(&Records, &mut EntityRecord) -> Result<Vec<RecordWrite>, IamError> + Send + Sync + 'static,
{
    let name = name.to_string();
    directory
        .change(move |records| {
            let mut record = entity.existing(records, &name)?;
            let mut writes = change(records, &mut record)?;
            writes.push(record.into_write());
            Ok(writes)
        })
        .await
        .map(|_| ())
}

/// Why an entity with policies cannot be deleted yet, if it cannot.
pub(crate) fn policies_conflict(permissions: &Permissions) -> Option<&'static str> {
    if !permissions.inline.is_empty() {
        Some("must delete policies first")
    } else if !permissions.attached.is_empty() {
        Some("must detach all policies first")
    } else {
        None
    }
}

/// IAM's DeleteConflict: "Cannot delete entity, must ... first."
pub(crate) fn delete_conflict(what: &str) -> IamError {
    IamError::DeleteConflict(format!("Cannot delete entity, {what}."))
}

/// Stores a new record under `key` unless one is there (IAM's names are
/// unique regardless of case: the key is lowercased).
pub(crate) async fn insert_new(
    directory: &std::sync::Arc<Directory>,
    key: String,
    record: Record,
    already_exists: String,
) -> Result<(), IamError> {
    let record = Box::new(record);
    directory
        .change(move |records| {
            if records.contains(&key) {
                return Err(IamError::EntityAlreadyExists(already_exists.clone()));
            }
            Ok(vec![RecordWrite::Put(key.clone(), record.clone())])
        })
        .await
        .map(|_| ())
}
