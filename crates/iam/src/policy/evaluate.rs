//! IAM's policy evaluation logic for requests within one account (and the
//! cross-account rule for resource policies):
//!
//! 1. An explicit Deny in any applicable policy (identity, session,
//!    resource) denies.
//! 2. A resource-based policy's Allow naming the caller itself allows
//!    (same account), even without an identity Allow — for a role session
//!    only if it names the session ARN, as IAM does; naming the account
//!    only delegates to identity policies.
//! 3. Otherwise an identity-based Allow is needed, and, when the session
//!    has session policies, a session-policy Allow as well (the effective
//!    permissions are the intersection).
//! 4. Cross-account, both an identity Allow and a resource Allow are needed.
//! 5. Otherwise the implicit deny.

use std::borrow::Borrow;

use super::conditions::ConditionClause;
use super::context::{arn_field, RequestContext};
use super::document::{Effect, Patterns, PolicyDocument, PrincipalBlock, Statement};
use super::variables::expanded_matches;
use super::wildcard::matches_text;

/// The policies that apply to one request, held as `P`: the documents
/// themselves, or shared (`Arc<PolicyDocument>`) as the directory keeps them.
#[derive(Debug)]
pub struct PolicySet<'a, P = PolicyDocument> {
    /// The caller's identity-based policies: a user's inline and attached
    /// policies and those of its groups, or a role's.
    pub identity: &'a [P],
    /// `Some` for a session created with session policies (AssumeRole's
    /// `Policy`/`PolicyArns`): they cap the identity policies.
    pub session: Option<&'a [P]>,
    /// The resource's policy (a table's or stream's), if any.
    pub resource: &'a [P],
}

impl<P> Default for PolicySet<'_, P> {
    fn default() -> Self {
        PolicySet {
            identity: &[],
            session: None,
            resource: &[],
        }
    }
}

impl<P> Clone for PolicySet<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for PolicySet<'_, P> {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    Identity,
    Session,
    Resource,
}

/// Which statement decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    pub source: PolicySource,
    /// Index of the policy within its slice of the [`PolicySet`].
    pub policy: usize,
    pub statement: usize,
    pub sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenialReason {
    ExplicitDeny(StatementRef),
    NoIdentityPolicyAllows,
    NoSessionPolicyAllows,
    /// Cross-account: the resource's policy does not allow the caller.
    NoResourcePolicyAllows,
}

/// An AccessDeniedException to be: who, what, on what, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub principal_arn: String,
    pub action: String,
    pub resource: String,
    pub reason: DenialReason,
}

impl Denial {
    /// Denied by a Deny statement, not for want of an Allow.
    pub fn is_explicit(&self) -> bool {
        matches!(self.reason, DenialReason::ExplicitDeny(_))
    }

    /// AWS's AccessDeniedException text (the form with the reason, which
    /// AWS has used since 2021).
    pub fn message(&self) -> String {
        let head = format!(
            "User: {} is not authorized to perform: {} on resource: {}",
            self.principal_arn, self.action, self.resource
        );
        match &self.reason {
            DenialReason::ExplicitDeny(by) => {
                let policy = match by.source {
                    PolicySource::Identity => "an identity-based policy",
                    PolicySource::Session => "a session policy",
                    PolicySource::Resource => "a resource-based policy",
                };
                format!("{head} with an explicit deny in {policy}")
            }
            DenialReason::NoIdentityPolicyAllows => format!(
                "{head} because no identity-based policy allows the {} action",
                self.action
            ),
            DenialReason::NoSessionPolicyAllows => {
                format!("{head} because no session policy allows the {} action", self.action)
            }
            DenialReason::NoResourcePolicyAllows => format!(
                "{head} because no resource-based policy allows the {} action",
                self.action
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(StatementRef),
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

/// Decides whether the request in `context` is allowed by `policies`.
pub fn evaluate<P: Borrow<PolicyDocument>>(policies: &PolicySet<'_, P>, context: &RequestContext) -> Decision {
    let sources = [
        (PolicySource::Identity, policies.identity),
        (PolicySource::Session, policies.session.unwrap_or(&[])),
        (PolicySource::Resource, policies.resource),
    ];
    for (source, docs) in sources {
        if let Some(by) = find(source, docs, context, Effect::Deny) {
            return deny(context, DenialReason::ExplicitDeny(by));
        }
    }
    let identity_allow = find(PolicySource::Identity, policies.identity, context, Effect::Allow);
    let session_allow = policies
        .session
        .map(|docs| find(PolicySource::Session, docs, context, Effect::Allow));
    let resource_allow = find(PolicySource::Resource, policies.resource, context, Effect::Allow);
    let same_account = context
        .resource_account()
        .is_none_or(|account| account == context.principal_account);

    if !same_account {
        return match (identity_allow, resource_allow, session_allow) {
            (None, _, _) => deny(context, DenialReason::NoIdentityPolicyAllows),
            (Some(_), _, Some(None)) => deny(context, DenialReason::NoSessionPolicyAllows),
            (Some(_), None, _) => deny(context, DenialReason::NoResourcePolicyAllows),
            (Some(_), Some(by), _) => Decision::Allow(by),
        };
    }
    if let Some(by) = resource_allow.filter(|by| grants_directly(policies, by, context)) {
        return Decision::Allow(by);
    }
    match (identity_allow, session_allow) {
        (None, _) => deny(context, DenialReason::NoIdentityPolicyAllows),
        (Some(_), Some(None)) => deny(context, DenialReason::NoSessionPolicyAllows),
        (Some(by), _) => Decision::Allow(by),
    }
}

/// Whether the caller may assume a role whose trust policy is `trust`
/// (`policies` holding the caller's identity and session policies): as
/// [`evaluate`] with the trust policy as the resource policy, except that,
/// as IAM requires for roles, the trust policy must allow the caller even
/// within the account — naming it suffices, naming its account delegates
/// to the identity policies.
pub fn evaluate_trust<P: Borrow<PolicyDocument>>(
    trust: &[P],
    policies: &PolicySet<'_, P>,
    context: &RequestContext,
) -> Decision {
    let with_trust = PolicySet {
        resource: trust,
        ..*policies
    };
    match evaluate(&with_trust, context) {
        Decision::Allow(_) if find(PolicySource::Resource, trust, context, Effect::Allow).is_none() => {
            deny(context, DenialReason::NoResourcePolicyAllows)
        }
        decision => decision,
    }
}

fn deny(context: &RequestContext, reason: DenialReason) -> Decision {
    Decision::Deny(Denial {
        principal_arn: context.principal_arn.clone(),
        action: context.action.clone(),
        resource: context.resource.clone(),
        reason,
    })
}

/// Whether a resource-policy Allow grants on its own: it names the caller
/// (not just its account), and for a session with session policies it
/// names the session ARN itself.
fn grants_directly<P: Borrow<PolicyDocument>>(
    policies: &PolicySet<'_, P>,
    by: &StatementRef,
    context: &RequestContext,
) -> bool {
    let statement = &policies.resource[by.policy].borrow().statements[by.statement];
    let Some(principal) = &statement.principal else {
        return false;
    };
    let names_session = principal.aws.contains(&context.principal_arn);
    let names_caller = principal.anyone || principal.negated || names_session;
    names_caller && (policies.session.is_none() || names_session)
}

/// The first statement with `effect` that applies to the request.
fn find<P: Borrow<PolicyDocument>>(
    source: PolicySource,
    docs: &[P],
    context: &RequestContext,
    effect: Effect,
) -> Option<StatementRef> {
    docs.iter().enumerate().find_map(|(policy, doc)| {
        let doc = doc.borrow();
        let vars = doc.variables_enabled();
        doc.statements.iter().enumerate().find_map(|(index, statement)| {
            (statement.effect == effect && statement_applies(statement, source, context, vars)).then(|| StatementRef {
                source,
                policy,
                statement: index,
                sid: statement.sid.clone(),
            })
        })
    })
}

fn statement_applies(
    statement: &Statement,
    source: PolicySource,
    context: &RequestContext,
    variables_enabled: bool,
) -> bool {
    let principal_ok = match (&statement.principal, source) {
        (Some(block), PolicySource::Resource) => principal_matches(block, context),
        (None, PolicySource::Resource) => false,
        _ => true,
    };
    principal_ok
        && action_matches(&statement.action, &context.action)
        && statement
            .resource
            .as_ref()
            .is_none_or(|r| resource_matches(r, context, variables_enabled))
        && conditions_hold(&statement.conditions, context, variables_enabled)
}

fn action_matches(actions: &Patterns, action: &str) -> bool {
    let any = actions.values.iter().any(|p| matches_text(p, action, true));
    any != actions.negated
}

fn resource_matches(resources: &Patterns, context: &RequestContext, variables_enabled: bool) -> bool {
    let any = resources
        .values
        .iter()
        .any(|p| expanded_matches(p, context, variables_enabled, &context.resource));
    any != resources.negated
}

fn conditions_hold(clauses: &[ConditionClause], context: &RequestContext, variables_enabled: bool) -> bool {
    clauses.iter().all(|c| c.holds(context, variables_enabled))
}

/// Whether a Principal/NotPrincipal block names the caller: `*`, its ARN,
/// its role (for a role session), or its account (as an id or
/// `arn:aws:iam::ID:root`).
fn principal_matches(block: &PrincipalBlock, context: &RequestContext) -> bool {
    let named = block.anyone
        || block.aws.iter().any(|p| {
            *p == context.principal_arn
                || *p == context.principal_account
                || (arn_field(p, 5) == Some("root") && arn_field(p, 4) == Some(context.principal_account.as_str()))
                || is_role_of_session(p, &context.principal_arn)
        });
    named != block.negated
}

/// Whether `role_arn` (`arn:aws:iam::ID:role/[path/]NAME`) is the role of
/// the session `session_arn` (`arn:aws:sts::ID:assumed-role/NAME/SESSION`):
/// a policy naming a role applies to its sessions. Role names are unique
/// in an account, so the path the session ARN lacks is not needed.
fn is_role_of_session(role_arn: &str, session_arn: &str) -> bool {
    let role_name = arn_field(role_arn, 5)
        .and_then(|resource| resource.strip_prefix("role/"))
        .and_then(|path_and_name| path_and_name.rsplit('/').next());
    let session_role = arn_field(session_arn, 5)
        .and_then(|resource| resource.strip_prefix("assumed-role/"))
        .and_then(|role_and_session| role_and_session.split('/').next());
    arn_field(role_arn, 2) == Some("iam")
        && arn_field(session_arn, 2) == Some("sts")
        && arn_field(role_arn, 4) == arn_field(session_arn, 4)
        && role_name.is_some()
        && role_name == session_role
}
