//! What the directory stores: one record per user, group, role, managed
//! policy, access key and STS session, serialised as JSON under a key that
//! names its kind. IAM names are unique without regard to case, so keys
//! use the lowercased name while records keep the name as created.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::policy::{PolicyDocument, PolicyKind};

/// The storage key of a user record (and likewise for the other kinds).
pub fn user_key(name: &str) -> String {
    format!("user/{}", name.to_ascii_lowercase())
}
pub fn group_key(name: &str) -> String {
    format!("group/{}", name.to_ascii_lowercase())
}
pub fn role_key(name: &str) -> String {
    format!("role/{}", name.to_ascii_lowercase())
}
/// Managed policies are found by ARN.
pub fn policy_key(arn: &str) -> String {
    format!("policy/{arn}")
}
pub fn access_key_key(access_key_id: &str) -> String {
    format!("accesskey/{access_key_id}")
}
pub fn session_key(access_key_id: &str) -> String {
    format!("session/{access_key_id}")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Record {
    User(User),
    Group(Group),
    Role(Role),
    Policy(ManagedPolicy),
    AccessKey(AccessKey),
    Session(Session),
}

pub type Tags = Vec<Tag>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// What users, groups and roles have alike: policies of their own (by
/// name) and managed policies attached (by ARN).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Permissions {
    pub inline: BTreeMap<String, IdentityPolicy>,
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    /// `AIDA...`
    pub id: String,
    pub arn: String,
    /// Unix seconds.
    pub created: i64,
    pub tags: Tags,
    pub permissions: Permissions,
    /// Names of the groups the user is in, as the groups spell them.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    /// `AGPA...`
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub permissions: Permissions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    /// `AROA...`
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub trust_policy: TrustPolicy,
    pub description: Option<String>,
    /// Longest AssumeRole session, in seconds (IAM's default: 3600).
    pub max_session_duration: i64,
    pub tags: Tags,
    pub permissions: Permissions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    /// `ANPA...`
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub updated: i64,
    pub description: Option<String>,
    /// `v1`: Halyard keeps one version of each policy.
    pub default_version: String,
    pub document: IdentityPolicy,
    /// Users, groups and roles it is attached to.
    pub attachment_count: u32,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

/// A long-term access key: a user's, or (with no user) the root's.
#[derive(Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    /// `None` for the account's root key.
    pub user_name: Option<String>,
    pub status: KeyStatus,
    pub created: i64,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("user_name", &self.user_name)
            .field("status", &self.status)
            .finish()
    }
}

/// Who temporary credentials act as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SessionPrincipal {
    /// GetSessionToken: the user (or root, with no name) itself.
    User { user_name: Option<String> },
    /// AssumeRole: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    AssumedRole { role_name: String, session_name: String },
}

/// Temporary credentials from STS.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    /// `ASIA...`
    pub access_key_id: String,
    pub secret: String,
    pub token: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub principal: SessionPrincipal,
    /// AssumeRole's inline session policy, which caps the role's.
    pub policy: Option<IdentityPolicy>,
    /// AssumeRole's PolicyArns: managed policies that cap the role's too.
    pub policy_arns: Vec<String>,
    /// The unique id (`AIDA...`, `AROA...`) of the user or role the session
    /// was issued for, `None` for the root's: a user or role deleted and
    /// created again under the same name does not revive its sessions.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// AssumeRole's session tags: `aws:PrincipalTag/*`, over the role's.
    #[serde(default)]
    pub tags: Tags,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("principal", &self.principal)
            .finish()
    }
}

/// Where a policy document may be used; decides how it is validated.
pub trait DocumentKind {
    const KIND: PolicyKind;
}

#[derive(Debug, Clone, Copy)]
pub struct IdentityKind;
impl DocumentKind for IdentityKind {
    const KIND: PolicyKind = PolicyKind::Identity;
}

#[derive(Debug, Clone, Copy)]
pub struct TrustKind;
impl DocumentKind for TrustKind {
    const KIND: PolicyKind = PolicyKind::Trust;
}

/// A policy document as given (returned verbatim by the Get* actions) and
/// parsed once, when stored or loaded, for the evaluator.
#[derive(Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Document<K: DocumentKind> {
    text: Arc<str>,
    parsed: Arc<PolicyDocument>,
    kind: PhantomData<K>,
}

pub type IdentityPolicy = Document<IdentityKind>;
pub type TrustPolicy = Document<TrustKind>;

impl<K: DocumentKind> Document<K> {
    /// Parses and validates `text` as IAM does for this kind of document.
    pub fn parse(text: &str) -> Result<Self, crate::policy::MalformedPolicyDocument> {
        let parsed = PolicyDocument::parse(text, K::KIND)?;
        Ok(Document {
            text: text.into(),
            parsed: Arc::new(parsed),
            kind: PhantomData,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn parsed(&self) -> &Arc<PolicyDocument> {
        &self.parsed
    }
}

impl<K: DocumentKind> Clone for Document<K> {
    fn clone(&self) -> Self {
        Document {
            text: self.text.clone(),
            parsed: self.parsed.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: DocumentKind> TryFrom<String> for Document<K> {
    type Error = crate::policy::MalformedPolicyDocument;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Document::parse(&text)
    }
}

impl<K: DocumentKind> From<Document<K>> for String {
    fn from(document: Document<K>) -> String {
        document.text.to_string()
    }
}
