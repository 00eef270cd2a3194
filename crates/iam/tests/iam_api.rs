//! The IAM API over a real directory: an engine on temporary SQLite
//! storage, its writer applying every change, called as the root and as
//! a user. Shapes and texts here; the wire (boto3, the CLI, the JS SDK)
//! in tests/e2e/test_iam_api.py.

use std::sync::Arc;

use halyard_engine::{Engine, EngineConfig};
use halyard_iam::access::{Caller, RequestFacts};
use halyard_iam::credentials::{CredentialStore, Secret};
use halyard_iam::directory::{now, Directory, Grants, RootCredentials};
use halyard_iam::iam_api::handle;
use halyard_iam::query::{QueryRequest, QueryResponse};
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};

const ACCOUNT: &str = "000000000000";

struct Fixture {
    _dir: tempfile::TempDir,
    directory: Arc<Directory>,
    root: Caller,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap());
    let engine = Arc::new(Engine::open(storage.clone(), EngineConfig::default()).unwrap());
    let root = RootCredentials {
        access_key_id: "AKIAROOTROOTROOTROOT".into(),
        secret_access_key: Secret::new("root-secret"),
    };
    let directory = Directory::open(storage.as_ref(), engine, ACCOUNT, root).await.unwrap();
    Fixture {
        _dir: dir,
        directory,
        root: caller(Grants::root(ACCOUNT)),
    }
}

fn caller(grants: Grants) -> Caller {
    Caller {
        grants,
        facts: RequestFacts {
            source_ip: None,
            secure_transport: false,
            now: now(),
        },
    }
}

impl Fixture {
    async fn call(&self, caller: &Caller, params: &[(&str, &str)]) -> QueryResponse {
        let form: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().copied())
            .finish();
        handle(&self.directory, caller, &QueryRequest::parse(form.as_bytes()), "req-1").await
    }

    async fn ok(&self, params: &[(&str, &str)]) -> String {
        let response = self.call(&self.root, params).await;
        assert_eq!(response.status, 200, "{params:?}: {}", response.body);
        response.body
    }

    /// Fails with `code`, `status` and `message`.
    async fn fails(&self, params: &[(&str, &str)], status: u16, code: &str, message: &str) {
        let response = self.call(&self.root, params).await;
        assert_eq!(response.status, status, "{params:?}: {}", response.body);
        assert_eq!(field(&response.body, "Code"), code, "{}", response.body);
        assert_eq!(field(&response.body, "Message"), message, "{}", response.body);
    }
}

/// The text of the first `<name>` element.
fn field(body: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = body.find(&open).unwrap_or_else(|| panic!("no <{name}> in {body}")) + open.len();
    let end = start + body[start..].find(&format!("</{name}>")).unwrap();
    quick_xml::escape::unescape(&body[start..end]).unwrap().into_owned()
}

fn count(body: &str, element: &str) -> usize {
    body.matches(&format!("<{element}>")).count()
}

const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[tokio::test]
async fn users_are_created_listed_paged_and_deleted() {
    let f = fixture().await;
    let body = f
        .ok(&[("Action", "CreateUser"), ("UserName", "alice"), ("Path", "/team/")])
        .await;
    assert!(body.starts_with(
        "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateUserResult><User>"
    ));
    assert_eq!(field(&body, "Arn"), "arn:aws:iam::000000000000:user/team/alice");
    assert_eq!(field(&body, "UserId").len(), 21);
    f.fails(
        &[("Action", "CreateUser"), ("UserName", "ALICE")],
        409,
        "EntityAlreadyExists",
        "User with name ALICE already exists.",
    )
    .await;
    for name in ["bob", "carol", "dave"] {
        f.ok(&[("Action", "CreateUser"), ("UserName", name)]).await;
    }
    let first = f.ok(&[("Action", "ListUsers"), ("MaxItems", "2")]).await;
    assert_eq!(count(&first, "member"), 2);
    assert_eq!(field(&first, "IsTruncated"), "true");
    let marker = field(&first, "Marker");
    let second = f
        .ok(&[("Action", "ListUsers"), ("MaxItems", "2"), ("Marker", &marker)])
        .await;
    assert_eq!(count(&second, "member"), 2);
    assert_eq!(field(&second, "IsTruncated"), "false");
    assert!(!second.contains("<Marker>"));
    assert!(first.contains("<UserName>alice</UserName>") && second.contains("<UserName>dave</UserName>"));
    let team = f.ok(&[("Action", "ListUsers"), ("PathPrefix", "/team")]).await;
    assert_eq!(count(&team, "member"), 1);
    f.ok(&[("Action", "DeleteUser"), ("UserName", "bob")]).await;
    f.fails(
        &[("Action", "GetUser"), ("UserName", "bob")],
        404,
        "NoSuchEntity",
        "The user with name bob cannot be found.",
    )
    .await;
    f.fails(
        &[("Action", "ListUsers"), ("MaxItems", "0")],
        400,
        "ValidationError",
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_name_admit_exactly_one() {
    let f = Arc::new(fixture().await);
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let f = f.clone();
            let name = if n % 2 == 0 { "Racer" } else { "racer" };
            tokio::spawn(async move {
                f.call(&f.root, &[("Action", "CreateUser"), ("UserName", name)])
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15, "{statuses:?}");
}

#[tokio::test]
async fn access_keys_are_capped_deactivated_and_block_deleting_the_user() {
    let f = fixture().await;
    f.ok(&[("Action", "CreateUser"), ("UserName", "kim")]).await;
    let body = f.ok(&[("Action", "CreateAccessKey"), ("UserName", "kim")]).await;
    let id = field(&body, "AccessKeyId");
    assert!(id.starts_with("AKIA") && id.len() == 20);
    assert_eq!(field(&body, "SecretAccessKey").len(), 40);
    assert_eq!(field(&body, "Status"), "Active");
    assert!(f.directory.secret_for(&id).is_some());
    f.ok(&[("Action", "CreateAccessKey"), ("UserName", "kim")]).await;
    f.fails(
        &[("Action", "CreateAccessKey"), ("UserName", "kim")],
        409,
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
    )
    .await;
    let listed = f.ok(&[("Action", "ListAccessKeys"), ("UserName", "kim")]).await;
    assert_eq!(count(&listed, "member"), 2);
    assert!(!listed.contains("SecretAccessKey"));
    f.ok(&[
        ("Action", "UpdateAccessKey"),
        ("UserName", "kim"),
        ("AccessKeyId", &id),
        ("Status", "Inactive"),
    ])
    .await;
    assert!(
        f.directory.secret_for(&id).is_none(),
        "an inactive key authenticates nothing"
    );
    f.fails(
        &[("Action", "DeleteUser"), ("UserName", "kim")],
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
    )
    .await;
    f.fails(
        &[
            ("Action", "DeleteAccessKey"),
            ("UserName", "kim"),
            ("AccessKeyId", "AKIANOTAKEYATALL0000"),
        ],
        404,
        "NoSuchEntity",
        "The Access Key with id AKIANOTAKEYATALL0000 cannot be found.",
    )
    .await;
}

#[tokio::test]
async fn inline_policies_round_trip_encoded_and_are_capped_together() {
    let f = fixture().await;
    f.ok(&[("Action", "CreateUser"), ("UserName", "pat")]).await;
    let put = [
        ("Action", "PutUserPolicy"),
        ("UserName", "pat"),
        ("PolicyName", "all"),
        ("PolicyDocument", ALLOW_ALL),
    ];
    f.ok(&put).await;
    let body = f
        .ok(&[("Action", "GetUserPolicy"), ("UserName", "pat"), ("PolicyName", "all")])
        .await;
    let encoded = field(&body, "PolicyDocument");
    assert!(encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"), "{encoded}");
    assert_eq!(
        percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap(),
        ALLOW_ALL
    );
    let statement = r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/Table000"}"#;
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; 17].join(",")
    );
    assert!(big.len() < 2048 && big.len() + ALLOW_ALL.len() > 2048);
    f.fails(
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "pat"),
            ("PolicyName", "big"),
            ("PolicyDocument", &big),
        ],
        409,
        "LimitExceeded",
        "Maximum policy size of 2048 bytes exceeded for user pat",
    )
    .await;
    // Replacing the one policy with the big one fits: the old one no longer counts.
    f.ok(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "pat"),
        ("PolicyName", "all"),
        ("PolicyDocument", &big),
    ])
    .await;
    let response = f
        .call(
            &f.root,
            &[
                ("Action", "PutUserPolicy"),
                ("UserName", "pat"),
                ("PolicyName", "x"),
                ("PolicyDocument", "{"),
            ],
        )
        .await;
    assert_eq!(
        (response.status, field(&response.body, "Code").as_str()),
        (400, "MalformedPolicyDocument")
    );
    f.fails(
        &[("Action", "DeleteUser"), ("UserName", "pat")],
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    .await;
    let listed = f.ok(&[("Action", "ListUserPolicies"), ("UserName", "pat")]).await;
    assert!(
        listed.contains("<PolicyNames><member>all</member></PolicyNames>"),
        "{listed}"
    );
    f.ok(&[
        ("Action", "DeleteUserPolicy"),
        ("UserName", "pat"),
        ("PolicyName", "all"),
    ])
    .await;
    f.fails(
        &[("Action", "GetUserPolicy"), ("UserName", "pat"), ("PolicyName", "all")],
        404,
        "NoSuchEntity",
        "The user policy with name all cannot be found.",
    )
    .await;
    f.ok(&[("Action", "DeleteUser"), ("UserName", "pat")]).await;
}

#[tokio::test]
async fn managed_policies_count_attachments_and_refuse_deletion_while_attached() {
    let f = fixture().await;
    let body = f
        .ok(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "All"),
            ("PolicyDocument", ALLOW_ALL),
        ])
        .await;
    let arn = field(&body, "Arn");
    assert_eq!(arn, "arn:aws:iam::000000000000:policy/All");
    assert_eq!(field(&body, "AttachmentCount"), "0");
    f.fails(
        &[
            ("Action", "CreatePolicy"),
            ("PolicyName", "all"),
            ("Path", "/x/"),
            ("PolicyDocument", ALLOW_ALL),
        ],
        409,
        "EntityAlreadyExists",
        "A policy called all already exists. Duplicate names are not allowed.",
    )
    .await;
    f.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "r"),
        ("AssumeRolePolicyDocument", TRUST),
    ])
    .await;
    f.ok(&[("Action", "AttachRolePolicy"), ("RoleName", "r"), ("PolicyArn", &arn)])
        .await;
    f.ok(&[("Action", "AttachRolePolicy"), ("RoleName", "r"), ("PolicyArn", &arn)])
        .await;
    let got = f.ok(&[("Action", "GetPolicy"), ("PolicyArn", &arn)]).await;
    assert_eq!(field(&got, "AttachmentCount"), "1");
    let attached = f.ok(&[("Action", "ListAttachedRolePolicies"), ("RoleName", "r")]).await;
    assert_eq!(field(&attached, "PolicyArn"), arn);
    f.fails(
        &[("Action", "DeletePolicy"), ("PolicyArn", &arn)],
        409,
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
    )
    .await;
    f.fails(
        &[("Action", "DeleteRole"), ("RoleName", "r")],
        409,
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
    )
    .await;
    let version = f
        .ok(&[("Action", "GetPolicyVersion"), ("PolicyArn", &arn), ("VersionId", "v1")])
        .await;
    assert_eq!(field(&version, "IsDefaultVersion"), "true");
    f.ok(&[("Action", "DetachRolePolicy"), ("RoleName", "r"), ("PolicyArn", &arn)])
        .await;
    f.fails(
        &[("Action", "DetachRolePolicy"), ("RoleName", "r"), ("PolicyArn", &arn)],
        404,
        "NoSuchEntity",
        &format!("Policy {arn} was not found."),
    )
    .await;
    f.ok(&[("Action", "DeletePolicy"), ("PolicyArn", &arn)]).await;
    f.ok(&[("Action", "DeleteRole"), ("RoleName", "r")]).await;
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test]
async fn groups_hold_members_and_their_policies_reach_them() {
    let f = fixture().await;
    f.ok(&[("Action", "CreateUser"), ("UserName", "gus")]).await;
    f.ok(&[("Action", "CreateGroup"), ("GroupName", "readers")]).await;
    f.ok(&[
        ("Action", "AddUserToGroup"),
        ("GroupName", "readers"),
        ("UserName", "gus"),
    ])
    .await;
    let groups = f.ok(&[("Action", "ListGroupsForUser"), ("UserName", "gus")]).await;
    assert_eq!(field(&groups, "GroupName"), "readers");
    let group = f.ok(&[("Action", "GetGroup"), ("GroupName", "readers")]).await;
    assert!(
        group.contains("<Users><member><Path>/</Path><UserName>gus</UserName>"),
        "{group}"
    );
    f.fails(
        &[("Action", "DeleteGroup"), ("GroupName", "readers")],
        409,
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    .await;
    f.fails(
        &[("Action", "DeleteUser"), ("UserName", "gus")],
        409,
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    .await;
    // A group's policy reaches its member's grants.
    f.ok(&[
        ("Action", "PutGroupPolicy"),
        ("GroupName", "readers"),
        ("PolicyName", "p"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    let key = field(
        &f.ok(&[("Action", "CreateAccessKey"), ("UserName", "gus")]).await,
        "AccessKeyId",
    );
    assert_eq!(f.directory.grants(&key).unwrap().identity.len(), 1);
    f.ok(&[
        ("Action", "RemoveUserFromGroup"),
        ("GroupName", "readers"),
        ("UserName", "gus"),
    ])
    .await;
    assert_eq!(f.directory.grants(&key).unwrap().identity.len(), 0);
    f.fails(
        &[
            ("Action", "AddUserToGroup"),
            ("GroupName", "nobody"),
            ("UserName", "gus"),
        ],
        404,
        "NoSuchEntity",
        "The group with name nobody cannot be found.",
    )
    .await;
}

#[tokio::test]
async fn roles_keep_their_trust_policy_and_tags() {
    let f = fixture().await;
    let body = f
        .ok(&[
            ("Action", "CreateRole"),
            ("RoleName", "reader"),
            ("AssumeRolePolicyDocument", TRUST),
            ("Description", "reads"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "a"),
        ])
        .await;
    assert_eq!(field(&body, "Arn"), "arn:aws:iam::000000000000:role/reader");
    assert_eq!(field(&body, "MaxSessionDuration"), "3600");
    let got = f.ok(&[("Action", "GetRole"), ("RoleName", "reader")]).await;
    let trust = field(&got, "AssumeRolePolicyDocument");
    assert_eq!(
        percent_encoding::percent_decode_str(&trust).decode_utf8().unwrap(),
        TRUST
    );
    f.ok(&[
        ("Action", "TagRole"),
        ("RoleName", "reader"),
        ("Tags.member.1.Key", "TEAM"),
        ("Tags.member.1.Value", "b"),
    ])
    .await;
    let tags = f.ok(&[("Action", "ListRoleTags"), ("RoleName", "reader")]).await;
    assert_eq!((count(&tags, "member"), field(&tags, "Value").as_str()), (1, "b"));
    // A trust policy needs a Principal; an identity policy must not have one.
    let response = f
        .call(
            &f.root,
            &[
                ("Action", "CreateRole"),
                ("RoleName", "bad"),
                ("AssumeRolePolicyDocument", ALLOW_ALL),
            ],
        )
        .await;
    assert_eq!(
        (response.status, field(&response.body, "Code").as_str()),
        (400, "MalformedPolicyDocument")
    );
    f.ok(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "reader"),
        ("PolicyName", "p"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    f.fails(
        &[("Action", "DeleteRole"), ("RoleName", "reader")],
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
    )
    .await;
}

#[tokio::test]
async fn a_user_may_do_only_what_its_policies_allow() {
    let f = fixture().await;
    f.ok(&[("Action", "CreateUser"), ("UserName", "ops")]).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListUsers"],"Resource":"*"}]}"#;
    f.ok(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "ops"),
        ("PolicyName", "p"),
        ("PolicyDocument", policy),
    ])
    .await;
    let key = field(
        &f.ok(&[("Action", "CreateAccessKey"), ("UserName", "ops")]).await,
        "AccessKeyId",
    );
    let ops = caller(f.directory.grants(&key).unwrap());
    assert_eq!(f.call(&ops, &[("Action", "ListUsers")]).await.status, 200);
    let own = f.call(&ops, &[("Action", "GetUser")]).await;
    assert_eq!(field(&own.body, "UserName"), "ops");
    let denied = f.call(&ops, &[("Action", "CreateUser"), ("UserName", "eve")]).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(field(&denied.body, "Code"), "AccessDenied");
    assert!(
        field(&denied.body, "Message").contains("iam:CreateUser"),
        "{}",
        denied.body
    );
    // Denied before existence is told.
    let missing = f.call(&ops, &[("Action", "DeleteUser"), ("UserName", "nobody")]).await;
    assert_eq!(missing.status, 403);
}
