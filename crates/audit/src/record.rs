//! One CloudTrail record (an "event"): what the server knows of a call,
//! in the JSON CloudTrail writes.

use serde_json::Value;

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
    /// records are stored one per line), written straight into bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        let mut record = JsonObject::new(&mut out);
        record.str("eventVersion", EVENT_VERSION);
        self.identity.write_json(record.object("userIdentity"));
        record.str("eventTime", &iso8601(self.time_ms));
        record.str("eventSource", self.source.name());
        record.str("eventName", &self.name);
        record.str("awsRegion", &self.region);
        record.optional_str("sourceIPAddress", self.source_ip.as_deref());
        record.optional_str("userAgent", self.user_agent.as_deref());
        if let Some((code, message)) = &self.error {
            record.str("errorCode", code);
            record.str("errorMessage", message);
        }
        record.value("requestParameters", self.request_parameters.as_ref());
        record.value("responseElements", self.response_elements.as_ref());
        record.str("requestID", &self.request_id);
        record.str("eventID", &self.event_id);
        record.bool("readOnly", self.read_only);
        if !self.resources.is_empty() {
            let out = record.field("resources");
            out.push(b'[');
            for (at, resource) in self.resources.iter().enumerate() {
                if at > 0 {
                    out.push(b',');
                }
                let mut entry = JsonObject::new(out);
                entry.str("accountId", &self.recipient_account);
                entry.str("type", resource.kind);
                entry.str("ARN", &resource.arn);
                entry.end();
            }
            out.push(b']');
        }
        record.str("eventType", "AwsApiCall");
        record.bool("managementEvent", self.management);
        record.str("recipientAccountId", &self.recipient_account);
        record.str("eventCategory", self.category());
        record.end();
        out
    }
}

/// A JSON object written field by field into bytes: records are written
/// once per call, so without building a `Value` tree first. Field names
/// are the code's own literals (nothing to escape); values are escaped.
pub(crate) struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> JsonObject<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> JsonObject<'a> {
        out.push(b'{');
        JsonObject { out, empty: true }
    }

    /// Starts field `name`; its value is written into what is returned.
    pub fn field(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub fn str(&mut self, name: &str, value: &str) {
        let out = self.field(name);
        serde_json::to_writer(out, value).expect("writing to memory cannot fail");
    }

    pub fn optional_str(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(value) => self.str(name, value),
            None => self.field(name).extend_from_slice(b"null"),
        }
    }

    pub fn bool(&mut self, name: &str, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.field(name).extend_from_slice(text);
    }

    pub fn value(&mut self, name: &str, value: Option<&Value>) {
        let out = self.field(name);
        match value {
            Some(value) => serde_json::to_writer(out, value).expect("writing to memory cannot fail"),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// A nested object as field `name`: end it before writing on here.
    pub fn object(&mut self, name: &str) -> JsonObject<'_> {
        JsonObject::new(self.field(name))
    }

    pub fn end(self) {
        self.out.push(b'}');
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
