//! Authorising a KMS request as KMS does: a key's policy is the primary
//! control. The caller's IAM policies count only when the key policy
//! delegates to them (an Allow naming the account, as the default policy's
//! `arn:aws:iam::ACCOUNT:root` does) or names the caller itself; a Deny in
//! either denies. The account's root is subject to the key policy too.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use halyard_iam::access::Caller;
use halyard_iam::policy::{evaluate_trust, Decision, PolicyDocument, PolicyKind, PolicySet, RequestContext};

use super::KmsError;
use crate::key_store::KeyRecord;

/// What the root's identity policies amount to: everything.
static ALLOW_ALL: LazyLock<Arc<PolicyDocument>> = LazyLock::new(|| {
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    Arc::new(PolicyDocument::parse(document, PolicyKind::Identity).expect("the allow-all policy parses"))
});

/// Who calls, and through which service (`kms:ViaService`) when a service
/// such as DynamoDB uses a key on the caller's behalf.
#[derive(Clone, Copy)]
pub struct Access<'a> {
    pub caller: &'a Caller,
    pub via_service: Option<&'a str>,
}

impl<'a> Access<'a> {
    pub fn direct(caller: &'a Caller) -> Access<'a> {
        Access {
            caller,
            via_service: None,
        }
    }

    fn context(&self, action: &str, resource: &str) -> RequestContext {
        let mut context = self.caller.context(action, resource);
        context.set("kms:CallerAccount", [self.caller.grants.principal.account.as_str()]);
        if let Some(service) = self.via_service {
            context.set("kms:ViaService", [service]);
        }
        context
    }

    /// An action on no key (CreateKey, ListKeys, ListAliases,
    /// GenerateRandom): IAM policies alone decide.
    pub fn account_action(&self, action: &str) -> Result<(), KmsError> {
        let context = self.context(action, "*");
        self.caller
            .authorize(&context, &[])
            .map_err(|denial| KmsError::AccessDenied(denial.message()))
    }

    /// `action` on `key`, with the request's encryption context (for the
    /// `kms:EncryptionContext:` condition keys).
    pub fn key_action(
        &self,
        action: &str,
        key: &KeyRecord,
        encryption_context: Option<&BTreeMap<String, String>>,
    ) -> Result<(), KmsError> {
        let mut context = self.context(action, &key.arn);
        for tag in &key.tags {
            context.set(&format!("aws:ResourceTag/{}", tag.key), [tag.value.as_str()]);
        }
        if let Some(pairs) = encryption_context {
            for (name, value) in pairs {
                context.set(&format!("kms:EncryptionContext:{name}"), [value.as_str()]);
            }
            if !pairs.is_empty() {
                context.set("kms:EncryptionContextKeys", pairs.keys().map(String::as_str));
            }
        }
        let key_policy = match PolicyDocument::parse(&key.policy, PolicyKind::Resource) {
            Ok(policy) => vec![Arc::new(policy)],
            // Stored policies were validated when put; one that no longer
            // parses allows nothing.
            Err(_) => Vec::new(),
        };
        match evaluate(self.caller, &key_policy, &context) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(denial) => Err(KmsError::AccessDenied(denial.message())),
        }
    }
}

/// Evaluates `context` for `caller` under `key_policy` (the key policy
/// must allow, itself or by delegation to the account).
pub fn evaluate(caller: &Caller, key_policy: &[Arc<PolicyDocument>], context: &RequestContext) -> Decision {
    let identity: &[Arc<PolicyDocument>] = if caller.grants.root {
        std::slice::from_ref(&*ALLOW_ALL)
    } else {
        &caller.grants.identity
    };
    let policies = PolicySet {
        identity,
        session: caller.grants.session.as_deref(),
        resource: key_policy,
    };
    evaluate_trust(key_policy, &policies, context)
}
