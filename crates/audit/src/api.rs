//! The CloudTrail API on Halyard's endpoint (JSON 1.1,
//! `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>`):
//! LookupEvents over the index, and the one trail's event selectors.

use std::sync::Arc;

use halyard_storage::Visit;
use serde_json::{json, Value};

use crate::error::CloudTrailError;
use crate::index::{self, Attribute, Category, Position, Search};
use crate::record::now_ms;
use crate::selectors::{Selectors, TRAIL_NAME};
use crate::store::{self, Writes};
use crate::Audit;

/// The `X-Amz-Target` prefix of CloudTrail operations.
pub const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

const MAX_RESULTS: u64 = 50;
const MAX_ATTRIBUTE_VALUE: usize = 2000;

/// The resource an operation acts on, for authorisation.
pub fn resource(audit: &Audit, operation: &str) -> String {
    match operation {
        "LookupEvents" => "*".to_string(),
        _ => audit.trail_arn(),
    }
}

/// Whether the operation only reads.
pub fn read_only(operation: &str) -> bool {
    crate::parameters::is_read_only(operation)
}

/// Runs one CloudTrail operation on an already authorised request.
pub async fn handle(audit: &Arc<Audit>, operation: &str, body: &[u8]) -> Result<Value, CloudTrailError> {
    let request: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| CloudTrailError::Serialization(e.to_string()))?
    };
    if !request.is_object() {
        return Err(CloudTrailError::Serialization(
            "Request body must be a JSON object".into(),
        ));
    }
    match operation {
        "LookupEvents" => {
            let audit = audit.clone();
            tokio::task::spawn_blocking(move || lookup_events(&audit, &request))
                .await
                .map_err(|e| CloudTrailError::Internal(e.to_string()))?
        }
        "GetEventSelectors" => {
            check_trail(audit, request.get("TrailName"))?;
            Ok(json!({
                "TrailARN": audit.trail_arn(),
                "AdvancedEventSelectors": audit.selectors().advanced(),
            }))
        }
        "PutEventSelectors" => put_event_selectors(audit, &request).await,
        other => Err(CloudTrailError::UnknownOperation(format!(
            "Operation {other} is not supported by this endpoint"
        ))),
    }
}

fn check_trail(audit: &Audit, name: Option<&Value>) -> Result<(), CloudTrailError> {
    let Some(name) = name.and_then(Value::as_str) else {
        return Err(CloudTrailError::InvalidTrailName("Trail name cannot be empty.".into()));
    };
    if name == TRAIL_NAME || name == audit.trail_arn() {
        Ok(())
    } else {
        Err(CloudTrailError::TrailNotFound(format!(
            "{name} for the user: {}",
            audit.config.account_id
        )))
    }
}

async fn put_event_selectors(audit: &Audit, request: &Value) -> Result<Value, CloudTrailError> {
    check_trail(audit, request.get("TrailName"))?;
    if request.get("EventSelectors").is_some() {
        return Err(CloudTrailError::InvalidEventSelectors(
            "This trail takes AdvancedEventSelectors only.".into(),
        ));
    }
    let advanced = request
        .get("AdvancedEventSelectors")
        .ok_or_else(|| CloudTrailError::InvalidEventSelectors("AdvancedEventSelectors is required.".into()))?;
    let selectors = Selectors::parse(advanced)?;
    let mut writes = Writes::default();
    writes.put(
        store::KEYSPACE,
        store::SELECTORS_KEY.to_vec(),
        serde_json::to_vec(advanced).expect("JSON values serialise"),
    );
    audit
        .writer
        .submit(Arc::new(writes))
        .await
        .map_err(|e| CloudTrailError::Internal(e.to_string()))?;
    *audit.selectors.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(selectors);
    Ok(json!({
        "TrailARN": audit.trail_arn(),
        "AdvancedEventSelectors": advanced,
    }))
}

/// An epoch-seconds time (JSON 1.1 sends timestamps as numbers).
fn time_field(request: &Value, name: &str) -> Result<Option<u64>, CloudTrailError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .filter(|seconds| *seconds >= 0.0)
            .map(|seconds| Some(seconds as u64))
            .ok_or_else(|| CloudTrailError::Serialization(format!("{name} must be a timestamp"))),
    }
}

fn lookup_events(audit: &Audit, request: &Value) -> Result<Value, CloudTrailError> {
    let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let attribute = match request.get("LookupAttributes") {
        None | Some(Value::Null) => None,
        Some(Value::Array(attributes)) if attributes.is_empty() => None,
        Some(Value::Array(attributes)) if attributes.len() > 1 => {
            return Err(CloudTrailError::InvalidLookupAttributes(
                "You cannot specify more than one lookup attribute.".into(),
            ))
        }
        Some(Value::Array(attributes)) => {
            let key = attributes[0]
                .get("AttributeKey")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = attributes[0]
                .get("AttributeValue")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let attribute = Attribute::parse(key)
                .filter(|a| *a != Attribute::EventCategory)
                .ok_or_else(|| CloudTrailError::InvalidLookupAttributes(format!("Invalid attribute key: {key}")))?;
            if value.is_empty() || value.len() > MAX_ATTRIBUTE_VALUE {
                return Err(CloudTrailError::InvalidLookupAttributes(
                    "The attribute value must be between 1 and 2000 characters.".into(),
                ));
            }
            Some((attribute, value.to_string()))
        }
        Some(_) => return Err(CloudTrailError::Serialization("LookupAttributes must be a list".into())),
    };
    let end = time_field(request, "EndTime")?.unwrap_or(now);
    let start = time_field(request, "StartTime")?.unwrap_or(0);
    if start > end {
        return Err(CloudTrailError::InvalidTimeRange(
            "Start time should not be after end time.".into(),
        ));
    }
    let max_results = match request.get("MaxResults") {
        None | Some(Value::Null) => MAX_RESULTS,
        Some(value) => match value.as_u64() {
            Some(n) if (1..=MAX_RESULTS).contains(&n) => n,
            _ => {
                return Err(CloudTrailError::InvalidMaxResults(
                    "MaxResults must be between 1 and 50.".into(),
                ))
            }
        },
    };
    // Insights are not kept: a lookup of them finds nothing.
    if let Some(category) = request.get("EventCategory") {
        if category.as_str() != Some("insight") {
            return Err(CloudTrailError::InvalidEventCategory(
                "The event category is not valid.".into(),
            ));
        }
        return Ok(json!({"Events": []}));
    }
    // The token names where the page ended and the query it belongs to.
    let fingerprint = &crate::digest::sha256_hex(format!("{attribute:?}|{start}|{end}").as_bytes())[..16];
    let after = match request.get("NextToken").and_then(Value::as_str) {
        None => None,
        Some(token) => {
            let position = token
                .split_once('.')
                .filter(|(_, query)| *query == fingerprint)
                .and_then(|(position, _)| Position::from_token(position))
                .ok_or_else(|| CloudTrailError::InvalidNextToken("Invalid NextToken.".into()))?;
            Some(position)
        }
    };
    let search = Search {
        category: Category::Management,
        attribute: attribute.as_ref().map(|(a, v)| (*a, v.as_str())),
        start,
        end,
        after,
    };
    let mut events = Vec::new();
    let mut last = None;
    let mut more = false;
    let snapshot = audit
        .storage
        .snapshot()
        .map_err(|e| CloudTrailError::Internal(e.to_string()))?;
    index::search(&*snapshot, &search, &mut |position, record| {
        if events.len() as u64 == max_results {
            more = true;
            return Visit::Stop;
        }
        events.push(lookup_event(&record));
        last = Some(position);
        Visit::Continue
    })
    .map_err(|e| CloudTrailError::Internal(e.to_string()))?;
    let mut answer = json!({"Events": events});
    if let (true, Some(last)) = (more, last) {
        answer["NextToken"] = format!("{}.{fingerprint}", last.to_token()).into();
    }
    Ok(answer)
}

/// One LookupEvents result: the record's summary and the record itself.
fn lookup_event(record: &Value) -> Value {
    let text = |name: &str| record.get(name).cloned().unwrap_or(Value::Null);
    let resources: Vec<Value> = record
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|resource| {
            let arn = resource.get("ARN").and_then(Value::as_str).unwrap_or_default();
            json!({
                "ResourceType": resource.get("type"),
                "ResourceName": crate::parameters::table_of_arn(arn).unwrap_or(arn),
            })
        })
        .collect();
    let mut event = json!({
        "EventId": text("eventID"),
        "EventName": text("eventName"),
        "ReadOnly": record.get("readOnly").and_then(Value::as_bool).unwrap_or(false).to_string(),
        "EventTime": index::event_time(record),
        "EventSource": text("eventSource"),
        "Resources": resources,
        "CloudTrailEvent": record.to_string(),
    });
    let identity = record.get("userIdentity");
    if let Some(key) = identity.and_then(|i| i.get("accessKeyId")) {
        event["AccessKeyId"] = key.clone();
    }
    if let Some(user) = index::username(identity) {
        event["Username"] = user.into();
    }
    event
}
