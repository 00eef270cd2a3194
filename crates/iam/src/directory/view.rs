//! The in-memory view of the directory, and what authentication and
//! authorisation read from it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::records::{
    access_key_key, group_key, policy_key, role_key, session_key, user_key, AccessKey, Group, KeyStatus, ManagedPolicy,
    Permissions, Role, Session, SessionPrincipal, Tag, User,
};
use super::Record;
use crate::credentials::{Credential, Principal, Secret};
use crate::policy::PolicyDocument;

/// Every record, by storage key.
#[derive(Debug, Default)]
pub struct Records {
    map: BTreeMap<String, Record>,
}

macro_rules! typed_get {
    ($name:ident, $key:ident, $variant:ident, $type:ty) => {
        pub fn $name(&self, id: &str) -> Option<&$type> {
            match self.map.get(&$key(id)) {
                Some(Record::$variant(record)) => Some(record),
                _ => None,
            }
        }
    };
}

impl Records {
    pub(super) fn insert(&mut self, key: String, record: Record) {
        self.map.insert(key, record);
    }

    pub(super) fn remove(&mut self, key: &str) {
        self.map.remove(key);
    }

    /// Whether a record is stored under `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    typed_get!(user, user_key, User, User);
    typed_get!(group, group_key, Group, Group);
    typed_get!(role, role_key, Role, Role);
    typed_get!(policy, policy_key, Policy, ManagedPolicy);
    typed_get!(access_key, access_key_key, AccessKey, AccessKey);
    typed_get!(session, session_key, Session, Session);

    /// Records whose key starts with `prefix` (`user/`, `group/`...), in
    /// key order (for names: case-insensitive alphabetical order).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a String, &'a Record)> + 'a {
        self.map
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(move |(key, _)| key.starts_with(prefix))
    }

    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.with_prefix("user/").filter_map(|(_, record)| match record {
            Record::User(user) => Some(user),
            _ => None,
        })
    }

    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.with_prefix("group/").filter_map(|(_, record)| match record {
            Record::Group(group) => Some(group),
            _ => None,
        })
    }

    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.with_prefix("role/").filter_map(|(_, record)| match record {
            Record::Role(role) => Some(role),
            _ => None,
        })
    }

    pub fn policies(&self) -> impl Iterator<Item = &ManagedPolicy> {
        self.with_prefix("policy/").filter_map(|(_, record)| match record {
            Record::Policy(policy) => Some(policy),
            _ => None,
        })
    }

    pub fn access_keys(&self) -> impl Iterator<Item = &AccessKey> {
        self.with_prefix("accesskey/").filter_map(|(_, record)| match record {
            Record::AccessKey(key) => Some(key),
            _ => None,
        })
    }

    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.with_prefix("session/").filter_map(|(_, record)| match record {
            Record::Session(session) => Some(session),
            _ => None,
        })
    }

    /// What SigV4 verification needs about an access key: an active key
    /// of an existing user, or an STS session.
    pub(super) fn credential(&self, access_key_id: &str, account: &str) -> Option<Credential> {
        if let Some(key) = self.access_key(access_key_id) {
            if key.status != KeyStatus::Active {
                return None;
            }
            let principal = match &key.user_name {
                Some(name) => user_principal(self.user(name)?),
                None => root_principal(account),
            };
            return Some(Credential {
                secret_access_key: Secret::new(key.secret.clone()),
                session_token: None,
                expires_at: None,
                principal,
            });
        }
        let session = self.session(access_key_id)?;
        Some(Credential {
            secret_access_key: Secret::new(session.secret.clone()),
            session_token: Some(Secret::new(session.token.clone())),
            expires_at: Some(session.expires_at),
            principal: self.session_principal(session, account)?,
        })
    }

    fn session_principal(&self, session: &Session, account: &str) -> Option<Principal> {
        let issued_to = |id: &str| session.owner_id.as_deref().is_none_or(|owner| owner == id);
        match &session.principal {
            SessionPrincipal::User { user_name: Some(name) } => {
                let user = self.user(name).filter(|user| issued_to(&user.id))?;
                Some(user_principal(user))
            }
            SessionPrincipal::User { user_name: None } => Some(root_principal(account)),
            SessionPrincipal::AssumedRole {
                role_name,
                session_name,
            } => {
                let role = self.role(role_name).filter(|role| issued_to(&role.id))?;
                Some(Principal {
                    arn: format!("arn:aws:sts::{account}:assumed-role/{}/{session_name}", role.name),
                    account: account.to_string(),
                    user_id: format!("{}:{session_name}", role.id),
                    username: None,
                })
            }
        }
    }

    /// The policies that apply to requests signed with `access_key_id`.
    pub(super) fn grants(&self, access_key_id: &str, account: &str) -> Option<Grants> {
        let credential = self.credential(access_key_id, account)?;
        let (owner, session) = match self.access_key(access_key_id) {
            Some(key) => (key.user_name.clone().map(Owner::User), None),
            None => {
                let session = self.session(access_key_id)?;
                let owner = match &session.principal {
                    SessionPrincipal::User { user_name } => user_name.clone().map(Owner::User),
                    SessionPrincipal::AssumedRole { role_name, .. } => Some(Owner::Role(role_name.clone())),
                };
                (owner, Some(session))
            }
        };
        let Some(owner) = owner else {
            return Some(Grants {
                temporary: session.is_some(),
                ..Grants::root(account)
            });
        };
        let mut identity = Vec::new();
        let tags = match &owner {
            Owner::User(name) => {
                let user = self.user(name)?;
                self.add_permissions(&user.permissions, &mut identity);
                for group in user.groups.iter().filter_map(|g| self.group(g)) {
                    self.add_permissions(&group.permissions, &mut identity);
                }
                user.tags.clone()
            }
            Owner::Role(name) => {
                let role = self.role(name)?;
                self.add_permissions(&role.permissions, &mut identity);
                role.tags.clone()
            }
        };
        let tags = match session {
            Some(session) if !session.tags.is_empty() => with_session_tags(tags, &session.tags),
            _ => tags,
        };
        let session_policies = session
            .filter(|s| s.policy.is_some() || !s.policy_arns.is_empty())
            .map(|s| {
                let mut policies: Vec<_> = s.policy.iter().map(|p| p.parsed().clone()).collect();
                policies.extend(
                    s.policy_arns
                        .iter()
                        .filter_map(|arn| self.policy(arn))
                        .map(|p| p.document.parsed().clone()),
                );
                policies
            });
        Some(Grants {
            principal: credential.principal,
            root: false,
            identity,
            session: session_policies,
            temporary: session.is_some(),
            principal_tags: tags,
        })
    }

    fn add_permissions(&self, permissions: &Permissions, into: &mut Vec<Arc<PolicyDocument>>) {
        into.extend(permissions.inline.values().map(|p| p.parsed().clone()));
        into.extend(
            permissions
                .attached
                .iter()
                .filter_map(|arn| self.policy(arn))
                .map(|p| p.document.parsed().clone()),
        );
    }
}

/// A session's tags override the role's tags with the same key (keys are
/// case-insensitive, as IAM's are).
fn with_session_tags(mut tags: Vec<Tag>, session_tags: &[Tag]) -> Vec<Tag> {
    tags.retain(|tag| !session_tags.iter().any(|s| s.key.eq_ignore_ascii_case(&tag.key)));
    tags.extend(session_tags.iter().cloned());
    tags
}

enum Owner {
    User(String),
    Role(String),
}

/// Who a request acts as and the policies that decide what it may do.
#[derive(Debug, Clone)]
pub struct Grants {
    pub principal: Principal,
    /// The account's root: every action on the account's resources is
    /// allowed unless a resource policy denies it.
    pub root: bool,
    /// Identity-based policies: the user's and its groups', or the role's.
    pub identity: Vec<Arc<PolicyDocument>>,
    /// Session policies (AssumeRole's Policy and PolicyArns), which cap
    /// the identity policies.
    pub session: Option<Vec<Arc<PolicyDocument>>>,
    /// Signed with STS's temporary credentials (GetSessionToken refuses
    /// them).
    pub temporary: bool,
    /// `aws:PrincipalTag/*`.
    pub principal_tags: Vec<Tag>,
}

impl Grants {
    pub fn root(account: &str) -> Grants {
        Grants {
            principal: root_principal(account),
            root: true,
            identity: Vec::new(),
            session: None,
            temporary: false,
            principal_tags: Vec::new(),
        }
    }
}

pub(super) fn root_principal(account: &str) -> Principal {
    Principal {
        arn: format!("arn:aws:iam::{account}:root"),
        account: account.to_string(),
        user_id: account.to_string(),
        username: None,
    }
}

fn user_principal(user: &User) -> Principal {
    Principal {
        arn: user.arn.clone(),
        account: super::super::policy::context::arn_field(&user.arn, 4)
            .unwrap_or_default()
            .to_string(),
        user_id: user.id.clone(),
        username: Some(user.name.clone()),
    }
}
