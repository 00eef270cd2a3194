//! CreateRole (its AssumeRolePolicyDocument parsed as a trust policy),
//! GetRole, ListRoles, DeleteRole. A role's inline and attached policies
//! are in inline_policies.rs and managed_policies.rs.

use crate::directory::records::{role_key, Permissions, Role, TrustPolicy};
use crate::directory::{ids, now, IamError, Record, RecordWrite};
use crate::query::XmlWriter;
use crate::sigv4::Timestamp;

use super::entities::{delete_conflict, insert_new, policies_conflict, Entity, EntityRecord};
use super::paging::list_under_path;
use super::{
    bounded_integer, description_parameter, document_parameter, encoded_document, entity_arn, name_parameter,
    path_parameter, policy_size, tags_parameter, write_tags, Call, QueryResponse,
};

/// IAM's cap on a trust policy, in characters without whitespace.
const TRUST_POLICY_QUOTA: usize = 2048;

pub(super) async fn create_role(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = name_parameter(call.request, "RoleName", 64)?;
    let path = path_parameter(call.request)?;
    super::refuse_permissions_boundary(call.request)?;
    let text = document_parameter(call.request, "AssumeRolePolicyDocument")?;
    let description = description_parameter(call.request)?;
    let max_session_duration = bounded_integer(call.request, "MaxSessionDuration", 3600, 43200)?.unwrap_or(3600);
    let tags = tags_parameter(call.request)?;
    let arn = entity_arn(call.directory, "role", &path, &name);
    call.authorize(&arn)?;
    let trust_policy = TrustPolicy::parse(text)?;
    if policy_size(text) > TRUST_POLICY_QUOTA {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}"
        )));
    }
    let role = Role {
        name: name.clone(),
        path,
        id: ids::unique_id("AROA"),
        arn,
        created: now(),
        trust_policy,
        description,
        max_session_duration,
        tags,
        permissions: Permissions::default(),
    };
    insert_new(
        call.directory,
        role_key(&name),
        Record::Role(role.clone()),
        format!("Role with name {name} already exists."),
    )
    .await?;
    Ok(call.answer(|xml| write_role(xml, &role)))
}

fn authorized_role(call: &Call<'_>) -> Result<Role, IamError> {
    let name = call.entity_name(Entity::Role)?;
    match call.authorized_entity(Entity::Role, &name)? {
        EntityRecord::Role(role) => Ok(role),
        _ => Err(Entity::Role.not_found(&name)),
    }
}

pub(super) fn get_role(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let role = authorized_role(call)?;
    Ok(call.answer(|xml| write_role(xml, &role)))
}

pub(super) fn list_roles(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    // ListRoles leaves tags out; GetRole and ListRoleTags give them.
    list_under_path(
        call,
        "Roles",
        |records| records.roles().collect(),
        |xml, role| {
            write_role_fields(
                xml,
                &Role {
                    tags: Vec::new(),
                    ..role.clone()
                },
            )
        },
    )
}

/// Refuses while the role has policies.
pub(super) async fn delete_role(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = authorized_role(call)?.name;
    call.directory
        .change(move |records| {
            let role = records.role(&name).ok_or_else(|| Entity::Role.not_found(&name))?;
            if let Some(what) = policies_conflict(&role.permissions) {
                return Err(delete_conflict(what));
            }
            Ok(vec![RecordWrite::Delete(role_key(&name))])
        })
        .await?;
    Ok(call.done())
}

fn write_role(xml: &mut XmlWriter, role: &Role) {
    xml.open("Role");
    write_role_fields(xml, role);
    xml.close();
}

fn write_role_fields(xml: &mut XmlWriter, role: &Role) {
    xml.element("Path", &role.path);
    xml.element("RoleName", &role.name);
    xml.element("RoleId", &role.id);
    xml.element("Arn", &role.arn);
    xml.element("CreateDate", &Timestamp(role.created).to_iso8601());
    xml.element("AssumeRolePolicyDocument", &encoded_document(role.trust_policy.text()));
    xml.optional("Description", role.description.as_deref());
    xml.element("MaxSessionDuration", &role.max_session_duration.to_string());
    write_tags(xml, &role.tags);
}
