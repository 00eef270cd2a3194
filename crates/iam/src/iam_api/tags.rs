//! TagUser, UntagUser, ListUserTags, TagRole, UntagRole, ListRoleTags. A
//! tag on a key already there replaces its value (keys ignore case).

use crate::directory::IamError;
use crate::query::missing;

use super::entities::{change_entity, Entity};
use super::paging::{list_answer, page, position_key};
use super::{check_tag_count, tags_parameter, Call, QueryResponse};

pub(super) async fn tag(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let new = tags_parameter(call.request)?;
    if new.is_empty() {
        return Err(missing("Tags"));
    }
    call.authorized_entity(entity, &name)?;
    change_entity(call.directory, entity, &name, move |_, record| {
        let Some(tags) = record.tags_mut() else {
            return Ok(Vec::new());
        };
        for tag in &new {
            match tags.iter_mut().find(|t| t.key.eq_ignore_ascii_case(&tag.key)) {
                Some(existing) => existing.value = tag.value.clone(),
                None => tags.push(tag.clone()),
            }
        }
        check_tag_count(tags.len())?;
        Ok(Vec::new())
    })
    .await?;
    Ok(call.done())
}

/// Keys not on the entity are ignored.
pub(super) async fn untag(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let keys: Vec<String> = call.request.list("TagKeys").into_iter().map(str::to_string).collect();
    if keys.is_empty() {
        return Err(missing("TagKeys"));
    }
    call.authorized_entity(entity, &name)?;
    change_entity(call.directory, entity, &name, move |_, record| {
        if let Some(tags) = record.tags_mut() {
            tags.retain(|tag| !keys.iter().any(|key| key.eq_ignore_ascii_case(&tag.key)));
        }
        Ok(Vec::new())
    })
    .await?;
    Ok(call.done())
}

pub(super) fn list(call: &Call<'_>, entity: Entity) -> Result<QueryResponse, IamError> {
    let name = call.entity_name(entity)?;
    let record = call.authorized_entity(entity, &name)?;
    let tags = record
        .tags()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(n, tag)| (position_key(n), tag.clone()));
    let page = page(call.request, tags)?;
    Ok(list_answer(call, "Tags", &page, |xml, tag| {
        xml.element("Key", &tag.key);
        xml.element("Value", &tag.value);
    }))
}
