//! Property tests: the matchers against simple reference models, and the
//! evaluator's invariants.

use std::net::Ipv4Addr;

use halyard_iam::policy::conditions::parse_cidr;
use halyard_iam::policy::wildcard::{matches, matches_text, pattern};
use halyard_iam::policy::{evaluate, PolicyDocument, PolicyKind, PolicySet, RequestContext};
use proptest::prelude::*;

/// The textbook recursive definition of `*`/`?` matching.
fn reference_match(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| reference_match(rest, &t[i..])),
        Some(('?', rest)) => !t.is_empty() && reference_match(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && reference_match(rest, &t[1..]),
    }
}

fn condition_holds(operator: &str, policy_value: &str, request_value: &str) -> bool {
    let json = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
                      "Condition": {operator: {"test:key": policy_value}}}
    });
    let doc = PolicyDocument::parse(&json.to_string(), PolicyKind::Identity).expect("valid");
    let mut c = RequestContext::new(
        "arn:aws:iam::111122223333:user/u",
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/T",
    );
    c.set("test:key", [request_value]);
    evaluate(
        &PolicySet {
            identity: &[doc],
            ..PolicySet::default()
        },
        &c,
    )
    .is_allowed()
}

proptest! {
    #[test]
    fn wildcards_match_the_reference(p in "[ab*?]{0,8}", t in "[ab]{0,10}") {
        let pc: Vec<char> = p.chars().collect();
        let tc: Vec<char> = t.chars().collect();
        prop_assert_eq!(matches(&pattern(&p), &t, false), reference_match(&pc, &tc));
    }

    #[test]
    fn text_patterns_match_as_built_patterns(p in "[aBß*?]{0,8}", t in "[abBSß]{0,10}", ignore_case in any::<bool>()) {
        prop_assert_eq!(matches_text(&p, &t, ignore_case), matches(&pattern(&p), &t, ignore_case));
    }

    #[test]
    fn string_like_matches_the_reference(p in "[aB*?]{0,6}", t in "[aBb]{0,8}") {
        let pc: Vec<char> = p.chars().collect();
        let tc: Vec<char> = t.chars().collect();
        prop_assert_eq!(condition_holds("StringLike", &p, &t), reference_match(&pc, &tc));
        prop_assert_eq!(condition_holds("StringNotLike", &p, &t), !reference_match(&pc, &tc));
    }

    #[test]
    fn numeric_operators_agree_with_f64(a in -1.0e6f64..1.0e6, b in -1.0e6f64..1.0e6, same in any::<bool>()) {
        let b = if same { a } else { b };
        let (sa, sb) = (a.to_string(), b.to_string());
        prop_assert_eq!(condition_holds("NumericEquals", &sb, &sa), a == b);
        prop_assert_eq!(condition_holds("NumericNotEquals", &sb, &sa), a != b);
        prop_assert_eq!(condition_holds("NumericLessThan", &sb, &sa), a < b);
        prop_assert_eq!(condition_holds("NumericLessThanEquals", &sb, &sa), a <= b);
        prop_assert_eq!(condition_holds("NumericGreaterThan", &sb, &sa), a > b);
        prop_assert_eq!(condition_holds("NumericGreaterThanEquals", &sb, &sa), a >= b);
    }

    #[test]
    fn ipv4_cidrs_agree_with_masking(net in any::<u32>(), prefix in 0u8..=32, ip in any::<u32>(), near in any::<bool>()) {
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        // Half the time pick an address inside the network.
        let ip = if near { (net & mask) | (ip & !mask) } else { ip };
        let cidr = format!("{}/{prefix}", Ipv4Addr::from(net));
        let expected = (ip & mask) == (net & mask);
        prop_assert_eq!(parse_cidr(&cidr).unwrap().contains(Ipv4Addr::from(ip).into()), expected);
        prop_assert_eq!(condition_holds("IpAddress", &cidr, &Ipv4Addr::from(ip).to_string()), expected);
        prop_assert_eq!(condition_holds("NotIpAddress", &cidr, &Ipv4Addr::from(ip).to_string()), !expected);
    }
}

const ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:DeleteItem",
];
const PATTERNS: &[&str] = &[
    "dynamodb:*",
    "dynamodb:Get*",
    "dynamodb:?utItem",
    "dynamodb:Query",
    "*",
    "dynamodb:Delete*",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:dynamodb:us-east-1:111122223333:table/A",
    "arn:aws:dynamodb:*:*:table/A*",
    "arn:aws:dynamodb:us-east-1:111122223333:table/B",
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    not_action: bool,
    action: usize,
    resource: usize,
    leading_key: Option<bool>,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        any::<bool>(),
        0..PATTERNS.len(),
        0..RESOURCES.len(),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(deny, not_action, action, resource, leading_key)| Stmt {
            deny,
            not_action,
            action,
            resource,
            leading_key,
        })
}

fn to_json(s: &Stmt) -> serde_json::Value {
    let mut v = serde_json::json!({
        "Effect": if s.deny { "Deny" } else { "Allow" },
        if s.not_action { "NotAction" } else { "Action" }: PATTERNS[s.action],
        "Resource": RESOURCES[s.resource],
    });
    if let Some(own) = s.leading_key {
        v["Condition"] = serde_json::json!({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": if own { "${aws:username}" } else { "other" }}});
    }
    v
}

fn doc(statements: &[Stmt]) -> PolicyDocument {
    let json =
        serde_json::json!({"Version": "2012-10-17", "Statement": statements.iter().map(to_json).collect::<Vec<_>>()});
    PolicyDocument::parse(&json.to_string(), PolicyKind::Identity).expect("valid")
}

fn request() -> impl Strategy<Value = RequestContext> {
    (
        0..ACTIONS.len(),
        prop_oneof![Just("A"), Just("Ab"), Just("B")],
        any::<bool>(),
    )
        .prop_map(|(a, table, own)| {
            let mut c = RequestContext::new(
                "arn:aws:iam::111122223333:user/u",
                ACTIONS[a],
                &format!("arn:aws:dynamodb:us-east-1:111122223333:table/{table}"),
            );
            c.set("aws:username", ["u"]);
            c.set("dynamodb:LeadingKeys", [if own { "u" } else { "v" }]);
            c
        })
}

fn allowed(statements: &[Stmt], c: &RequestContext) -> bool {
    evaluate(
        &PolicySet {
            identity: &[doc(statements)],
            ..PolicySet::default()
        },
        c,
    )
    .is_allowed()
}

proptest! {
    #[test]
    fn adding_a_deny_never_allows(statements in proptest::collection::vec(stmt(), 0..6), extra in stmt(), c in request()) {
        let before = allowed(&statements, &c);
        let mut more = statements.clone();
        more.push(Stmt { deny: true, ..extra });
        prop_assert!(!allowed(&more, &c) || before);
    }

    #[test]
    fn allow_only_policies_are_monotone(statements in proptest::collection::vec(stmt(), 0..6), extra in stmt(), c in request()) {
        let allows: Vec<Stmt> = statements.into_iter().map(|s| Stmt { deny: false, ..s }).collect();
        let before = allowed(&allows, &c);
        let mut more = allows.clone();
        more.push(Stmt { deny: false, ..extra });
        prop_assert!(allowed(&more, &c) || !before);
    }

    #[test]
    fn statement_and_policy_order_never_matters(statements in proptest::collection::vec(stmt(), 0..7), c in request(), split in 0usize..7) {
        let forward = allowed(&statements, &c);
        let mut reversed = statements.clone();
        reversed.reverse();
        prop_assert_eq!(allowed(&reversed, &c), forward);
        // Split across two policies, in either order.
        let split = split.min(statements.len());
        let (a, b) = statements.split_at(split);
        let docs = [doc(a), doc(b)];
        let swapped = [doc(b), doc(a)];
        prop_assert_eq!(evaluate(&PolicySet { identity: &docs, ..PolicySet::default() }, &c).is_allowed(), forward);
        prop_assert_eq!(evaluate(&PolicySet { identity: &swapped, ..PolicySet::default() }, &c).is_allowed(), forward);
    }
}
