//! Which data events are recorded: CloudTrail's advanced event selectors
//! on Halyard's one trail. Management events are always recorded (an audit
//! trail whose control-plane record can be switched off proves little);
//! data events are recorded when a selector with `eventCategory = Data`
//! matches one of the tables a call names.

use serde_json::{json, Value};

use crate::error::CloudTrailError;
use crate::record::{STREAM_RESOURCE, TABLE_RESOURCE};

/// The name of the one trail.
pub const TRAIL_NAME: &str = "halyard";

/// Most selectors, and most field selectors in all (CloudTrail: 500
/// conditions across all selectors).
const MAX_SELECTORS: usize = 500;
const MAX_VALUE_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq)]
pub struct Selectors {
    /// As put, returned by GetEventSelectors.
    advanced: Value,
    data: Vec<Vec<FieldSelector>>,
}

#[derive(Debug, Clone, PartialEq)]
struct FieldSelector {
    field: Field,
    equals: Vec<String>,
    starts_with: Vec<String>,
    ends_with: Vec<String>,
    not_equals: Vec<String>,
    not_starts_with: Vec<String>,
    not_ends_with: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    EventCategory,
    ResourcesType,
    ResourcesArn,
    ReadOnly,
    EventName,
    EventSource,
}

/// A data event as the selectors see it.
pub struct DataEvent<'a> {
    pub name: &'a str,
    pub read_only: bool,
    /// The ARNs of the tables the call names.
    pub table_arns: &'a [String],
    pub stream: bool,
}

impl Default for Selectors {
    /// CloudTrail's console default for a trail logging DynamoDB data:
    /// management events, and data events of every table.
    fn default() -> Selectors {
        Selectors::parse(&json!([
            {"Name": "Management events", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]}]},
            {"Name": "DynamoDB data events", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": [TABLE_RESOURCE]}]},
        ]))
        .expect("the default selectors are valid")
    }
}

impl Selectors {
    pub fn advanced(&self) -> &Value {
        &self.advanced
    }

    /// Parses PutEventSelectors' `AdvancedEventSelectors`.
    pub fn parse(advanced: &Value) -> Result<Selectors, CloudTrailError> {
        let invalid = |message: &str| CloudTrailError::InvalidEventSelectors(message.to_string());
        let Value::Array(selectors) = advanced else {
            return Err(invalid("AdvancedEventSelectors must be a list."));
        };
        if selectors.len() > MAX_SELECTORS {
            return Err(invalid("Too many advanced event selectors."));
        }
        let mut data = Vec::new();
        for selector in selectors {
            let fields = selector
                .get("FieldSelectors")
                .and_then(Value::as_array)
                .filter(|fields| !fields.is_empty())
                .ok_or_else(|| invalid("Each advanced event selector must have FieldSelectors."))?;
            let mut parsed = Vec::with_capacity(fields.len());
            for field in fields {
                parsed.push(FieldSelector::parse(field)?);
            }
            let category = parsed
                .iter()
                .find(|f| f.field == Field::EventCategory)
                .ok_or_else(|| invalid("Each advanced event selector must have an eventCategory field selector."))?;
            if category.equals.len() != 1 || !category.starts_with.is_empty() || !category.not_equals.is_empty() {
                return Err(invalid(
                    "The eventCategory field selector must use Equals with one value.",
                ));
            }
            match category.equals[0].as_str() {
                "Management" => {}
                "Data" => {
                    let kind = parsed
                        .iter()
                        .find(|f| f.field == Field::ResourcesType)
                        .ok_or_else(|| invalid("A data event selector must have a resources.type field selector."))?;
                    if kind.equals.len() != 1 || ![TABLE_RESOURCE, STREAM_RESOURCE].contains(&kind.equals[0].as_str()) {
                        return Err(invalid(
                            "resources.type must be Equals AWS::DynamoDB::Table or AWS::DynamoDB::Stream on this trail.",
                        ));
                    }
                    data.push(parsed);
                }
                other => return Err(invalid(&format!("Invalid eventCategory value: {other}."))),
            }
        }
        Ok(Selectors {
            advanced: advanced.clone(),
            data,
        })
    }

    /// Whether a data event is recorded.
    pub fn records(&self, event: &DataEvent<'_>) -> bool {
        let kind = if event.stream { STREAM_RESOURCE } else { TABLE_RESOURCE };
        self.data.iter().any(|selector| {
            event.table_arns.iter().any(|arn| {
                selector.iter().all(|field| match field.field {
                    Field::EventCategory => true,
                    Field::ResourcesType => field.matches(kind),
                    Field::ResourcesArn => field.matches(arn),
                    Field::ReadOnly => field.matches(if event.read_only { "true" } else { "false" }),
                    Field::EventName => field.matches(event.name),
                    Field::EventSource => field.matches("dynamodb.amazonaws.com"),
                })
            })
        })
    }
}

impl FieldSelector {
    fn parse(value: &Value) -> Result<FieldSelector, CloudTrailError> {
        let invalid = |message: String| CloudTrailError::InvalidEventSelectors(message);
        let name = value.get("Field").and_then(Value::as_str).unwrap_or_default();
        let field = match name {
            "eventCategory" => Field::EventCategory,
            "resources.type" => Field::ResourcesType,
            "resources.ARN" => Field::ResourcesArn,
            "readOnly" => Field::ReadOnly,
            "eventName" => Field::EventName,
            "eventSource" => Field::EventSource,
            other => return Err(invalid(format!("Invalid field selector: {other}."))),
        };
        let list = |operator: &str| -> Result<Vec<String>, CloudTrailError> {
            match value.get(operator) {
                None => Ok(Vec::new()),
                Some(Value::Array(values)) => values
                    .iter()
                    .map(|v| match v.as_str() {
                        Some(text) if !text.is_empty() && text.len() <= MAX_VALUE_LEN => Ok(text.to_string()),
                        _ => Err(invalid(format!("Invalid {operator} value for field {name}."))),
                    })
                    .collect(),
                Some(_) => Err(invalid(format!("{operator} must be a list."))),
            }
        };
        let selector = FieldSelector {
            field,
            equals: list("Equals")?,
            starts_with: list("StartsWith")?,
            ends_with: list("EndsWith")?,
            not_equals: list("NotEquals")?,
            not_starts_with: list("NotStartsWith")?,
            not_ends_with: list("NotEndsWith")?,
        };
        let conditions = selector.equals.len()
            + selector.starts_with.len()
            + selector.ends_with.len()
            + selector.not_equals.len()
            + selector.not_starts_with.len()
            + selector.not_ends_with.len();
        if conditions == 0 {
            return Err(invalid(format!("The field selector for {name} has no condition.")));
        }
        Ok(selector)
    }

    /// Positive operators: any one matching; negative ones: none matching.
    fn matches(&self, value: &str) -> bool {
        let positive = self.equals.len() + self.starts_with.len() + self.ends_with.len();
        let any = self.equals.iter().any(|v| v == value)
            || self.starts_with.iter().any(|v| value.starts_with(v.as_str()))
            || self.ends_with.iter().any(|v| value.ends_with(v.as_str()));
        let none = !self.not_equals.iter().any(|v| v == value)
            && !self.not_starts_with.iter().any(|v| value.starts_with(v.as_str()))
            && !self.not_ends_with.iter().any(|v| value.ends_with(v.as_str()));
        (positive == 0 || any) && none
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/audited";
    const B: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/quiet";

    fn event(arns: &[String]) -> DataEvent<'_> {
        DataEvent {
            name: "PutItem",
            read_only: false,
            table_arns: arns,
            stream: false,
        }
    }

    #[test]
    fn the_default_records_every_table() {
        assert!(Selectors::default().records(&event(&[A.to_string()])));
    }

    #[test]
    fn arn_conditions_pick_tables() {
        let selectors = Selectors::parse(&json!([{"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
            {"Field": "resources.ARN", "NotEquals": [B]},
        ]}]))
        .unwrap();
        assert!(selectors.records(&event(&[A.to_string()])));
        assert!(!selectors.records(&event(&[B.to_string()])));
        assert!(selectors.records(&event(&[B.to_string(), A.to_string()])));
        let only_management = Selectors::parse(&json!([{"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}]}]))
        .unwrap();
        assert!(!only_management.records(&event(&[A.to_string()])));
        let prefix = Selectors::parse(&json!([{"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:dynamodb:us-east-1:000000000000:table/aud"]},
        ]}]))
        .unwrap();
        assert!(prefix.records(&event(&[A.to_string()])));
        assert!(!prefix.records(&event(&[B.to_string()])));
    }

    #[test]
    fn invalid_selectors_are_refused() {
        for bad in [
            json!({}),
            json!([{"FieldSelectors": []}]),
            json!([{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Insight"]}]}]),
            json!([{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]),
            json!([{"FieldSelectors": [{"Field": "color", "Equals": ["red"]}]}]),
        ] {
            assert!(Selectors::parse(&bad).is_err(), "{bad}");
        }
    }
}
