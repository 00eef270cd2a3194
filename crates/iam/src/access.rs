//! Authorising one request: the caller's grants (from the directory), what
//! the transport says about the request, and the evaluator.
//!
//! Every service's pipeline builds a [`Caller`] once per request after
//! authentication, then asks [`Caller::authorize`] for each action and
//! resource the request touches (once per table for batches, DynamoDB's
//! condition keys added by the caller of this module).

use std::net::IpAddr;
use std::sync::Arc;

use crate::directory::Grants;
use crate::policy::{evaluate, Decision, Denial, PolicyDocument, PolicySet, RequestContext};
use crate::sigv4::Timestamp;

/// What the request pipeline knows about a request apart from its body.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub source_ip: Option<IpAddr>,
    /// Over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// Unix seconds (`aws:CurrentTime`, `aws:EpochTime`).
    pub now: i64,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub grants: Grants,
    pub facts: RequestFacts,
}

impl Caller {
    /// A context for `action` on `resource` with the global condition keys
    /// filled in; the caller adds the service's own keys before
    /// [`Caller::authorize`].
    pub fn context(&self, action: &str, resource: &str) -> RequestContext {
        let principal = &self.grants.principal;
        let mut context = RequestContext::new(&principal.arn, action, resource);
        context.set("aws:PrincipalArn", [principal.arn.as_str()]);
        context.set("aws:PrincipalAccount", [principal.account.as_str()]);
        context.set("aws:userid", [principal.user_id.as_str()]);
        if let Some(name) = &principal.username {
            context.set("aws:username", [name.as_str()]);
        }
        context.set(
            "aws:PrincipalType",
            [match (&principal.username, self.grants.root) {
                (_, true) => "Account",
                (Some(_), _) => "User",
                (None, _) => "AssumedRole",
            }],
        );
        for tag in &self.grants.principal_tags {
            context.set(&format!("aws:PrincipalTag/{}", tag.key), [tag.value.as_str()]);
        }
        if !self.grants.principal_tags.is_empty() {
            context.set(
                "aws:PrincipalTagKeys",
                self.grants.principal_tags.iter().map(|t| t.key.as_str()),
            );
        }
        if let Some(ip) = self.facts.source_ip {
            context.set("aws:SourceIp", [ip.to_string()]);
        }
        context.set(
            "aws:SecureTransport",
            [if self.facts.secure_transport { "true" } else { "false" }],
        );
        context.set("aws:CurrentTime", [Timestamp(self.facts.now).to_iso8601()]);
        context.set("aws:EpochTime", [self.facts.now.to_string()]);
        context
    }

    /// Whether the caller may do what `context` describes, given the
    /// resource's own policies. The account's root may do anything a
    /// resource policy does not explicitly deny.
    pub fn authorize(&self, context: &RequestContext, resource_policies: &[Arc<PolicyDocument>]) -> Result<(), Denial> {
        let allow_all = [];
        let identity: &[Arc<PolicyDocument>] = if self.grants.root {
            &allow_all
        } else {
            &self.grants.identity
        };
        let policies = PolicySet {
            identity,
            session: self.grants.session.as_deref(),
            resource: resource_policies,
        };
        match evaluate(&policies, context) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(denial) if self.grants.root && !denial.is_explicit() => Ok(()),
            Decision::Deny(denial) => Err(denial),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_dates() {
        assert_eq!(Timestamp(0).to_iso8601(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_796_139_000).to_iso8601(), "2026-12-01T15:30:00Z");
        assert_eq!(Timestamp(951_782_400).to_iso8601(), "2000-02-29T00:00:00Z");
    }
}
