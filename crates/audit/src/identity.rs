//! `userIdentity`: who made a call, as CloudTrail's userIdentity element
//! describes it (Root, IAMUser, AssumedRole with its session issuer).

use halyard_iam::directory::{Directory, Grants};

use crate::record::JsonObject;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Root {
        account: String,
        access_key_id: Option<String>,
    },
    IamUser {
        principal_id: String,
        arn: String,
        account: String,
        access_key_id: String,
        user_name: String,
    },
    AssumedRole {
        /// `AROA...:session`
        principal_id: String,
        /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`
        arn: String,
        account: String,
        access_key_id: String,
        issuer: SessionIssuer,
    },
    /// A call refused before authentication: what it presented.
    Unknown { access_key_id: Option<String> },
    /// A service acting on its own authority (DynamoDB using a table's KMS
    /// key), by its principal, such as `dynamodb.amazonaws.com`.
    AwsService { invoked_by: String },
}

/// The role an assumed-role session was issued by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionIssuer {
    pub principal_id: String,
    pub arn: String,
    pub account: String,
    pub user_name: String,
}

impl Identity {
    /// The identity of an authenticated caller.
    pub fn of(grants: &Grants, access_key_id: &str, directory: &Directory) -> Identity {
        let principal = &grants.principal;
        if grants.root {
            return Identity::Root {
                account: principal.account.clone(),
                access_key_id: Some(access_key_id.to_string()),
            };
        }
        if let Some(user_name) = &principal.username {
            return Identity::IamUser {
                principal_id: principal.user_id.clone(),
                arn: principal.arn.clone(),
                account: principal.account.clone(),
                access_key_id: access_key_id.to_string(),
                user_name: user_name.clone(),
            };
        }
        // An assumed role: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
        let role_name = principal
            .arn
            .split_once(":assumed-role/")
            .and_then(|(_, rest)| rest.split('/').next())
            .unwrap_or_default()
            .to_string();
        let issuer = directory.read(|records| {
            records
                .roles()
                .find(|role| role.name == role_name)
                .map(|role| SessionIssuer {
                    principal_id: role.id.clone(),
                    arn: role.arn.clone(),
                    account: principal.account.clone(),
                    user_name: role.name.clone(),
                })
        });
        let issuer = issuer.unwrap_or_else(|| SessionIssuer {
            principal_id: principal.user_id.split(':').next().unwrap_or_default().to_string(),
            arn: format!("arn:aws:iam::{}:role/{role_name}", principal.account),
            account: principal.account.clone(),
            user_name: role_name,
        });
        Identity::AssumedRole {
            principal_id: principal.user_id.clone(),
            arn: principal.arn.clone(),
            account: principal.account.clone(),
            access_key_id: access_key_id.to_string(),
            issuer,
        }
    }

    /// LookupEvents' `Username`: the user's name, `root`, or the role
    /// session's name.
    pub fn username(&self) -> Option<&str> {
        match self {
            Identity::Root { .. } => Some("root"),
            Identity::IamUser { user_name, .. } => Some(user_name),
            Identity::AssumedRole { arn, .. } => arn.rsplit('/').next(),
            Identity::Unknown { .. } | Identity::AwsService { .. } => None,
        }
    }

    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            Identity::Root { access_key_id, .. } | Identity::Unknown { access_key_id } => access_key_id.as_deref(),
            Identity::IamUser { access_key_id, .. } | Identity::AssumedRole { access_key_id, .. } => {
                Some(access_key_id)
            }
            Identity::AwsService { .. } => None,
        }
    }

    /// The `userIdentity` element, into `identity`.
    pub(crate) fn write_json(&self, mut identity: JsonObject<'_>) {
        match self {
            Identity::Root { account, access_key_id } => {
                identity.str("type", "Root");
                identity.str("principalId", account);
                identity.str("arn", &format!("arn:aws:iam::{account}:root"));
                identity.str("accountId", account);
                if let Some(key) = access_key_id {
                    identity.str("accessKeyId", key);
                }
            }
            Identity::IamUser {
                principal_id,
                arn,
                account,
                access_key_id,
                user_name,
            } => {
                identity.str("type", "IAMUser");
                identity.str("principalId", principal_id);
                identity.str("arn", arn);
                identity.str("accountId", account);
                identity.str("accessKeyId", access_key_id);
                identity.str("userName", user_name);
            }
            Identity::AssumedRole {
                principal_id,
                arn,
                account,
                access_key_id,
                issuer,
            } => {
                identity.str("type", "AssumedRole");
                identity.str("principalId", principal_id);
                identity.str("arn", arn);
                identity.str("accountId", account);
                identity.str("accessKeyId", access_key_id);
                let mut context = identity.object("sessionContext");
                let mut role = context.object("sessionIssuer");
                role.str("type", "Role");
                role.str("principalId", &issuer.principal_id);
                role.str("arn", &issuer.arn);
                role.str("accountId", &issuer.account);
                role.str("userName", &issuer.user_name);
                role.end();
                let mut attributes = context.object("attributes");
                attributes.str("mfaAuthenticated", "false");
                attributes.end();
                context.end();
            }
            Identity::Unknown { access_key_id } => {
                identity.str("type", "Unknown");
                if let Some(key) = access_key_id {
                    identity.str("accessKeyId", key);
                }
            }
            Identity::AwsService { invoked_by } => {
                identity.str("type", "AWSService");
                identity.str("invokedBy", invoked_by);
            }
        }
        identity.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn to_json(identity: &Identity) -> Value {
        let mut out = Vec::new();
        identity.write_json(JsonObject::new(&mut out));
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn assumed_role_names_its_issuer() {
        let identity = Identity::AssumedRole {
            principal_id: "AROAEXAMPLE:bob".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/admin/bob".into(),
            account: "111122223333".into(),
            access_key_id: "ASIAEXAMPLE".into(),
            issuer: SessionIssuer {
                principal_id: "AROAEXAMPLE".into(),
                arn: "arn:aws:iam::111122223333:role/admin".into(),
                account: "111122223333".into(),
                user_name: "admin".into(),
            },
        };
        let json = to_json(&identity);
        assert_eq!(json["type"], "AssumedRole");
        assert_eq!(json["sessionContext"]["sessionIssuer"]["type"], "Role");
        assert_eq!(json["sessionContext"]["sessionIssuer"]["userName"], "admin");
        assert_eq!(identity.username(), Some("bob"));
        assert_eq!(identity.access_key_id(), Some("ASIAEXAMPLE"));
    }

    #[test]
    fn unauthenticated_calls_keep_the_presented_key() {
        let identity = Identity::Unknown {
            access_key_id: Some("AKIANOBODY".into()),
        };
        assert_eq!(
            to_json(&identity),
            json!({"type": "Unknown", "accessKeyId": "AKIANOBODY"})
        );
        assert_eq!(identity.username(), None);
    }
}
