//! GetSessionToken: temporary credentials for the calling user (or root),
//! with the caller's own permissions. Needs no permission; refused with
//! temporary credentials, as STS refuses it.

use std::sync::Arc;

use crate::access::Caller;
use crate::directory::records::SessionPrincipal;
use crate::directory::{Directory, IamError};
use crate::query::{success, QueryRequest, QueryResponse, QueryService};

use super::{duration_seconds, issue, write_credentials, SessionGrant};

/// The model's ceiling for users (36 hours).
const MAX_DURATION: i64 = 129_600;
const DEFAULT_DURATION: i64 = 43_200;
/// The account's root gets at most an hour, longer requests shortened.
const MAX_ROOT_DURATION: i64 = 3_600;

pub(super) async fn handle(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> Result<QueryResponse, IamError> {
    let duration = duration_seconds(
        request,
        directory.min_session_duration(),
        MAX_DURATION,
        DEFAULT_DURATION,
    )?;
    if caller.grants.temporary {
        return Err(IamError::AccessDenied(
            "Cannot call GetSessionToken with session credentials".into(),
        ));
    }
    // Halyard has no MFA devices: a code could never be checked.
    if request.get("SerialNumber").is_some() || request.get("TokenCode").is_some() {
        return Err(IamError::AccessDenied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
        ));
    }
    let principal = &caller.grants.principal;
    let (duration, owner_id) = match &principal.username {
        Some(_) => (duration, Some(principal.user_id.clone())),
        None => (duration.min(MAX_ROOT_DURATION), None),
    };
    let grant = SessionGrant {
        duration,
        principal: SessionPrincipal::User {
            user_name: principal.username.clone(),
        },
        owner_id,
        policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
    };
    let session = issue(directory, grant, |_| Ok(())).await?;
    Ok(success(QueryService::Sts, "GetSessionToken", request_id, |xml| {
        write_credentials(xml, &session)
    }))
}
