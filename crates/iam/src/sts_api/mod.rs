//! The STS API (query protocol, version 2011-06-15).

mod get_caller_identity;

use std::sync::Arc;

use crate::access::Caller;
use crate::directory::{Directory, IamError};
use crate::query::{failure, QueryRequest, QueryResponse, QueryService};

/// Runs one STS request for an authenticated caller.
pub async fn handle(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> QueryResponse {
    let _ = directory;
    let action = request.action().unwrap_or_default().to_string();
    let result = match action.as_str() {
        "GetCallerIdentity" => Ok(get_caller_identity::handle(caller, request_id)),
        _ => Err(IamError::InvalidAction(format!(
            "Could not find operation {action} for version {}",
            QueryService::Sts.version()
        ))),
    };
    result.unwrap_or_else(|error| failure(QueryService::Sts, &error, request_id))
}
