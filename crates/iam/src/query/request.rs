//! A query-protocol request: form-encoded parameters.

use std::collections::BTreeMap;

use crate::directory::IamError;

#[derive(Debug, Default, Clone)]
pub struct QueryRequest {
    params: BTreeMap<String, String>,
}

impl QueryRequest {
    /// Parses an `application/x-www-form-urlencoded` body (or query string).
    pub fn parse(form: &[u8]) -> QueryRequest {
        QueryRequest {
            params: form_urlencoded::parse(form).into_owned().collect(),
        }
    }

    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A required parameter, or IAM's validation error naming it as the
    /// service model does (`userName` for `UserName`).
    pub fn required(&self, name: &str) -> Result<&str, IamError> {
        self.get(name).ok_or_else(|| missing(name))
    }

    /// An integer parameter.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, IamError> {
        self.get(name)
            .map(|value| {
                value.parse().map_err(|_| {
                    IamError::Validation(format!("Invalid value for parameter {}: {value}", lower_first(name)))
                })
            })
            .transpose()
    }

    /// A list parameter: `Name.member.1`, `Name.member.2`, ... in order.
    pub fn list(&self, name: &str) -> Vec<&str> {
        (1..).map_while(|n| self.get(&format!("{name}.member.{n}"))).collect()
    }

    /// A list of structures: for `Tags`, each `Tags.member.N.Key` and
    /// `.Value` as a map of member name to value.
    pub fn structures(&self, name: &str) -> Vec<BTreeMap<&str, &str>> {
        let mut out = Vec::new();
        for n in 1.. {
            let prefix = format!("{name}.member.{n}.");
            let members: BTreeMap<&str, &str> = self
                .params
                .range(prefix.clone()..)
                .take_while(|(key, _)| key.starts_with(&prefix))
                .map(|(key, value)| (&key[prefix.len()..], value.as_str()))
                .collect();
            if members.is_empty() {
                break;
            }
            out.push(members);
        }
        out
    }
}

/// The validation error for a required member left out.
pub fn missing(name: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
        lower_first(name)
    ))
}

/// `UserName` → `userName`, as the models name members in messages.
pub fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_structures() {
        let request = QueryRequest::parse(
            b"Action=TagUser&UserName=al%2Bice&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=2&L.member.1=x&L.member.2=y",
        );
        assert_eq!(request.action(), Some("TagUser"));
        assert_eq!(request.get("UserName"), Some("al+ice"));
        assert_eq!(request.list("L"), ["x", "y"]);
        let tags = request.structures("Tags");
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[1]["Key"], "b");
        assert!(request.required("Path").unwrap_err().to_string().contains("'path'"));
    }
}
