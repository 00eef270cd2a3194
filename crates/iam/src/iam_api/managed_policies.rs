//! Managed policies: CreatePolicy, GetPolicy, GetPolicyVersion,
//! ListPolicies, DeletePolicy, and their attachment to users, groups and
//! roles (Attach/Detach/ListAttached{User,Group,Role}Policies). Halyard
//! keeps one version of each policy, `v1`; a policy's attachment count is
//! kept with it, changed in the same write as the attachment.

use crate::directory::records::{policy_key, IdentityPolicy, ManagedPolicy};
use crate::directory::{ids, now, IamError, Record, RecordWrite, Records};
use crate::query::XmlWriter;
use crate::sigv4::Timestamp;

use super::entities::{change_entity, Entity};
use super::paging::{list_answer, page, position_key};
use super::{
    boolean, description_parameter, document_parameter, encoded_document, name_parameter, path_parameter,
    path_prefix_parameter, policy_size, tags_parameter, write_tags, Call, QueryResponse, ANY_RESOURCE,
};

/// IAM's cap on a managed policy, in characters without whitespace.
const POLICY_SIZE_QUOTA: usize = 6144;
/// IAM's cap on managed policies attached to one user, group or role.
const ATTACHED_PER_ENTITY: usize = 10;

/// A `PolicyArn` member: an ARN, or IAM's InvalidInput.
fn policy_arn_parameter(call: &Call<'_>) -> Result<String, IamError> {
    let arn = call.request.required("PolicyArn")?;
    let valid = (20..=2048).contains(&arn.len()) && arn.starts_with("arn:") && arn.split(':').count() >= 6;
    if !valid {
        return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
    }
    Ok(arn.to_string())
}

fn not_found(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

fn existing(records: &Records, arn: &str) -> Result<ManagedPolicy, IamError> {
    records.policy(arn).cloned().ok_or_else(|| not_found(arn))
}

/// The policy named by `PolicyArn`, once the caller may do the action on it.
fn authorized_policy(call: &Call<'_>) -> Result<ManagedPolicy, IamError> {
    let arn = policy_arn_parameter(call)?;
    call.authorize(&arn)?;
    call.directory.read(|records| existing(records, &arn))
}

pub(super) async fn create_policy(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let name = name_parameter(call.request, "PolicyName", 128)?;
    let path = path_parameter(call.request)?;
    let text = document_parameter(call.request, "PolicyDocument")?;
    let description = description_parameter(call.request)?;
    let tags = tags_parameter(call.request)?;
    let arn = super::entity_arn(call.directory, "policy", &path, &name);
    call.authorize(&arn)?;
    let document = IdentityPolicy::parse(text)?;
    if policy_size(text) > POLICY_SIZE_QUOTA {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {POLICY_SIZE_QUOTA}"
        )));
    }
    let created = now();
    let policy = ManagedPolicy {
        name: name.clone(),
        path,
        id: ids::unique_id("ANPA"),
        arn: arn.clone(),
        created,
        updated: created,
        description,
        default_version: "v1".into(),
        document,
        attachment_count: 0,
        tags,
    };
    let record = Box::new(Record::Policy(policy.clone()));
    call.directory
        .change(move |records| {
            // Names are unique in the account, whatever the path.
            if records.policies().any(|other| other.name.eq_ignore_ascii_case(&name)) {
                return Err(IamError::EntityAlreadyExists(format!(
                    "A policy called {name} already exists. Duplicate names are not allowed."
                )));
            }
            Ok(vec![RecordWrite::Put(policy_key(&arn), record.clone())])
        })
        .await?;
    Ok(call.answer(|xml| write_policy(xml, &policy, true)))
}

pub(super) fn get_policy(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let policy = authorized_policy(call)?;
    Ok(call.answer(|xml| write_policy(xml, &policy, true)))
}

pub(super) fn get_policy_version(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let version = call.request.required("VersionId")?.to_string();
    let policy = authorized_policy(call)?;
    if version != policy.default_version {
        return Err(IamError::NoSuchEntity(format!(
            "Policy {} version {version} does not exist or is not attachable.",
            policy.arn
        )));
    }
    Ok(call.answer(|xml| {
        xml.open("PolicyVersion");
        xml.element("Document", &encoded_document(policy.document.text()));
        xml.element("VersionId", &policy.default_version);
        xml.element("IsDefaultVersion", "true");
        xml.element("CreateDate", &Timestamp(policy.updated).to_iso8601());
        xml.close();
    }))
}

/// The account's own policies (`Scope` `Local` or `All`; Halyard has no
/// AWS-managed ones), by name.
pub(super) fn list_policies(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    call.authorize(ANY_RESOURCE)?;
    let scope = call.request.get("Scope").unwrap_or("All");
    if !["All", "AWS", "Local"].contains(&scope) {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
        )));
    }
    let only_attached = call.request.get("OnlyAttached") == Some("true");
    let prefix = path_prefix_parameter(call.request)?;
    let mut policies = call.directory.read(|records| {
        records
            .policies()
            .filter(|policy| scope != "AWS" && policy.path.starts_with(&prefix))
            .filter(|policy| !only_attached || policy.attachment_count > 0)
            .map(|policy| (policy.name.to_ascii_lowercase(), policy.clone()))
            .collect::<Vec<_>>()
    });
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    let page = page(call.request, policies)?;
    // ListPolicies leaves out descriptions and tags, as IAM does.
    Ok(list_answer(call, "Policies", &page, |xml, policy| {
        write_policy_fields(xml, policy, false)
    }))
}

/// Refuses while the policy is attached to anything.
pub(super) async fn delete_policy(call: &Call<'_>) -> Result<QueryResponse, IamError> {
    let arn = authorized_policy(call)?.arn;
    call.directory
        .change(move |records| {
            if existing(records, &arn)?.attachment_count > 0 {
                return Err(IamError::DeleteConflict(
                    "Cannot delete a policy attached to entities.".into(),
                ));
            }
            Ok(vec![RecordWrite::Delete(policy_key(&arn))])
        })
        .await?;
    Ok(call.done())
}

/// Attaching a policy twice changes nothing.
pub(super) async fn attach(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let arn = policy_arn_parameter(call)?;
    call.authorized_entity(entity, &name)?;
    change_entity(call.directory, entity, &name, move |records, record| {
        let mut policy = records.policy(&arn).cloned().ok_or_else(|| not_attachable(&arn))?;
        let attached = &mut record.permissions_mut().attached;
        if attached.contains(&arn) {
            return Ok(Vec::new());
        }
        if attached.len() >= ATTACHED_PER_ENTITY {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPer{}: {ATTACHED_PER_ENTITY}",
                entity.title()
            )));
        }
        attached.push(arn.clone());
        policy.attachment_count += 1;
        Ok(vec![policy_write(policy)])
    })
    .await?;
    Ok(call.done())
}

pub(super) async fn detach(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let arn = policy_arn_parameter(call)?;
    call.authorized_entity(entity, &name)?;
    change_entity(call.directory, entity, &name, move |records, record| {
        let attached = &mut record.permissions_mut().attached;
        let at = attached.iter().position(|a| *a == arn).ok_or_else(|| not_found(&arn))?;
        attached.remove(at);
        Ok(records
            .policy(&arn)
            .cloned()
            .map(|mut policy| {
                policy.attachment_count = policy.attachment_count.saturating_sub(1);
                policy_write(policy)
            })
            .into_iter()
            .collect())
    })
    .await?;
    Ok(call.done())
}

/// In the order they were attached, filtered by the policies' paths.
pub(super) fn list_attached(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let prefix = path_prefix_parameter(call.request)?;
    let record = call.authorized_entity(entity, &name)?;
    let attached = call.directory.read(|records| {
        record
            .permissions()
            .attached
            .iter()
            .filter_map(|arn| records.policy(arn))
            .filter(|policy| policy.path.starts_with(&prefix))
            .enumerate()
            .map(|(n, policy)| (position_key(n), (policy.name.clone(), policy.arn.clone())))
            .collect::<Vec<_>>()
    });
    let page = page(call.request, attached)?;
    Ok(list_answer(call, "AttachedPolicies", &page, |xml, (name, arn)| {
        xml.element("PolicyName", name);
        xml.element("PolicyArn", arn);
    }))
}

fn policy_write(policy: ManagedPolicy) -> RecordWrite {
    RecordWrite::Put(policy_key(&policy.arn), Box::new(Record::Policy(policy)))
}

fn write_policy(xml: &mut XmlWriter, policy: &ManagedPolicy, detailed: bool) {
    xml.open("Policy");
    write_policy_fields(xml, policy, detailed);
    xml.close();
}

/// `detailed`: with the description and tags (GetPolicy, CreatePolicy).
fn write_policy_fields(xml: &mut XmlWriter, policy: &ManagedPolicy, detailed: bool) {
    xml.element("PolicyName", &policy.name);
    xml.element("PolicyId", &policy.id);
    xml.element("Arn", &policy.arn);
    xml.element("Path", &policy.path);
    xml.element("DefaultVersionId", &policy.default_version);
    xml.element("AttachmentCount", &policy.attachment_count.to_string());
    xml.element("PermissionsBoundaryUsageCount", "0");
    xml.element("IsAttachable", boolean(true));
    if detailed {
        xml.optional("Description", policy.description.as_deref());
    }
    xml.element("CreateDate", &Timestamp(policy.created).to_iso8601());
    xml.element("UpdateDate", &Timestamp(policy.updated).to_iso8601());
    if detailed {
        write_tags(xml, &policy.tags);
    }
}
