//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, the
//! escapes `${*}`, `${?}`, `${$}`, and defaults `${aws:username, 'x'}`) in
//! Resource and string/ARN condition values, for policies of version
//! 2012-10-17. Earlier versions treat `${...}` as literal text.

use super::context::RequestContext;
use super::wildcard::{matches, matches_text, pattern, Piece};

/// Expands the variables in `text` into a match pattern. `None` when a
/// variable has no value in the request and no default: that value then
/// matches nothing, as IAM does.
pub fn expand(text: &str, context: &RequestContext, variables_enabled: bool) -> Option<Vec<Piece>> {
    if !variables_enabled || !text.contains("${") {
        return Some(pattern(text));
    }
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.extend(pattern(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.extend(pattern(&rest[start..]));
            return Some(out);
        };
        let value = resolve(&after[..end], context)?;
        out.extend(value.chars().map(Piece::Char));
        rest = &after[end + 1..];
    }
    out.extend(pattern(rest));
    Some(out)
}

/// Whether `request` matches `text` as a pattern once its variables are
/// expanded (case-sensitively): `expand` then `matches`, without building
/// the pattern when `text` has no variables.
pub fn expanded_matches(text: &str, context: &RequestContext, variables_enabled: bool, request: &str) -> bool {
    if !variables_enabled || !text.contains("${") {
        return matches_text(text, request, false);
    }
    expand(text, context, variables_enabled).is_some_and(|p| matches(&p, request, false))
}

fn resolve(inner: &str, context: &RequestContext) -> Option<String> {
    match inner {
        "*" | "?" | "$" => return Some(inner.to_string()),
        _ => {}
    }
    let (name, default) = match inner.split_once(',') {
        Some((name, default)) => (name.trim(), parse_default(default.trim())),
        None => (inner.trim(), None),
    };
    // Only single-valued keys can be variables.
    match context.values(name) {
        Some([one]) => Some(one.clone()),
        _ => default,
    }
}

fn parse_default(text: &str) -> Option<String> {
    text.strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::super::wildcard::{literal, matches};
    use super::*;

    fn context() -> RequestContext {
        let mut c = RequestContext::new("arn:aws:iam::111122223333:user/alice", "dynamodb:GetItem", "*");
        c.set("aws:username", ["alice"]);
        c.set("aws:PrincipalTag/team", ["blue"]);
        c
    }

    #[test]
    fn variables_expand_as_literals() {
        let c = context();
        let p = expand("table/${aws:username}-*", &c, true).unwrap();
        assert!(matches(&p, "table/alice-x", false));
        assert_eq!(literal(&expand("${aws:PrincipalTag/team}", &c, true).unwrap()), "blue");
        let star = expand("a${*}b", &c, true).unwrap();
        assert!(matches(&star, "a*b", false));
        assert!(!matches(&star, "axb", false));
        assert_eq!(literal(&expand("${$}{x}", &c, true).unwrap()), "${x}");
    }

    #[test]
    fn missing_variables_use_defaults_or_match_nothing() {
        let c = context();
        assert_eq!(expand("${aws:userid}", &c, true), None);
        assert_eq!(literal(&expand("${aws:userid, 'nobody'}", &c, true).unwrap()), "nobody");
        assert_eq!(
            literal(&expand("${aws:username}", &c, false).unwrap()),
            "${aws:username}"
        );
    }
}
