//! STS's actions over a real engine and directory on temporary SQLite
//! storage: the credentials they issue, who those act as, what they may do,
//! and STS's refusals.

use std::sync::Arc;

use halyard_engine::{Engine, EngineConfig};
use halyard_iam::access::{Caller, RequestFacts};
use halyard_iam::credentials::{CredentialStore, Secret};
use halyard_iam::directory::records::{
    access_key_key, role_key, session_key, user_key, AccessKey, IdentityPolicy, KeyStatus, Permissions, Role, Session,
    SessionPrincipal, TrustPolicy, User,
};
use halyard_iam::directory::{now, Directory, Record, RecordWrite, RootCredentials};
use halyard_iam::policy::DenialReason;
use halyard_iam::query::{QueryRequest, QueryResponse};
use halyard_iam::sts_api;
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
use halyard_storage::Storage;

const ACCOUNT: &str = "123456789012";
const ROOT_KEY: &str = "AKIAROOTROOTROOTROOT";

struct Fixture {
    directory: Arc<Directory>,
    _engine: Arc<Engine>,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap());
    let config = EngineConfig {
        account_id: ACCOUNT.to_string(),
        ..EngineConfig::default()
    };
    let engine = Arc::new(Engine::open(storage.clone(), config).unwrap());
    let root = RootCredentials {
        access_key_id: ROOT_KEY.to_string(),
        secret_access_key: Secret::new("root-secret"),
    };
    let directory = Directory::open(&*storage, engine.clone(), ACCOUNT, root).await.unwrap();
    Fixture {
        directory,
        _engine: engine,
        _dir: dir,
    }
}

impl Fixture {
    async fn put(&self, key: String, record: Record) {
        let record = Box::new(record);
        self.directory
            .change(move |_| Ok(vec![RecordWrite::Put(key.clone(), record.clone())]))
            .await
            .unwrap();
    }

    /// A user with one access key (`AKIA<NAME>`) and the given inline policy.
    async fn user(&self, name: &str, policy: Option<&str>) -> String {
        let mut permissions = Permissions::default();
        if let Some(text) = policy {
            permissions
                .inline
                .insert("p".into(), IdentityPolicy::parse(text).unwrap());
        }
        let user = User {
            name: name.into(),
            path: "/".into(),
            id: format!("AIDA{}", name.to_uppercase()),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            created: now(),
            tags: Vec::new(),
            permissions,
            groups: Vec::new(),
        };
        self.put(user_key(name), Record::User(user)).await;
        let key_id = format!("AKIA{}", name.to_uppercase());
        let key = AccessKey {
            id: key_id.clone(),
            secret: format!("{name}-secret"),
            user_name: Some(name.into()),
            status: KeyStatus::Active,
            created: now(),
        };
        self.put(access_key_key(&key_id), Record::AccessKey(key)).await;
        key_id
    }

    async fn role(&self, name: &str, id: &str, trust: &str, policy: &str) -> String {
        let mut permissions = Permissions::default();
        permissions
            .inline
            .insert("p".into(), IdentityPolicy::parse(policy).unwrap());
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
        let role = Role {
            name: name.into(),
            path: "/".into(),
            id: id.into(),
            arn: arn.clone(),
            created: now(),
            trust_policy: TrustPolicy::parse(trust).unwrap(),
            description: None,
            max_session_duration: 7200,
            tags: Vec::new(),
            permissions,
        };
        self.put(role_key(name), Record::Role(role)).await;
        arn
    }

    async fn delete(&self, key: String) {
        self.directory
            .change(move |_| Ok(vec![RecordWrite::Delete(key.clone())]))
            .await
            .unwrap();
    }

    fn caller(&self, access_key_id: &str) -> Caller {
        Caller {
            grants: self.directory.grants(access_key_id).expect("a known key"),
            facts: RequestFacts {
                source_ip: None,
                secure_transport: false,
                now: now(),
            },
        }
    }

    async fn call(&self, access_key_id: &str, form: &str) -> QueryResponse {
        let caller = self.caller(access_key_id);
        sts_api::handle(&self.directory, &caller, &QueryRequest::parse(form.as_bytes()), "req-1").await
    }

    /// Calls and expects success: the answer's body.
    async fn ok(&self, access_key_id: &str, form: &str) -> String {
        let response = self.call(access_key_id, form).await;
        assert_eq!(response.status, 200, "{}", response.body);
        response.body
    }
}

/// The text of the first `<name>` element.
fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + open.len();
    let end = start + xml[start..].find(&format!("</{name}>")).unwrap();
    quick_xml::escape::unescape(&xml[start..end]).unwrap().into_owned()
}

fn error(response: &QueryResponse) -> (u16, String, String) {
    (
        response.status,
        element(&response.body, "Code"),
        element(&response.body, "Message"),
    )
}

const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}"#;
const ALLOW_DYNAMODB: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#;
const ALLOW_ASSUME: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#;

fn trust_user(name: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/{name}"}},"Action":"sts:AssumeRole"}}}}"#
    )
}

fn assume(role_arn: &str, session: &str, extra: &str) -> String {
    let arn: String = form_encode(role_arn);
    format!("Action=AssumeRole&Version=2011-06-15&RoleArn={arn}&RoleSessionName={session}{extra}")
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn get_session_token_issues_credentials_that_act_as_the_user() {
    let f = fixture().await;
    let key = f.user("alice", Some(ALLOW_DYNAMODB)).await;
    let before = now();
    let body = f.ok(&key, "Action=GetSessionToken&Version=2011-06-15").await;
    let access_key_id = element(&body, "AccessKeyId");
    assert!(
        access_key_id.starts_with("ASIA") && access_key_id.len() == 20,
        "{access_key_id}"
    );
    let credential = f.directory.secret_for(&access_key_id).expect("the session is known");
    assert_eq!(credential.secret_access_key.expose(), element(&body, "SecretAccessKey"));
    assert_eq!(
        credential.session_token.as_ref().map(Secret::expose),
        Some(element(&body, "SessionToken").as_str())
    );
    // The default duration: 12 hours.
    let expires_at = credential.expires_at.unwrap();
    assert!((before + 43_200..=now() + 43_200).contains(&expires_at));
    assert_eq!(
        element(&body, "Expiration"),
        halyard_iam::sigv4::Timestamp(expires_at).to_iso8601()
    );

    let identity = f
        .ok(&access_key_id, "Action=GetCallerIdentity&Version=2011-06-15")
        .await;
    assert_eq!(element(&identity, "Arn"), format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert_eq!(element(&identity, "UserId"), "AIDAALICE");
    let grants = f.directory.grants(&access_key_id).unwrap();
    assert!(grants.temporary && grants.session.is_none());
    assert_eq!(grants.identity.len(), 1, "the user's own policies");

    let again = f
        .call(&access_key_id, "Action=GetSessionToken&Version=2011-06-15")
        .await;
    assert_eq!(
        error(&again),
        (
            403,
            "AccessDenied".into(),
            "Cannot call GetSessionToken with session credentials".into()
        )
    );
}

#[tokio::test]
async fn get_session_token_durations() {
    let f = fixture().await;
    let key = f.user("bob", None).await;
    let short = f.call(&key, "Action=GetSessionToken&DurationSeconds=899").await;
    assert_eq!(
        error(&short),
        (
            400,
            "ValidationError".into(),
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900".into()
        )
    );
    let long = f.call(&key, "Action=GetSessionToken&DurationSeconds=129601").await;
    assert!(error(&long)
        .2
        .ends_with("Member must have value less than or equal to 129600"));
    let body = f.ok(&key, "Action=GetSessionToken&DurationSeconds=129600").await;
    let expires_at = f
        .directory
        .secret_for(&element(&body, "AccessKeyId"))
        .unwrap()
        .expires_at
        .unwrap();
    assert!(expires_at >= now() + 129_600 - 60);

    // The root's sessions last at most an hour.
    let body = f.ok(ROOT_KEY, "Action=GetSessionToken&DurationSeconds=7200").await;
    let root_session = element(&body, "AccessKeyId");
    assert!(f.directory.secret_for(&root_session).unwrap().expires_at.unwrap() <= now() + 3600);
    let identity = f.ok(&root_session, "Action=GetCallerIdentity").await;
    assert_eq!(element(&identity, "Arn"), format!("arn:aws:iam::{ACCOUNT}:root"));
    assert!(f.directory.grants(&root_session).unwrap().root);

    // The floor can be lowered (for tests that watch credentials expire).
    f.directory.set_min_session_duration(2);
    let body = f.ok(&key, "Action=GetSessionToken&DurationSeconds=2").await;
    let expires_at = f
        .directory
        .secret_for(&element(&body, "AccessKeyId"))
        .unwrap()
        .expires_at
        .unwrap();
    assert!(expires_at <= now() + 2);
}

#[tokio::test]
async fn assume_role_trusted_by_name_or_through_identity_policies() {
    let f = fixture().await;
    let named = f.user("carol", None).await;
    let delegated = f.user("dave", Some(ALLOW_ASSUME)).await;
    let unprivileged = f.user("erin", None).await;
    let by_name = f
        .role("ByName", "AROABYNAME", &trust_user("carol"), ALLOW_DYNAMODB)
        .await;
    let by_account = f
        .role("ByAccount", "AROABYACCOUNT", TRUST_ACCOUNT, ALLOW_DYNAMODB)
        .await;

    // Named in the trust policy: no identity policy needed.
    let body = f.ok(&named, &assume(&by_name, "s1", "")).await;
    assert_eq!(element(&body, "AssumedRoleId"), "AROABYNAME:s1");
    assert_eq!(
        element(&body, "Arn"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/ByName/s1")
    );
    assert!(!body.contains("PackedPolicySize"));
    let session = element(&body, "AccessKeyId");
    let identity = f.ok(&session, "Action=GetCallerIdentity").await;
    assert_eq!(element(&identity, "UserId"), "AROABYNAME:s1");
    assert_eq!(
        element(&identity, "Arn"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/ByName/s1")
    );
    let expires_at = f.directory.secret_for(&session).unwrap().expires_at.unwrap();
    assert!(
        expires_at <= now() + 3600 && expires_at > now() + 3500,
        "default: an hour"
    );

    // The account in the trust policy: the identity policy decides.
    f.ok(&delegated, &assume(&by_account, "s2", "")).await;
    let denied = f.call(&unprivileged, &assume(&by_account, "s3", "")).await;
    assert_eq!(
        error(&denied),
        (
            403,
            "AccessDenied".into(),
            format!("User: arn:aws:iam::{ACCOUNT}:user/erin is not authorized to perform: sts:AssumeRole on resource: {by_account}")
        )
    );
    // Not trusted by name, and no identity policy either.
    let denied = f.call(&unprivileged, &assume(&by_name, "s4", "")).await;
    assert_eq!(error(&denied).1, "AccessDenied");
    // An identity policy alone is not enough: the trust policy must let
    // the caller in (by name or by account).
    let denied = f.call(&delegated, &assume(&by_name, "s4", "")).await;
    assert_eq!(error(&denied).1, "AccessDenied");
    // A role that does not exist gets the same answer.
    let missing = format!("arn:aws:iam::{ACCOUNT}:role/Missing");
    let denied = f.call(&delegated, &assume(&missing, "s5", "")).await;
    assert_eq!(
        error(&denied).2,
        format!("User: arn:aws:iam::{ACCOUNT}:user/dave is not authorized to perform: sts:AssumeRole on resource: {missing}")
    );
    let root = f.call(ROOT_KEY, &assume(&by_account, "s6", "")).await;
    assert_eq!(
        error(&root),
        (
            403,
            "AccessDenied".into(),
            "Roles may not be assumed by root accounts.".into()
        )
    );
}

#[tokio::test]
async fn session_policy_narrows_the_role() {
    let f = fixture().await;
    let key = f.user("frank", Some(ALLOW_ASSUME)).await;
    let role = f.role("Narrowed", "AROANARROWED", TRUST_ACCOUNT, ALLOW_DYNAMODB).await;
    let policy =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let body = f
        .ok(
            &key,
            &assume(&role, "narrow", &format!("&Policy={}", form_encode(policy))),
        )
        .await;
    let packed: usize = element(&body, "PackedPolicySize").parse().unwrap();
    assert!((1..=100).contains(&packed));
    let caller = f.caller(&element(&body, "AccessKeyId"));
    let table = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/T");
    let get = caller.context("dynamodb:GetItem", &table);
    assert!(caller.authorize(&get, &[]).is_ok());
    let put = caller.context("dynamodb:PutItem", &table);
    let denial = caller.authorize(&put, &[]).unwrap_err();
    assert_eq!(denial.reason, DenialReason::NoSessionPolicyAllows);
    assert_eq!(
        denial.principal_arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Narrowed/narrow")
    );

    let outside = form_encode("{\"Id\":\"\u{2603}\"}");
    let outside = f.call(&key, &assume(&role, "bad", &format!("&Policy={outside}"))).await;
    assert!(
        error(&outside)
            .2
            .ends_with("Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"),
        "{}",
        outside.body
    );
    let malformed = f
        .call(&key, &assume(&role, "bad", "&Policy=%7B%22Statement%22%3A1%7D"))
        .await;
    assert_eq!(error(&malformed).1, "MalformedPolicyDocument");
    let statement = r#"{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/SomeLongTableName"}"#;
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; 20].join(",")
    );
    let too_large = f
        .call(&key, &assume(&role, "big", &format!("&Policy={}", form_encode(&big))))
        .await;
    let (status, code, message) = error(&too_large);
    assert_eq!((status, code.as_str()), (400, "PackedPolicyTooLarge"));
    assert!(
        message.starts_with("Packed policy consumes ")
            && message.ends_with("% of allotted space, please use smaller policy."),
        "{message}"
    );
}

#[tokio::test]
async fn assume_role_validation_and_durations() {
    let f = fixture().await;
    let key = f.user("gina", Some(ALLOW_ASSUME)).await;
    let role = f.role("Durations", "AROADURATIONS", TRUST_ACCOUNT, ALLOW_ASSUME).await;
    let bad_name = f.call(&key, &assume(&role, "has%20space", "")).await;
    assert_eq!(
        error(&bad_name).2,
        "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    );
    let short_name = f.call(&key, &assume(&role, "x", "")).await;
    assert!(error(&short_name)
        .2
        .ends_with("Member must have length greater than or equal to 2"));
    let missing = f.call(&key, "Action=AssumeRole&RoleSessionName=abc").await;
    assert_eq!(
        error(&missing).2,
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
    );
    let beyond = f.call(&key, &assume(&role, "long", "&DurationSeconds=7201")).await;
    assert_eq!(
        error(&beyond),
        (
            400,
            "ValidationError".into(),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into()
        )
    );
    let body = f.ok(&key, &assume(&role, "long", "&DurationSeconds=7200")).await;
    let session = element(&body, "AccessKeyId");
    assert!(f.directory.secret_for(&session).unwrap().expires_at.unwrap() > now() + 7100);

    // The role allows sts:AssumeRole and trusts its account: a session of
    // it may assume it again ("role chaining"), for at most an hour.
    let chained = f.call(&session, &assume(&role, "chain", "&DurationSeconds=3601")).await;
    assert_eq!(
        error(&chained).2,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    f.ok(&session, &assume(&role, "chain", "&DurationSeconds=3600")).await;
}

#[tokio::test]
async fn session_tags_become_principal_tags() {
    let f = fixture().await;
    // Trusted through the account: the identity policy must allow tagging too.
    let allow_tagging = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}}"#;
    let key = f.user("hank", Some(allow_tagging)).await;
    let trust_with_tags = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"]}}"#;
    let tagging = f.role("Tagging", "AROATAGGING", trust_with_tags, ALLOW_DYNAMODB).await;
    let plain = f.role("Plain", "AROAPLAIN", TRUST_ACCOUNT, ALLOW_DYNAMODB).await;
    let tags = "&Tags.member.1.Key=team&Tags.member.1.Value=blue";
    let body = f.ok(&key, &assume(&tagging, "tagged", tags)).await;
    let grants = f.directory.grants(&element(&body, "AccessKeyId")).unwrap();
    assert_eq!(grants.principal_tags.len(), 1);
    assert_eq!(
        (
            grants.principal_tags[0].key.as_str(),
            grants.principal_tags[0].value.as_str()
        ),
        ("team", "blue")
    );
    // Tagging a session needs sts:TagSession from the trust policy.
    let denied = f.call(&key, &assume(&plain, "tagged", tags)).await;
    assert_eq!(error(&denied).1, "AccessDenied");
}

#[tokio::test]
async fn deleting_a_role_invalidates_its_sessions() {
    let f = fixture().await;
    let key = f.user("ivy", None).await;
    let role = f
        .role("Doomed", "AROADOOMED1", &trust_user("ivy"), ALLOW_DYNAMODB)
        .await;
    let body = f.ok(&key, &assume(&role, "s0", "")).await;
    let session = element(&body, "AccessKeyId");
    assert!(f.directory.secret_for(&session).is_some());
    f.delete(role_key("Doomed")).await;
    assert!(f.directory.secret_for(&session).is_none());
    assert!(f.directory.grants(&session).is_none());
    // A new role of the same name is another role: the old sessions stay dead.
    f.role("Doomed", "AROADOOMED2", &trust_user("ivy"), ALLOW_DYNAMODB)
        .await;
    assert!(f.directory.secret_for(&session).is_none());
    assert!(f.directory.grants(&session).is_none());
}

#[tokio::test]
async fn sweep_removes_long_expired_sessions_a_bounded_number_at_a_time() {
    let f = fixture().await;
    let expired = |n: usize, expires_at: i64| Session {
        access_key_id: format!("ASIAEXPIRED{n:09}"),
        secret: "s".into(),
        token: "t".into(),
        expires_at,
        principal: SessionPrincipal::User { user_name: None },
        policy: None,
        policy_arns: Vec::new(),
        owner_id: None,
        tags: Vec::new(),
    };
    let long_ago = now() - 2 * 86_400;
    for n in 0..5 {
        let session = expired(n, long_ago);
        f.put(session_key(&session.access_key_id), Record::Session(session))
            .await;
    }
    // Expired a moment ago: kept, so that it still gets ExpiredTokenException.
    let recent = expired(9, now() - 10);
    f.put(session_key(&recent.access_key_id), Record::Session(recent.clone()))
        .await;

    assert_eq!(f.directory.sweep_expired_sessions(3).await.unwrap(), 3);
    assert_eq!(f.directory.read(|r| r.sessions().count()), 3);
    assert_eq!(f.directory.sweep_expired_sessions(3).await.unwrap(), 2);
    assert_eq!(f.directory.sweep_expired_sessions(3).await.unwrap(), 0);
    assert!(f.directory.secret_for(&recent.access_key_id).is_some());
}

#[tokio::test]
async fn a_trust_policy_naming_a_role_lets_its_sessions_in() {
    let f = fixture().await;
    let key = f.user("jack", None).await;
    let first = f.role("First", "AROAFIRST", &trust_user("jack"), ALLOW_ASSUME).await;
    let trust_first = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{first}"}},"Action":"sts:AssumeRole"}}}}"#
    );
    let second = f.role("Second", "AROASECOND", &trust_first, ALLOW_DYNAMODB).await;
    let body = f.ok(&key, &assume(&first, "one", "")).await;
    let session = element(&body, "AccessKeyId");
    let chained = f.ok(&session, &assume(&second, "two", "")).await;
    assert_eq!(
        element(&chained, "Arn"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Second/two")
    );
    // The user itself is not the role the trust policy names.
    let denied = f.call(&key, &assume(&second, "three", "")).await;
    assert_eq!(error(&denied).1, "AccessDenied");
}
