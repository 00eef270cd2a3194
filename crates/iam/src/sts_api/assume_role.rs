//! AssumeRole: temporary credentials that act as a role, optionally capped
//! by session policies. Authorised as IAM does: the role's trust policy is
//! a resource policy naming who may assume it; naming the caller itself
//! suffices, naming the account delegates to the caller's identity
//! policies, which must then allow `sts:AssumeRole` on the role.

use std::sync::Arc;

use crate::access::Caller;
use crate::directory::records::{IdentityPolicy, Role, SessionPrincipal, Tag};
use crate::directory::{Directory, IamError};
use crate::policy::{evaluate_trust, PolicySet, RequestContext};
use crate::query::{success, QueryRequest, QueryResponse, QueryService};

use super::{check_length, duration_seconds, issue, validation, write_credentials, SessionGrant};

const DEFAULT_DURATION: i64 = 3_600;
/// The model's ceiling; each role's MaxSessionDuration caps it further.
const MAX_DURATION: i64 = 43_200;
/// A role session assuming a role ("role chaining") gets at most an hour.
const MAX_CHAINED_DURATION: i64 = 3_600;
/// The plaintext allowance of session policies (inline and managed ARNs
/// together) and, separately, of session tags; STS reports use of it as
/// PackedPolicySize, a percentage.
const PACKED_ALLOWANCE: usize = 2_048;
const MAX_TAGS: usize = 50;

pub(super) async fn handle(
    directory: &Arc<Directory>,
    caller: &Caller,
    request: &QueryRequest,
    request_id: &str,
) -> Result<QueryResponse, IamError> {
    let role_arn = request.required("RoleArn")?;
    check_length("RoleArn", role_arn, 20, 2048)?;
    let session_name = session_name(request)?;
    let duration = duration_seconds(
        request,
        directory.min_session_duration(),
        MAX_DURATION,
        DEFAULT_DURATION,
    )?;
    let policy = match request.get("Policy") {
        Some(text) => {
            check_length("Policy", text, 1, usize::MAX)?;
            if !text.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{ff}')) {
                return Err(validation(
                    "Policy",
                    text,
                    "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
                ));
            }
            Some(IdentityPolicy::parse(text)?)
        }
        None => None,
    };
    let policy_arns = policy_arns(request)?;
    let tags = tags(request)?;
    let packed = packed_size(policy.as_ref(), &policy_arns, &tags)?;

    if caller.grants.root {
        return Err(IamError::AccessDenied(
            "Roles may not be assumed by root accounts.".into(),
        ));
    }
    let role = authorize(directory, caller, request, role_arn, &session_name, &tags)?;
    if duration > role.max_session_duration {
        return Err(IamError::Validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
        ));
    }
    let chained = caller.grants.temporary && caller.grants.principal.username.is_none();
    if chained && duration > MAX_CHAINED_DURATION {
        return Err(IamError::Validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".into(),
        ));
    }

    let grant = SessionGrant {
        duration,
        principal: SessionPrincipal::AssumedRole {
            role_name: role.name.clone(),
            session_name: session_name.clone(),
        },
        owner_id: Some(role.id.clone()),
        policy,
        policy_arns,
        tags,
    };
    let denied = access_denied(caller, role_arn);
    let (name, id) = (role.name.clone(), role.id.clone());
    let session = issue(directory, grant, move |records| match records.role(&name) {
        Some(role) if role.id == id => Ok(()),
        _ => Err(denied.clone()),
    })
    .await?;
    let account = directory.account_id();
    Ok(success(QueryService::Sts, "AssumeRole", request_id, |xml| {
        write_credentials(xml, &session);
        xml.open("AssumedRoleUser");
        xml.element("AssumedRoleId", &format!("{}:{session_name}", role.id));
        xml.element(
            "Arn",
            &format!("arn:aws:sts::{account}:assumed-role/{}/{session_name}", role.name),
        );
        xml.close();
        if let Some(packed) = packed {
            xml.element("PackedPolicySize", &packed.to_string());
        }
    }))
}

/// RoleSessionName: 2-64 of `[\w+=,.@-]`.
fn session_name(request: &QueryRequest) -> Result<String, IamError> {
    let name = request.required("RoleSessionName")?;
    check_length("RoleSessionName", name, 2, 64)?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)) {
        return Err(validation(
            "RoleSessionName",
            name,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok(name.to_string())
}

/// `PolicyArns.member.N.arn`.
fn policy_arns(request: &QueryRequest) -> Result<Vec<String>, IamError> {
    request
        .structures("PolicyArns")
        .into_iter()
        .map(|members| {
            let arn = members.get("arn").copied().unwrap_or_default();
            check_length("PolicyArns.member.arn", arn, 20, 2048)?;
            Ok(arn.to_string())
        })
        .collect()
}

/// `Tags.member.N.Key` and `.Value`: at most 50, keys 1-128 and values
/// up to 256 characters, keys unique without regard to case.
fn tags(request: &QueryRequest) -> Result<Vec<Tag>, IamError> {
    let given = request.structures("Tags");
    if given.len() > MAX_TAGS {
        return Err(validation(
            "Tags",
            &format!("{} tags", given.len()),
            &format!("Member must have length less than or equal to {MAX_TAGS}"),
        ));
    }
    let mut tags: Vec<Tag> = Vec::with_capacity(given.len());
    for members in given {
        let key = members.get("Key").copied().unwrap_or_default();
        let value = members.get("Value").copied().unwrap_or_default();
        check_length("Tags.member.key", key, 1, 128)?;
        check_length("Tags.member.value", value, 0, 256)?;
        if tags.iter().any(|tag| tag.key.eq_ignore_ascii_case(key)) {
            return Err(IamError::Validation(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
        tags.push(Tag {
            key: key.to_string(),
            value: value.to_string(),
        });
    }
    Ok(tags)
}

/// PackedPolicySize: the larger share of the allowance used by session
/// policies (whitespace outside strings not counted) or session tags;
/// `None` when the request has neither.
fn packed_size(
    policy: Option<&IdentityPolicy>,
    policy_arns: &[String],
    tags: &[Tag],
) -> Result<Option<usize>, IamError> {
    if policy.is_none() && policy_arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let policy_chars =
        policy.map_or(0, |p| compact_length(p.text())) + policy_arns.iter().map(String::len).sum::<usize>();
    let tag_chars: usize = tags.iter().map(|t| t.key.len() + t.value.len()).sum();
    let percent = |chars: usize| (chars * 100).div_ceil(PACKED_ALLOWANCE);
    let (policy_percent, tag_percent) = (percent(policy_chars), percent(tag_chars));
    if policy_percent > 100 {
        return Err(IamError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {policy_percent}% of allotted space, please use smaller policy."
        )));
    }
    if tag_percent > 100 {
        return Err(IamError::PackedPolicyTooLarge(format!(
            "Packed size of session tags consumes {tag_percent}% of allotted space."
        )));
    }
    Ok(Some(policy_percent.max(tag_percent)))
}

/// The length of a JSON text without the whitespace between its tokens.
fn compact_length(json: &str) -> usize {
    let mut in_string = false;
    let mut escaped = false;
    json.chars()
        .filter(|&c| {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                true
            } else {
                in_string = c == '"';
                !c.is_whitespace()
            }
        })
        .count()
}

/// STS's AccessDenied: the same text whether the role does not exist or
/// does not trust the caller, so that it tells nothing about which.
fn access_denied(caller: &Caller, role_arn: &str) -> IamError {
    IamError::AccessDenied(format!(
        "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        caller.grants.principal.arn
    ))
}

/// The role named by `role_arn`, if the caller may assume it (and, when
/// the request passes session tags, tag the session).
fn authorize(
    directory: &Directory,
    caller: &Caller,
    request: &QueryRequest,
    role_arn: &str,
    session_name: &str,
    tags: &[Tag],
) -> Result<Role, IamError> {
    let denied = || access_denied(caller, role_arn);
    let name = role_arn
        .strip_prefix(&format!("arn:aws:iam::{}:role/", directory.account_id()))
        .and_then(|path_and_name| path_and_name.rsplit('/').next())
        .ok_or_else(denied)?;
    let role = directory
        .read(|records| records.role(name).filter(|role| role.arn == role_arn).cloned())
        .ok_or_else(denied)?;
    let trust = [role.trust_policy.parsed().clone()];
    let mut actions = vec!["sts:AssumeRole"];
    if !tags.is_empty() {
        actions.push("sts:TagSession");
    }
    let policies = PolicySet {
        identity: &caller.grants.identity,
        session: caller.grants.session.as_deref(),
        resource: &[],
    };
    for action in actions {
        let context = trust_context(caller, request, action, &role.arn, session_name, tags);
        if !evaluate_trust(&trust, &policies, &context).is_allowed() {
            return Err(denied());
        }
    }
    Ok(role)
}

/// The request as the trust policy's conditions see it: the global keys,
/// `sts:RoleSessionName`, `sts:ExternalId` and the session tags.
fn trust_context(
    caller: &Caller,
    request: &QueryRequest,
    action: &str,
    role_arn: &str,
    session_name: &str,
    tags: &[Tag],
) -> RequestContext {
    let mut context = caller.context(action, role_arn);
    context.set("sts:RoleSessionName", [session_name]);
    if let Some(external_id) = request.get("ExternalId") {
        context.set("sts:ExternalId", [external_id]);
    }
    for tag in tags {
        context.set(&format!("aws:RequestTag/{}", tag.key), [tag.value.as_str()]);
    }
    if !tags.is_empty() {
        context.set("aws:TagKeys", tags.iter().map(|t| t.key.as_str()));
    }
    context
}
