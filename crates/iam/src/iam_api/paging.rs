//! IAM's list pagination: `MaxItems` (1-1000, default 100) and an opaque
//! `Marker`, answered with `IsTruncated` and the next `Marker`.
//!
//! A marker is the sort key of the first item not yet returned, so a page
//! boundary survives items being added or removed between calls.

use crate::directory::{IamError, Records};
use crate::query::{QueryRequest, QueryResponse, XmlWriter};

use super::{boolean, bounded_integer, path_prefix_parameter, Call, ANY_RESOURCE};

pub(crate) struct Page<T> {
    pub items: Vec<T>,
    /// The marker of the next page, when there is one.
    pub next: Option<String>,
}

/// The page of `items` (sorted by their key) that the request asks for.
pub(crate) fn page<T>(
    request: &QueryRequest,
    items: impl IntoIterator<Item = (String, T)>,
) -> Result<Page<T>, IamError> {
    let max_items = bounded_integer(request, "MaxItems", 1, 1000)?.unwrap_or(100) as usize;
    let marker = request.get("Marker");
    if let Some(marker) = marker {
        if marker.is_empty() || marker.chars().count() > 320 {
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value '{marker}' at 'marker' failed to satisfy constraint: Member must have length between 1 and 320"
            )));
        }
    }
    let mut rest = items
        .into_iter()
        .filter(|(key, _)| marker.is_none_or(|marker| key.as_str() >= marker));
    let items = rest.by_ref().take(max_items).map(|(_, item)| item).collect();
    Ok(Page {
        items,
        next: rest.next().map(|(key, _)| key),
    })
}

/// A List* answer: `<member>` elements under `list`, then `IsTruncated`
/// and `Marker`.
pub(crate) fn list_answer<T>(
    call: &Call<'_>,
    list: &str,
    page: &Page<T>,
    mut write: impl FnMut(&mut XmlWriter, &T),
) -> QueryResponse {
    call.answer(|xml| {
        xml.members(list, &page.items, |xml, item| write(xml, item));
        page.write_end(xml);
    })
}

impl<T> Page<T> {
    /// `IsTruncated`, and `Marker` when there is a next page.
    pub fn write_end(&self, xml: &mut XmlWriter) {
        xml.element("IsTruncated", boolean(self.next.is_some()));
        xml.optional("Marker", self.next.as_deref());
    }
}

/// A zero-padded position, for lists with no key of their own (tags,
/// attached policies in attachment order) that still sort as text.
pub(crate) fn position_key(index: usize) -> String {
    format!("{index:06}")
}

/// Users, groups and roles, as ListUsers, ListGroups and ListRoles filter
/// and order them.
pub(crate) trait Listed: Clone {
    fn path(&self) -> &str;
    fn name(&self) -> &str;
}

macro_rules! listed {
    ($type:ty) => {
        impl Listed for $type {
            fn path(&self) -> &str {
                &self.path
            }
            fn name(&self) -> &str {
                &self.name
            }
        }
    };
}
listed!(crate::directory::records::User);
listed!(crate::directory::records::Group);
listed!(crate::directory::records::Role);

/// ListUsers, ListGroups, ListRoles: the entities `select` picks whose path
/// starts with `PathPrefix`, by name. Authorised on `*`, as IAM does for
/// actions that name no entity.
pub(crate) fn list_under_path<T: Listed>(
    call: &Call<'_>,
    list: &str,
    select: impl for<'a> FnOnce(&'a Records) -> Vec<&'a T>,
    write: impl FnMut(&mut XmlWriter, &T),
) -> Result<QueryResponse, IamError> {
    call.authorize(ANY_RESOURCE)?;
    let prefix = path_prefix_parameter(call.request)?;
    let items = call.directory.read(|records| {
        select(records)
            .into_iter()
            .filter(|item| item.path().starts_with(&prefix))
            .map(|item| (item.name().to_ascii_lowercase(), item.clone()))
            .collect::<Vec<_>>()
    });
    let page = page(call.request, items)?;
    Ok(list_answer(call, list, &page, write))
}
