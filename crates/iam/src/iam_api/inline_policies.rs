//! Inline policies of users, groups and roles, alike for the three:
//! Put/Get/List/Delete{User,Group,Role}Policy. An entity's inline policies
//! together are capped (2048, 5120, 10240 characters without whitespace).

use crate::directory::records::IdentityPolicy;
use crate::directory::IamError;

use super::entities::{change_entity, Entity};
use super::paging::{list_answer, page};
use super::{document_parameter, encoded_document, name_parameter, policy_size, Call, QueryResponse};

fn policy_name(call: &Call<'_>) -> Result<String, IamError> {
    name_parameter(call.request, "PolicyName", 128)
}

/// "The user policy with name X cannot be found."
fn policy_not_found(entity: Entity, name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The {} policy with name {name} cannot be found.",
        entity.noun()
    ))
}

/// Adds the policy, or replaces the one of that name.
pub(super) async fn put(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let policy = policy_name(call)?;
    let text = document_parameter(call.request, "PolicyDocument")?;
    call.authorized_entity(entity, &name)?;
    let document = IdentityPolicy::parse(text)?;
    change_entity(call.directory, entity, &name, move |_, record| {
        let others: usize = record
            .permissions()
            .inline
            .iter()
            .filter(|(other, _)| **other != policy)
            .map(|(_, document)| policy_size(document.text()))
            .sum();
        let quota = entity.inline_quota();
        if others + policy_size(document.text()) > quota {
            return Err(IamError::LimitExceeded(format!(
                "Maximum policy size of {quota} bytes exceeded for {} {}",
                entity.noun(),
                record.name()
            )));
        }
        record.permissions_mut().inline.insert(policy.clone(), document.clone());
        Ok(Vec::new())
    })
    .await?;
    Ok(call.done())
}

/// The document as given, URL-encoded as IAM answers it.
pub(super) fn get(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let policy = policy_name(call)?;
    let record = call.authorized_entity(entity, &name)?;
    let document = record
        .permissions()
        .inline
        .get(&policy)
        .ok_or_else(|| policy_not_found(entity, &policy))?;
    Ok(call.answer(|xml| {
        xml.element(entity.name_member(), record.name());
        xml.element("PolicyName", &policy);
        xml.element("PolicyDocument", &encoded_document(document.text()));
    }))
}

pub(super) fn list(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let record = call.authorized_entity(entity, &name)?;
    let names = record
        .permissions()
        .inline
        .keys()
        .map(|name| (name.clone(), name.clone()));
    let page = page(call.request, names)?;
    Ok(list_answer(call, "PolicyNames", &page, |xml, name| xml.text(name)))
}

pub(super) async fn delete(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let policy = policy_name(call)?;
    call.authorized_entity(entity, &name)?;
    change_entity(call.directory, entity, &name, move |_, record| {
        record
            .permissions_mut()
            .inline
            .remove(&policy)
            .map(|_| Vec::new())
            .ok_or_else(|| policy_not_found(entity, &policy))
    })
    .await?;
    Ok(call.done())
}
