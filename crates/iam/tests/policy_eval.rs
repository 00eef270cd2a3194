//! IAM policy evaluation: the scenarios DynamoDB users rely on, with the
//! AccessDeniedException texts.

use halyard_iam::policy::{
    evaluate, Decision, DenialReason, PolicyDocument, PolicyKind, PolicySet, PolicySource, RequestContext,
};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const MUSIC: &str = "arn:aws:dynamodb:us-east-1:111122223333:table/Music";

fn identity(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json, PolicyKind::Identity).expect("valid identity policy")
}

fn resource(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json, PolicyKind::Resource).expect("valid resource policy")
}

fn context(action: &str, resource: &str) -> RequestContext {
    let mut c = RequestContext::new(ALICE, action, resource);
    c.set("aws:username", ["alice"]);
    c.set("aws:userid", ["AIDAALICE"]);
    c
}

fn decide(identity_docs: &[PolicyDocument], c: &RequestContext) -> Decision {
    evaluate(
        &PolicySet {
            identity: identity_docs,
            ..PolicySet::default()
        },
        c,
    )
}

fn denial_message(d: Decision) -> String {
    match d {
        Decision::Deny(denial) => denial.message(),
        Decision::Allow(by) => panic!("allowed by {by:?}"),
    }
}

const LEADING_KEYS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "OwnItemsOnly",
    "Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem"],
    "Resource": ["arn:aws:dynamodb:*:*:table/Music"],
    "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}
  }]
}"#;

#[test]
fn default_deny_names_principal_action_and_resource() {
    let c = context("dynamodb:GetItem", MUSIC);
    assert_eq!(
        denial_message(decide(&[], &c)),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:GetItem \
         on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Music because no identity-based \
         policy allows the dynamodb:GetItem action"
    );
}

#[test]
fn leading_keys_confine_a_user_to_its_own_items() {
    let docs = [identity(LEADING_KEYS)];
    let mut own = context("dynamodb:GetItem", MUSIC);
    own.set("dynamodb:LeadingKeys", ["alice"]);
    match decide(&docs, &own) {
        Decision::Allow(by) => assert_eq!(by.sid.as_deref(), Some("OwnItemsOnly")),
        other => panic!("{other:?}"),
    }
    let mut other = context("dynamodb:GetItem", MUSIC);
    other.set("dynamodb:LeadingKeys", ["bob"]);
    assert!(!decide(&docs, &other).is_allowed());
    // A batch with one foreign key is refused as a whole.
    let mut batch = context("dynamodb:BatchGetItem", MUSIC);
    batch.set("dynamodb:LeadingKeys", ["alice", "bob"]);
    assert!(!decide(&docs, &batch).is_allowed());
    // Not an action the policy names.
    let mut scan = context("dynamodb:Scan", MUSIC);
    scan.set("dynamodb:LeadingKeys", ["alice"]);
    assert!(!decide(&docs, &scan).is_allowed());
    // Another table.
    let mut elsewhere = context(
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Other",
    );
    elsewhere.set("dynamodb:LeadingKeys", ["alice"]);
    assert!(!decide(&docs, &elsewhere).is_allowed());
}

#[test]
fn explicit_deny_overrides_any_allow() {
    let docs = [
        identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#),
        identity(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDeletes","Effect":"Deny","Action":"dynamodb:Delete*","Resource":"*"}]}"#,
        ),
    ];
    assert!(decide(&docs, &context("dynamodb:GetItem", MUSIC)).is_allowed());
    let decision = decide(&docs, &context("dynamodb:DeleteItem", MUSIC));
    match &decision {
        Decision::Deny(d) => match &d.reason {
            DenialReason::ExplicitDeny(by) => {
                assert_eq!((by.source, by.policy, by.statement), (PolicySource::Identity, 1, 0));
                assert_eq!(by.sid.as_deref(), Some("NoDeletes"));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(
        denial_message(decision),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:DeleteItem \
         on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Music with an explicit deny in an \
         identity-based policy"
    );
}

#[test]
fn actions_ignore_case_resources_do_not() {
    let docs = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"DynamoDB:getitem","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Mu?ic"}}"#,
    )];
    assert!(decide(&docs, &context("dynamodb:GetItem", MUSIC)).is_allowed());
    assert!(!decide(&docs, &context("dynamodb:GetItem", &MUSIC.to_lowercase())).is_allowed());
}

#[test]
fn not_action_and_not_resource() {
    let docs = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["dynamodb:Delete*","dynamodb:Update*"],"NotResource":"arn:aws:dynamodb:*:*:table/Secret*"}}"#,
    )];
    assert!(decide(&docs, &context("dynamodb:GetItem", MUSIC)).is_allowed());
    assert!(!decide(&docs, &context("dynamodb:DeleteItem", MUSIC)).is_allowed());
    assert!(!decide(
        &docs,
        &context(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/SecretStuff"
        )
    )
    .is_allowed());
}

#[test]
fn policy_variables_need_version_2012() {
    let with = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/${aws:username}-*"}}"#,
    );
    let without = identity(
        r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/${aws:username}-*"}}"#,
    );
    let own = context(
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/alice-notes",
    );
    assert!(decide(&[with], &own).is_allowed());
    assert!(!decide(&[without], &own).is_allowed());
}

#[test]
fn session_policies_intersect_with_role_policies() {
    let role = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#,
    )];
    let session = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}}"#,
    )];
    let set = PolicySet {
        identity: &role,
        session: Some(&session),
        resource: &[],
    };
    let session_arn = "arn:aws:sts::111122223333:assumed-role/Reader/s1";
    assert!(evaluate(&set, &RequestContext::new(session_arn, "dynamodb:GetItem", MUSIC)).is_allowed());
    let denied = evaluate(&set, &RequestContext::new(session_arn, "dynamodb:PutItem", MUSIC));
    assert_eq!(
        denial_message(denied),
        format!("User: {session_arn} is not authorized to perform: dynamodb:PutItem on resource: {MUSIC} because no session policy allows the dynamodb:PutItem action")
    );
    // The session policy alone grants nothing.
    let set = PolicySet {
        identity: &[],
        session: Some(&session),
        resource: &[],
    };
    assert!(!evaluate(&set, &RequestContext::new(session_arn, "dynamodb:GetItem", MUSIC)).is_allowed());
}

#[test]
fn resource_policies_grant_and_deny_within_the_account() {
    let grant = [resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{ALICE}"}},"Action":"dynamodb:GetItem","Resource":"{MUSIC}"}}}}"#
    ))];
    let c = context("dynamodb:GetItem", MUSIC);
    let decision = evaluate(
        &PolicySet {
            resource: &grant,
            ..PolicySet::default()
        },
        &c,
    );
    assert!(matches!(decision, Decision::Allow(ref by) if by.source == PolicySource::Resource));
    // Naming only the account delegates to identity policies: no grant.
    let account = [resource(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":"dynamodb:*","Resource":"{MUSIC}"}}}}"#
    ))];
    assert!(!evaluate(
        &PolicySet {
            resource: &account,
            ..PolicySet::default()
        },
        &c
    )
    .is_allowed());
    // A resource Deny beats an identity Allow.
    let allow_all = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )];
    let deny = [resource(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}}"#,
    )];
    let d = evaluate(
        &PolicySet {
            identity: &allow_all,
            resource: &deny,
            session: None,
        },
        &c,
    );
    assert!(denial_message(d).ends_with("with an explicit deny in a resource-based policy"));
}

#[test]
fn cross_account_needs_both_sides() {
    let other_table = "arn:aws:dynamodb:us-east-1:444455556666:table/Shared";
    let allow_all = [identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#,
    )];
    let grant = [resource(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"dynamodb:GetItem","Resource":"*"}}"#,
    )];
    let c = context("dynamodb:GetItem", other_table);
    assert!(evaluate(
        &PolicySet {
            identity: &allow_all,
            resource: &grant,
            session: None
        },
        &c
    )
    .is_allowed());
    let d = evaluate(
        &PolicySet {
            identity: &allow_all,
            ..PolicySet::default()
        },
        &c,
    );
    assert!(denial_message(d).ends_with("because no resource-based policy allows the dynamodb:GetItem action"));
    assert!(!evaluate(
        &PolicySet {
            resource: &grant,
            ..PolicySet::default()
        },
        &c
    )
    .is_allowed());
}

fn allowed_with(condition: &str, setup: impl Fn(&mut RequestContext)) -> bool {
    let doc = identity(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{condition}}}}}"#
    ));
    let mut c = context("dynamodb:GetItem", MUSIC);
    setup(&mut c);
    decide(&[doc], &c).is_allowed()
}

#[test]
fn condition_operators() {
    let none = |_: &mut RequestContext| {};
    // Strings.
    assert!(allowed_with(
        r#"{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}"#,
        none
    ));
    assert!(!allowed_with(r#"{"StringEquals":{"aws:username":"ALICE"}}"#, none));
    assert!(allowed_with(r#"{"StringLike":{"aws:username":"a*e"}}"#, none));
    assert!(allowed_with(r#"{"StringNotLike":{"aws:username":["b*","c*"]}}"#, none));
    // Missing keys: false, except negated operators, IfExists and ForAllValues.
    assert!(!allowed_with(r#"{"StringEquals":{"dynamodb:Select":"COUNT"}}"#, none));
    assert!(allowed_with(r#"{"StringNotEquals":{"dynamodb:Select":"COUNT"}}"#, none));
    assert!(allowed_with(
        r#"{"StringEqualsIfExists":{"dynamodb:Select":"COUNT"}}"#,
        none
    ));
    assert!(allowed_with(
        r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["a"]}}"#,
        none
    ));
    assert!(!allowed_with(
        r#"{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["a"]}}"#,
        none
    ));
    // Multi-valued keys.
    let attrs = |c: &mut RequestContext| c.set("dynamodb:Attributes", ["a", "b"]);
    assert!(allowed_with(
        r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["a","b","c"]}}"#,
        attrs
    ));
    assert!(!allowed_with(
        r#"{"ForAllValues:StringEquals":{"dynamodb:Attributes":["a"]}}"#,
        attrs
    ));
    assert!(allowed_with(
        r#"{"ForAnyValue:StringEquals":{"dynamodb:Attributes":["b","z"]}}"#,
        attrs
    ));
    // Keys are ANDed, values ORed.
    assert!(allowed_with(
        r#"{"StringEquals":{"aws:username":["bob","alice"],"aws:userid":"AIDAALICE"}}"#,
        none
    ));
    assert!(!allowed_with(
        r#"{"StringEquals":{"aws:username":"alice","aws:userid":"AIDABOB"}}"#,
        none
    ));
    // Null.
    assert!(allowed_with(r#"{"Null":{"dynamodb:Select":"true"}}"#, none));
    assert!(!allowed_with(r#"{"Null":{"aws:username":"true"}}"#, none));
    // Numbers, dates, booleans.
    let n = |c: &mut RequestContext| c.set("test:n", ["10"]);
    assert!(allowed_with(r#"{"NumericLessThan":{"test:n":"10.5"}}"#, n));
    assert!(!allowed_with(r#"{"NumericGreaterThan":{"test:n":10}}"#, n));
    assert!(allowed_with(r#"{"NumericGreaterThanEquals":{"test:n":10}}"#, n));
    assert!(allowed_with(r#"{"NumericNotEquals":{"test:n":[1,2]}}"#, n));
    let now = |c: &mut RequestContext| c.set("aws:CurrentTime", ["2026-12-01T12:00:00Z"]);
    assert!(allowed_with(
        r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#,
        now
    ));
    assert!(!allowed_with(
        r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-12-01T12:00:00Z"}}"#,
        now
    ));
    assert!(allowed_with(
        r#"{"DateEquals":{"aws:CurrentTime":"2026-12-01T13:00:00+01:00"}}"#,
        now
    ));
    let tls = |c: &mut RequestContext| c.set("aws:SecureTransport", ["true"]);
    assert!(allowed_with(r#"{"Bool":{"aws:SecureTransport":true}}"#, tls));
    assert!(!allowed_with(r#"{"Bool":{"aws:SecureTransport":"false"}}"#, tls));
    // Addresses, v4 and v6.
    let v4 = |c: &mut RequestContext| c.set("aws:SourceIp", ["203.0.113.7"]);
    let v6 = |c: &mut RequestContext| c.set("aws:SourceIp", ["2001:db8::7"]);
    assert!(allowed_with(
        r#"{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}"#,
        v4
    ));
    assert!(!allowed_with(
        r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
        v4
    ));
    assert!(allowed_with(r#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#, v6));
    assert!(!allowed_with(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, v6));
    // ARNs and binary.
    let arn = |c: &mut RequestContext| c.set("aws:SourceArn", [MUSIC]);
    assert!(allowed_with(
        r#"{"ArnLike":{"aws:SourceArn":"arn:aws:dynamodb:*:111122223333:table/*"}}"#,
        arn
    ));
    assert!(!allowed_with(
        r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:dynamodb:*:444455556666:table/*"}}"#,
        arn
    ));
    assert!(allowed_with(
        r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::*"}}"#,
        arn
    ));
    let bin = |c: &mut RequestContext| c.set("test:b", ["QmluYXJ5"]);
    assert!(allowed_with(r#"{"BinaryEquals":{"test:b":"QmluYXJ5"}}"#, bin));
    // Tags as variables.
    let tags = |c: &mut RequestContext| {
        c.set("aws:PrincipalTag/team", ["blue"]);
        c.set("aws:ResourceTag/team", ["blue"]);
    };
    assert!(allowed_with(
        r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}"#,
        tags
    ));
    assert!(!allowed_with(
        r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/dept}"}}"#,
        tags
    ));
    assert!(allowed_with(
        r#"{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/dept, 'blue'}"}}"#,
        tags
    ));
}

#[test]
fn documents_are_validated_like_iam() {
    let err = |json: &str, kind| PolicyDocument::parse(json, kind).unwrap_err().to_string();
    assert_eq!(err("{", PolicyKind::Identity), "Syntax errors in policy.");
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Action":"dynamodb:*","Resource":"*"}}"#,
            PolicyKind::Identity
        ),
        "Missing required field Effect"
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
            PolicyKind::Identity
        ),
        "Policy statement must contain actions."
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*"}}"#,
            PolicyKind::Identity
        ),
        "Policy statement must contain resources."
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"dynamodb:*","Resource":"*"}}"#,
            PolicyKind::Identity
        ),
        "Policy document should not specify a principal."
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#,
            PolicyKind::Resource
        ),
        "Missing required field Principal"
    );
    assert_eq!(
        err(r#"{"Version":"2012-10-18","Statement":[]}"#, PolicyKind::Identity),
        "The policy failed legacy parsing"
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetItem","Resource":"*"}}"#,
            PolicyKind::Identity
        ),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"table/T"}}"#,
            PolicyKind::Identity
        ),
        "Resource table/T must be in ARN format or \"*\"."
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"StringSortOf":{"a:b":"c"}}}}"#,
            PolicyKind::Identity
        ),
        "Invalid Condition type : StringSortOf"
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.0.0.0/8"}}}}"#,
            PolicyKind::Identity
        ),
        "Invalid Condition value : 300.0.0.0/8"
    );
    assert_eq!(
        err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Maybe","Action":"dynamodb:*","Resource":"*"}}"#,
            PolicyKind::Identity
        ),
        "Invalid effect: Maybe"
    );
    // A trust policy names a principal and needs no resource.
    assert!(PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}"#, PolicyKind::Trust).is_ok());
}

#[test]
fn a_resource_policy_naming_a_role_applies_to_its_sessions() {
    let session = "arn:aws:sts::111122223333:assumed-role/Reader/s1";
    let deny_role = resource(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/Reader"},"Action":"dynamodb:*","Resource":"*"}}"#,
    );
    let allow_all = identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
    let request = RequestContext::new(session, "dynamodb:GetItem", MUSIC);
    let decide = |resource_docs: &[PolicyDocument], c: &RequestContext| {
        evaluate(
            &PolicySet {
                identity: std::slice::from_ref(&allow_all),
                session: None,
                resource: resource_docs,
            },
            c,
        )
    };
    let denied = decide(std::slice::from_ref(&deny_role), &request);
    assert!(matches!(denied, Decision::Deny(ref d) if d.is_explicit()), "{denied:?}");
    // Another role's session, another account's role of the same name: not named.
    for other in [
        "arn:aws:sts::111122223333:assumed-role/Writer/s1",
        "arn:aws:sts::444455556666:assumed-role/Reader/s1",
    ] {
        let c = RequestContext::new(other, "dynamodb:GetItem", MUSIC);
        let decision = decide(std::slice::from_ref(&deny_role), &c);
        assert!(!matches!(decision, Decision::Deny(ref d) if d.is_explicit()), "{other}");
    }
}
