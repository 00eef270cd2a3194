//! The IAM API (query protocol, version 2010-05-08): one file per group of
//! actions. Each action is authorised as `iam:<Action>` on the entity it
//! names, then changes the directory through the writer.

mod users;

use std::sync::Arc;

use crate::access::Caller;
use crate::directory::{Directory, IamError};
use crate::query::{failure, QueryRequest, QueryResponse, QueryService};

/// Runs one IAM request for an authenticated caller.
pub async fn handle(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> QueryResponse {
    let action = request.action().unwrap_or_default().to_string();
    let result = match action.as_str() {
        "CreateUser" => users::create_user(directory, caller, request, request_id).await,
        "GetUser" => users::get_user(directory, caller, request, request_id),
        _ => Err(IamError::InvalidAction(format!(
            "Could not find operation {action} for version {}",
            QueryService::Iam.version()
        ))),
    };
    result.unwrap_or_else(|error| failure(QueryService::Iam, &error, request_id))
}

/// Authorises `iam:<action>` on `resource` for the caller.
pub(crate) fn authorize(caller: &Caller, action: &str, resource: &str) -> Result<(), IamError> {
    let context = caller.context(&format!("iam:{action}"), resource);
    caller
        .authorize(&context, &[])
        .map_err(|denial| IamError::AccessDenied(denial.message()))
}

/// `arn:aws:iam::ACCOUNT:<kind><path><name>`, e.g. `user/` + `/` + `alice`.
pub(crate) fn entity_arn(directory: &Directory, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{}:{kind}{path}{name}", directory.account_id())
}

/// A `Path` parameter: `/` by default; IAM's pattern is `/` or
/// `/.../`, at most 512 characters.
pub(crate) fn path_parameter(request: &QueryRequest) -> Result<String, IamError> {
    let path = request.get("Path").unwrap_or("/");
    let valid = path.len() <= 512 && path.starts_with('/') && path.ends_with('/');
    if !valid {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        )));
    }
    Ok(path.to_string())
}

/// A `Tags` parameter (`Tags.member.N.Key`/`.Value`), at most 50.
pub(crate) fn tags_parameter(request: &QueryRequest) -> Result<crate::directory::records::Tags, IamError> {
    let tags: Vec<_> = request
        .structures("Tags")
        .into_iter()
        .map(|members| crate::directory::records::Tag {
            key: members.get("Key").copied().unwrap_or_default().to_string(),
            value: members.get("Value").copied().unwrap_or_default().to_string(),
        })
        .collect();
    if tags.len() > 50 {
        return Err(IamError::LimitExceeded(
            "The number of tags has reached the maximum limit.".into(),
        ));
    }
    Ok(tags)
}

/// `<Tags><member><Key/><Value/></member>...</Tags>`.
pub(crate) fn write_tags(xml: &mut crate::query::XmlWriter, tags: &[crate::directory::records::Tag]) {
    xml.members("Tags", tags, |xml, tag| {
        xml.element("Key", &tag.key);
        xml.element("Value", &tag.value);
    });
}
