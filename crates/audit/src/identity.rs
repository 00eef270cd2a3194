//! `userIdentity`: who made a call, as CloudTrail's userIdentity element
//! describes it (Root, IAMUser, AssumedRole with its session issuer).

use halyard_iam::directory::{Directory, Grants};
use serde_json::{json, Value};

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
            Identity::Unknown { .. } => None,
        }
    }

    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            Identity::Root { access_key_id, .. } | Identity::Unknown { access_key_id } => access_key_id.as_deref(),
            Identity::IamUser { access_key_id, .. } | Identity::AssumedRole { access_key_id, .. } => {
                Some(access_key_id)
            }
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Identity::Root { account, access_key_id } => {
                let mut identity = json!({
                    "type": "Root",
                    "principalId": account,
                    "arn": format!("arn:aws:iam::{account}:root"),
                    "accountId": account,
                });
                if let Some(key) = access_key_id {
                    identity["accessKeyId"] = key.clone().into();
                }
                identity
            }
            Identity::IamUser {
                principal_id,
                arn,
                account,
                access_key_id,
                user_name,
            } => json!({
                "type": "IAMUser",
                "principalId": principal_id,
                "arn": arn,
                "accountId": account,
                "accessKeyId": access_key_id,
                "userName": user_name,
            }),
            Identity::AssumedRole {
                principal_id,
                arn,
                account,
                access_key_id,
                issuer,
            } => json!({
                "type": "AssumedRole",
                "principalId": principal_id,
                "arn": arn,
                "accountId": account,
                "accessKeyId": access_key_id,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": issuer.principal_id,
                        "arn": issuer.arn,
                        "accountId": issuer.account,
                        "userName": issuer.user_name,
                    },
                    "attributes": {"mfaAuthenticated": "false"},
                },
            }),
            Identity::Unknown { access_key_id } => {
                let mut identity = json!({"type": "Unknown"});
                if let Some(key) = access_key_id {
                    identity["accessKeyId"] = key.clone().into();
                }
                identity
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let json = identity.to_json();
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
            identity.to_json(),
            json!({"type": "Unknown", "accessKeyId": "AKIANOBODY"})
        );
        assert_eq!(identity.username(), None);
    }
}
