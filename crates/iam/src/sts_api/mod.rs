//! The STS API (query protocol, version 2011-06-15): one file per action;
//! what they share (DurationSeconds, issuing a session, `<Credentials>`)
//! is here.

mod assume_role;
mod get_caller_identity;
mod get_session_token;

use std::sync::Arc;

use crate::access::Caller;
use crate::directory::records::{session_key, Session};
use crate::directory::{ids, now, Directory, IamError, Record, RecordWrite, Records};
use crate::query::{failure, lower_first, QueryRequest, QueryResponse, QueryService, XmlWriter};
use crate::sigv4::Timestamp;

/// Runs one STS request for an authenticated caller.
pub async fn handle(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> QueryResponse {
    let action = request.action().unwrap_or_default().to_string();
    let result = match action.as_str() {
        "GetCallerIdentity" => Ok(get_caller_identity::handle(caller, request_id)),
        "GetSessionToken" => get_session_token::handle(directory, caller, request, request_id).await,
        "AssumeRole" => assume_role::handle(directory, caller, request, request_id).await,
        _ => Err(IamError::InvalidAction(format!(
            "Could not find operation {action} for version {}",
            QueryService::Sts.version()
        ))),
    };
    result.unwrap_or_else(|error| failure(QueryService::Sts, &error, request_id))
}

/// The model's "1 validation error detected" for one member.
pub(crate) fn validation(member: &str, value: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
        lower_first(member)
    ))
}

/// DurationSeconds within `min..=max` (the model's range, its floor
/// lowered for tests by [`Directory::set_min_session_duration`]), or
/// `default` when absent.
fn duration_seconds(request: &QueryRequest, min: i64, max: i64, default: i64) -> Result<i64, IamError> {
    let Some(duration) = request.integer("DurationSeconds")? else {
        return Ok(default);
    };
    if duration < min {
        return Err(validation(
            "DurationSeconds",
            &duration.to_string(),
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if duration > max {
        return Err(validation(
            "DurationSeconds",
            &duration.to_string(),
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(duration)
}

/// A string member's length within the model's bounds.
fn check_length(member: &str, value: &str, min: usize, max: usize) -> Result<(), IamError> {
    let length = value.chars().count();
    if length < min {
        return Err(validation(
            member,
            value,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if length > max {
        return Err(validation(
            member,
            value,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// What a new session is, before it has keys.
struct SessionGrant {
    duration: i64,
    principal: crate::directory::records::SessionPrincipal,
    owner_id: Option<String>,
    policy: Option<crate::directory::records::IdentityPolicy>,
    policy_arns: Vec<String>,
    tags: crate::directory::records::Tags,
}

/// Issues a session: fresh keys, stored through the writer. `still_valid`
/// runs on the writer and refuses if the grant no longer holds (its role
/// deleted in the meantime).
async fn issue(
    directory: &Arc<Directory>,
    grant: SessionGrant,
    still_valid: impl Fn(&Records) -> Result<(), IamError> + Send + Sync + 'static,
) -> Result<Session, IamError> {
    let session = Session {
        access_key_id: ids::access_key_id("ASIA"),
        secret: ids::secret_access_key(),
        token: ids::session_token(),
        expires_at: now() + grant.duration,
        principal: grant.principal,
        policy: grant.policy,
        policy_arns: grant.policy_arns,
        owner_id: grant.owner_id,
        tags: grant.tags,
    };
    let key = session_key(&session.access_key_id);
    let record = Box::new(Record::Session(session.clone()));
    directory
        .change(move |records| {
            still_valid(records)?;
            Ok(vec![RecordWrite::Put(key.clone(), record.clone())])
        })
        .await?;
    Ok(session)
}

/// `<Credentials>` as GetSessionToken and AssumeRole answer them.
fn write_credentials(xml: &mut XmlWriter, session: &Session) {
    xml.open("Credentials");
    xml.element("AccessKeyId", &session.access_key_id);
    xml.element("SecretAccessKey", &session.secret);
    xml.element("SessionToken", &session.token);
    xml.element("Expiration", &Timestamp(session.expires_at).to_iso8601());
    xml.close();
}
