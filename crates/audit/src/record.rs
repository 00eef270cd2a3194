//! One CloudTrail record (an "event"): what the server knows of a call,
//! in the JSON CloudTrail writes.

use serde_json::{json, Map, Value};

use crate::identity::Identity;

/// CloudTrail's record format version the records follow.
pub const EVENT_VERSION: &str = "1.09";

/// The service a call went to, as CloudTrail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSource {
    /// DynamoDB and DynamoDB Streams (CloudTrail logs both under one name).
    DynamoDb,
    Iam,
    Sts,
    Kms,
    CloudTrail,
}

impl EventSource {
    pub fn name(self) -> &'static str {
        match self {
            EventSource::DynamoDb => "dynamodb.amazonaws.com",
            EventSource::Iam => "iam.amazonaws.com",
            EventSource::Sts => "sts.amazonaws.com",
            EventSource::Kms => "kms.amazonaws.com",
            EventSource::CloudTrail => "cloudtrail.amazonaws.com",
        }
    }

    /// The source of a SigV4 signing name.
    pub fn from_signing_name(service: &str) -> Option<EventSource> {
        Some(match service {
            "dynamodb" => EventSource::DynamoDb,
            "iam" => EventSource::Iam,
            "sts" => EventSource::Sts,
            "kms" => EventSource::Kms,
            "cloudtrail" => EventSource::CloudTrail,
            _ => return None,
        })
    }
}

/// A resource a call acted on (`resources` in the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `AWS::DynamoDB::Table`, `AWS::DynamoDB::Stream`, `AWS::IAM::User`...
    pub kind: &'static str,
    pub arn: String,
    /// The resource's short name (a table's name), for LookupEvents'
    /// `ResourceName`.
    pub name: String,
}

pub const TABLE_RESOURCE: &str = "AWS::DynamoDB::Table";
pub const STREAM_RESOURCE: &str = "AWS::DynamoDB::Stream";

/// Everything a record says; [`Event::to_json`] writes it.
#[derive(Debug, Clone)]
pub struct Event {
    /// Unix milliseconds at which the request arrived.
    pub time_ms: i64,
    pub source: EventSource,
    pub name: String,
    pub region: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub identity: Identity,
    /// Names only: never attribute values, expression values or secrets.
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
    /// CloudTrail's `errorCode` and `errorMessage`, for a failed or denied call.
    pub error: Option<(String, String)>,
    pub request_id: String,
    pub event_id: String,
    pub read_only: bool,
    pub resources: Vec<Resource>,
    /// Management (control plane) or data (item reads and writes).
    pub management: bool,
    pub recipient_account: String,
}

impl Event {
    /// A new event with a fresh id, for a call that arrived at `time_ms`.
    pub fn new(time_ms: i64, source: EventSource, name: &str, request_id: &str, recipient_account: &str) -> Event {
        Event {
            time_ms,
            source,
            name: name.to_string(),
            region: String::new(),
            source_ip: None,
            user_agent: None,
            identity: Identity::Unknown { access_key_id: None },
            request_parameters: None,
            response_elements: None,
            error: None,
            request_id: request_id.to_string(),
            event_id: uuid::Uuid::new_v4().to_string(),
            read_only: false,
            resources: Vec::new(),
            management: true,
            recipient_account: recipient_account.to_string(),
        }
    }

    pub fn category(&self) -> &'static str {
        if self.management {
            "Management"
        } else {
            "Data"
        }
    }

    /// The record as CloudTrail writes it, as compact JSON (no newline:
    /// records are stored one per line).
    pub fn to_json(&self) -> Vec<u8> {
        let mut record = Map::new();
        record.insert("eventVersion".into(), EVENT_VERSION.into());
        record.insert("userIdentity".into(), self.identity.to_json());
        record.insert("eventTime".into(), iso8601(self.time_ms).into());
        record.insert("eventSource".into(), self.source.name().into());
        record.insert("eventName".into(), self.name.clone().into());
        record.insert("awsRegion".into(), self.region.clone().into());
        record.insert("sourceIPAddress".into(), self.source_ip.clone().into());
        record.insert("userAgent".into(), self.user_agent.clone().into());
        if let Some((code, message)) = &self.error {
            record.insert("errorCode".into(), code.clone().into());
            record.insert("errorMessage".into(), message.clone().into());
        }
        record.insert(
            "requestParameters".into(),
            self.request_parameters.clone().unwrap_or(Value::Null),
        );
        record.insert(
            "responseElements".into(),
            self.response_elements.clone().unwrap_or(Value::Null),
        );
        record.insert("requestID".into(), self.request_id.clone().into());
        record.insert("eventID".into(), self.event_id.clone().into());
        record.insert("readOnly".into(), self.read_only.into());
        if !self.resources.is_empty() {
            let resources = self
                .resources
                .iter()
                .map(|resource| {
                    json!({
                        "accountId": self.recipient_account,
                        "type": resource.kind,
                        "ARN": resource.arn,
                    })
                })
                .collect();
            record.insert("resources".into(), Value::Array(resources));
        }
        record.insert("eventType".into(), "AwsApiCall".into());
        record.insert("managementEvent".into(), self.management.into());
        record.insert("recipientAccountId".into(), self.recipient_account.clone().into());
        record.insert("eventCategory".into(), self.category().into());
        serde_json::to_vec(&Value::Object(record)).expect("JSON values serialise")
    }
}

/// `2026-12-01T18:40:16Z`, as CloudTrail writes times.
pub fn iso8601(time_ms: i64) -> String {
    halyard_iam::sigv4::Timestamp(time_ms.div_euclid(1000)).to_iso8601()
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// CloudTrail's `errorCode` for a wire error type
/// (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`):
/// the name after `#`; DynamoDB's access denials are logged as `AccessDenied`.
pub fn error_code(wire_type: &str) -> String {
    let name = wire_type.rsplit('#').next().unwrap_or(wire_type);
    match name {
        "AccessDeniedException" => "AccessDenied".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let mut event = Event::new(
            1_764_614_416_123,
            EventSource::DynamoDb,
            "PutItem",
            "REQ",
            "111122223333",
        );
        event.region = "us-east-1".into();
        event.source_ip = Some("127.0.0.1".into());
        event.identity = Identity::Root {
            account: "111122223333".into(),
            access_key_id: Some("AKIAROOT".into()),
        };
        event.management = false;
        event.resources.push(Resource {
            kind: TABLE_RESOURCE,
            arn: "arn:aws:dynamodb:us-east-1:111122223333:table/Music".into(),
            name: "Music".into(),
        });
        event
    }

    #[test]
    fn writes_cloudtrail_fields() {
        let record: Value = serde_json::from_slice(&event().to_json()).unwrap();
        assert_eq!(record["eventVersion"], EVENT_VERSION);
        assert_eq!(record["eventTime"], "2025-12-01T18:40:16Z");
        assert_eq!(record["eventSource"], "dynamodb.amazonaws.com");
        assert_eq!(record["eventCategory"], "Data");
        assert_eq!(record["managementEvent"], false);
        assert_eq!(record["responseElements"], Value::Null);
        assert_eq!(record["userIdentity"]["type"], "Root");
        assert_eq!(record["resources"][0]["type"], TABLE_RESOURCE);
        assert_eq!(record["resources"][0]["accountId"], "111122223333");
        assert!(record.get("errorCode").is_none());
        assert_eq!(record["eventID"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn failed_calls_carry_their_error() {
        let mut event = event();
        event.error = Some((
            error_code("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"),
            "The conditional request failed".into(),
        ));
        let record: Value = serde_json::from_slice(&event.to_json()).unwrap();
        assert_eq!(record["errorCode"], "ConditionalCheckFailedException");
        assert_eq!(record["errorMessage"], "The conditional request failed");
        assert_eq!(
            error_code("com.amazon.coral.service#AccessDeniedException"),
            "AccessDenied"
        );
    }

    #[test]
    fn records_are_one_line() {
        let mut event = event();
        event.error = Some(("X".into(), "line one\nline two".into()));
        assert!(!event.to_json().contains(&b'\n'));
    }
}
