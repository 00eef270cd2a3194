//! Condition operators, with IAM's rules for missing keys, multi-valued keys
//! (`ForAnyValue:`, `ForAllValues:`) and `...IfExists`.
//!
//! From IAM's documentation: a key absent from the request makes a
//! condition false, except that a negated operator (StringNotEquals,
//! NotIpAddress, ...) is then true, `...IfExists` is then true, and
//! `ForAllValues:` is then true. Values in one clause are ORed; clauses
//! (keys and operators) are ANDed by the evaluator.

use std::net::IpAddr;

use super::context::RequestContext;
use super::variables::{expand, expanded_matches};
use super::wildcard::{literal, matches_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Comparison {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Equals => request == policy,
            Comparison::LessThan => request < policy,
            Comparison::LessThanEquals => request <= policy,
            Comparison::GreaterThan => request > policy,
            Comparison::GreaterThanEquals => request >= policy,
        }
    }
}

/// The positive form of an operator; negation is a flag beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseOperator {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    BinaryEquals,
    IpAddress,
    /// ArnEquals and ArnLike: both match field by field with wildcards.
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// No prefix: the (usually single) value is tested.
    Single,
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionOperator {
    pub base: BaseOperator,
    pub negated: bool,
    pub set: SetQualifier,
    pub if_exists: bool,
}

/// One key of one operator: `"StringEquals": {"aws:username": ["a", "b"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionClause {
    pub operator: ConditionOperator,
    pub key: String,
    pub values: Vec<String>,
}

impl ConditionOperator {
    /// Reads `ForAnyValue:StringLikeIfExists` and the like.
    pub fn parse(name: &str) -> Option<ConditionOperator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else {
            (SetQualifier::Single, name)
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        use BaseOperator as B;
        use Comparison as C;
        let (base, negated) = match rest {
            "StringEquals" => (B::StringEquals, false),
            "StringNotEquals" => (B::StringEquals, true),
            "StringEqualsIgnoreCase" => (B::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (B::StringEqualsIgnoreCase, true),
            "StringLike" => (B::StringLike, false),
            "StringNotLike" => (B::StringLike, true),
            "NumericEquals" => (B::Numeric(C::Equals), false),
            "NumericNotEquals" => (B::Numeric(C::Equals), true),
            "NumericLessThan" => (B::Numeric(C::LessThan), false),
            "NumericLessThanEquals" => (B::Numeric(C::LessThanEquals), false),
            "NumericGreaterThan" => (B::Numeric(C::GreaterThan), false),
            "NumericGreaterThanEquals" => (B::Numeric(C::GreaterThanEquals), false),
            "DateEquals" => (B::Date(C::Equals), false),
            "DateNotEquals" => (B::Date(C::Equals), true),
            "DateLessThan" => (B::Date(C::LessThan), false),
            "DateLessThanEquals" => (B::Date(C::LessThanEquals), false),
            "DateGreaterThan" => (B::Date(C::GreaterThan), false),
            "DateGreaterThanEquals" => (B::Date(C::GreaterThanEquals), false),
            "Bool" => (B::Bool, false),
            "BinaryEquals" => (B::BinaryEquals, false),
            "IpAddress" => (B::IpAddress, false),
            "NotIpAddress" => (B::IpAddress, true),
            "ArnEquals" | "ArnLike" => (B::Arn, false),
            "ArnNotEquals" | "ArnNotLike" => (B::Arn, true),
            "Null" if !if_exists && set == SetQualifier::Single => (B::Null, false),
            _ => return None,
        };
        Some(ConditionOperator {
            base,
            negated,
            set,
            if_exists,
        })
    }

    /// IAM refuses, when the policy is stored, values its operator cannot
    /// read (a CIDR that is not one, a number that is not one...).
    pub fn validate_values(&self, values: &[String]) -> Result<(), String> {
        let valid = |v: &String| match self.base {
            BaseOperator::Numeric(_) => v.trim().parse::<f64>().is_ok_and(f64::is_finite),
            BaseOperator::Date(_) => parse_date(v).is_some(),
            BaseOperator::IpAddress => parse_cidr(v).is_some(),
            BaseOperator::Bool | BaseOperator::Null => {
                v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
            _ => true,
        };
        match values.iter().find(|v| !valid(v)) {
            Some(bad) => Err(format!("Invalid Condition value : {bad}")),
            None => Ok(()),
        }
    }
}

impl ConditionClause {
    /// Whether this clause holds for `context`.
    pub fn holds(&self, context: &RequestContext, variables_enabled: bool) -> bool {
        let op = self.operator;
        let request = context.values(&self.key).filter(|v| !v.is_empty());
        if op.base == BaseOperator::Null {
            let absent = request.is_none();
            return self.values.iter().any(|v| v.eq_ignore_ascii_case("true") == absent);
        }
        let Some(request) = request else {
            return match op.set {
                SetQualifier::ForAllValues => true,
                _ if op.if_exists => true,
                SetQualifier::ForAnyValue => false,
                SetQualifier::Single => op.negated,
            };
        };
        // A request value satisfies the operator when it matches any policy
        // value (or, negated, none of them).
        let satisfies = |value: &String| {
            let any = self
                .values
                .iter()
                .any(|p| base_matches(op.base, p, value, context, variables_enabled));
            any != op.negated
        };
        match op.set {
            SetQualifier::ForAllValues => request.iter().all(satisfies),
            SetQualifier::Single | SetQualifier::ForAnyValue => request.iter().any(satisfies),
        }
    }
}

/// The positive operator applied to one policy value and one request value.
fn base_matches(
    base: BaseOperator,
    policy: &str,
    request: &str,
    context: &RequestContext,
    variables_enabled: bool,
) -> bool {
    let expanded = || expand(policy, context, variables_enabled);
    match base {
        BaseOperator::StringEquals => expanded().is_some_and(|p| literal(&p) == request),
        BaseOperator::StringEqualsIgnoreCase => {
            expanded().is_some_and(|p| literal(&p).to_lowercase() == request.to_lowercase())
        }
        BaseOperator::StringLike => expanded_matches(policy, context, variables_enabled, request),
        BaseOperator::Numeric(cmp) => match (request.trim().parse::<f64>(), policy.trim().parse::<f64>()) {
            (Ok(r), Ok(p)) => cmp.holds(r, p),
            _ => false,
        },
        BaseOperator::Date(cmp) => match (parse_date(request), parse_date(policy)) {
            (Some(r), Some(p)) => cmp.holds(r, p),
            _ => false,
        },
        BaseOperator::Bool => policy.eq_ignore_ascii_case(request),
        BaseOperator::BinaryEquals => policy == request,
        BaseOperator::IpAddress => match (parse_cidr(policy), request.trim().parse::<IpAddr>()) {
            (Some(net), Ok(ip)) => net.contains(ip),
            _ => false,
        },
        BaseOperator::Arn => expanded().is_some_and(|p| arn_matches(&literal(&p), request)),
        BaseOperator::Null => false,
    }
}

/// ARNs match field by field (six `:`-separated fields, the last keeping
/// its colons), each with wildcards, case-sensitively.
pub fn arn_matches(policy: &str, request: &str) -> bool {
    let p: Vec<&str> = policy.splitn(6, ':').collect();
    let r: Vec<&str> = request.splitn(6, ':').collect();
    p.len() == 6 && r.len() == 6 && p.iter().zip(&r).all(|(pf, rf)| matches_text(pf, rf, false))
}

/// An IPv4 or IPv6 network (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

pub fn parse_cidr(text: &str) -> Option<Cidr> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
            (a, Some(p.parse::<u8>().ok()?))
        }
        Some(_) => return None,
        None => (text, None),
    };
    let network: IpAddr = addr.parse().ok()?;
    let max = if network.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some(Cidr { network, prefix })
}

/// ISO 8601 (`2026-12-01`, `2026-12-01T12:00:00Z`, with fractional seconds
/// or a `±HH:MM` offset) or epoch seconds, as milliseconds since the epoch.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.len() <= 12 {
        return text.parse::<i64>().ok().map(|s| s * 1000);
    }
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let base = crate::sigv4::Timestamp::parse_basic(&format!("{year:04}{month:02}{day:02}T000000Z"))?.0;
    if b.len() == 10 {
        return Some(base * 1000);
    }
    if b.get(10) != Some(&b'T') {
        return None;
    }
    let (hour, minute) = (digits(11..13)?, digits(14..16)?);
    if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut i = 16;
    let mut second = 0;
    let mut millis = 0;
    if b.get(i) == Some(&b':') {
        second = digits(17..19)?;
        i = 19;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac = &text[start..end.min(start + 3)];
            millis = frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32);
            i = end;
        }
    }
    if second > 60 {
        return None;
    }
    let offset = match &text[i..] {
        "Z" | "" => 0,
        tz => {
            let sign = match tz.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let tb = tz.as_bytes();
            if tb.len() != 6 || tb[3] != b':' {
                return None;
            }
            let h = (tb[1] - b'0') as i64 * 10 + (tb[2] - b'0') as i64;
            let m = (tb[4] - b'0') as i64 * 10 + (tb[5] - b'0') as i64;
            if !tb[1..3].iter().chain(&tb[4..6]).all(u8::is_ascii_digit) {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    Some((base + hour * 3600 + minute * 60 + second - offset) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_parse_with_prefixes_and_suffixes() {
        let op = ConditionOperator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.negated && op.if_exists);
        assert_eq!(op.set, SetQualifier::ForAllValues);
        assert!(ConditionOperator::parse("NullIfExists").is_none());
        assert!(ConditionOperator::parse("StringSortOf").is_none());
    }

    #[test]
    fn dates_parse() {
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:00.25Z"), Some(250));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("86400"), Some(86_400_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("1970-01-01T00:00:00+1:00"), None);
    }

    #[test]
    fn cidrs() {
        let net = parse_cidr("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.9".parse().unwrap()));
        assert!(!net.contains("203.0.114.9".parse().unwrap()));
        let v6 = parse_cidr("2001:db8::/33").unwrap();
        assert!(v6.contains("2001:db8:7fff::1".parse().unwrap()));
        assert!(!v6.contains("2001:db8:8000::1".parse().unwrap()));
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("10.0.0.0/").is_none());
    }
}
