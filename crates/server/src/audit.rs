//! The last step of every request's pipeline: its audit record. A [`Call`]
//! is started as the request arrives and learns what each step finds
//! (the operation, the caller, the parameters); a successful mutation's
//! record rides the write ([`Call::run`]), every other one is buffered when
//! the call ends ([`Call::finish`]).

use std::future::Future;
use std::sync::Arc;

use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use halyard_audit::parameters::{self, Described};
use halyard_audit::record::{self, Event, EventSource, Resource, STREAM_RESOURCE, TABLE_RESOURCE};
use halyard_audit::store::RecordAttachment;
use halyard_audit::{Audit, DataEvent, Identity};
use halyard_engine::Engine;
use halyard_storage::SystemCommand;

use crate::connection_info::ConnectionInfo;
use crate::security::Authenticated;

/// One request's audit record in the making.
pub(crate) struct Call {
    audit: Arc<Audit>,
    event: Event,
    /// A data event the trail's selectors leave out: nothing is recorded.
    skipped: bool,
    attachment: Option<Arc<RecordAttachment>>,
}

impl Call {
    /// Starts the record of a request that has just arrived.
    pub fn start(audit: &Arc<Audit>, parts: &Parts, request_id: &str, source: EventSource) -> Call {
        let config = audit.config();
        let mut event = Event::new(record::now_ms(), source, "Unknown", request_id, &config.account_id);
        event.region = config.region.clone();
        event.source_ip = parts
            .extensions
            .get::<ConnectionInfo>()
            .map(|connection| connection.peer.ip().to_string());
        event.user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .map(str::to_string);
        // Until authenticated: the key the request claims to be signed with.
        event.identity = Identity::Unknown {
            access_key_id: presented_access_key(parts),
        };
        Call {
            audit: audit.clone(),
            event,
            skipped: false,
            attachment: None,
        }
    }

    pub fn named(&mut self, source: EventSource, name: &str) {
        self.event.source = source;
        self.event.name = name.to_string();
        self.event.read_only = parameters::is_read_only(name);
    }

    pub fn authenticated(&mut self, authenticated: &Authenticated, directory: &halyard_iam::directory::Directory) {
        self.event.identity = Identity::of(&authenticated.caller.grants, &authenticated.access_key_id, directory);
        if let Some(source) = EventSource::from_signing_name(&authenticated.service) {
            self.event.source = source;
        }
    }

    /// A console call's caller: its session's key and grants.
    pub fn acting_as(
        &mut self,
        caller: &halyard_iam::access::Caller,
        access_key_id: &str,
        directory: &halyard_iam::directory::Directory,
    ) {
        self.event.identity = Identity::of(&caller.grants, access_key_id, directory);
    }

    /// A DynamoDB or Streams call's parameters and resources, and whether
    /// the trail records it (data events follow the event selectors).
    pub fn describe_dynamodb(&mut self, engine: &Engine, operation: &str, body: &[u8]) {
        let described = parameters::dynamodb(operation, body, &|table| engine.key_attribute_names(table));
        let arns: Vec<String> = described.tables.iter().map(|table| table_arn(engine, table)).collect();
        if !described.management {
            let data = DataEvent {
                name: operation,
                read_only: described.read_only,
                table_arns: &arns,
                stream: described.stream_arn.is_some(),
            };
            self.skipped = !self.audit.records_data_event(&data);
        }
        for (table, arn) in described.tables.iter().zip(&arns) {
            let name = parameters::table_of_arn(table).unwrap_or(table).to_string();
            self.event.resources.push(Resource {
                kind: TABLE_RESOURCE,
                arn: arn.clone(),
                name,
            });
        }
        if let Some(stream) = &described.stream_arn {
            self.event.resources.push(Resource {
                kind: STREAM_RESOURCE,
                arn: stream.clone(),
                name: stream.clone(),
            });
        }
        self.describe(described);
    }

    pub fn describe(&mut self, described: Described) {
        self.event.request_parameters = described.parameters;
        self.event.read_only = described.read_only;
        self.event.management = described.management;
    }

    /// Runs the execute step; a mutation's record is attached to its write.
    pub async fn run<F: Future>(&mut self, execute: F) -> F::Output {
        if self.skipped || self.event.read_only {
            return execute.await;
        }
        let attachment = self.audit.attach(&self.event);
        self.attachment = Some(attachment.clone());
        let attachment: Arc<dyn SystemCommand> = attachment;
        halyard_engine::with_audit(attachment, execute).await
    }

    /// Ends the call: `error` is CloudTrail's errorCode and errorMessage
    /// for a failed or denied call. A record already committed with its
    /// write is not written again.
    pub fn finish(mut self, error: Option<(String, String)>) {
        if self.skipped {
            return;
        }
        if error.is_none() && self.attachment.as_ref().is_some_and(|a| a.is_committed()) {
            return;
        }
        self.event.error = error;
        self.audit.record(&self.event);
    }
}

/// The access key id of a SigV4 `Authorization` header (or presigned
/// query), unverified.
fn presented_access_key(parts: &Parts) -> Option<String> {
    let credential = match parts.headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok()) {
        Some(header) => header.split("Credential=").nth(1)?.to_string(),
        None => parts.uri.query()?.split("X-Amz-Credential=").nth(1)?.to_string(),
    };
    let key = credential.split(['/', '%', ',', ' ', '&']).next()?;
    (!key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| key.to_string())
}

/// A table's ARN, whether the request named it by name or by ARN.
fn table_arn(engine: &Engine, table: &str) -> String {
    if halyard_engine::is_arn(table) {
        return table.to_string();
    }
    format!(
        "arn:aws:dynamodb:{}:{}:table/{table}",
        engine.region(),
        engine.account_id()
    )
}

/// CloudTrail's errorCode and errorMessage of an IAM or STS XML error.
pub(crate) fn query_error(status: u16, body: &str) -> Option<(String, String)> {
    if status < 300 {
        return None;
    }
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].to_string())
    };
    Some((
        element("Code").unwrap_or_else(|| "Unknown".into()),
        element("Message").unwrap_or_default(),
    ))
}

/// The errorCode and errorMessage of a DynamoDB wire error body.
pub(crate) fn wire_error(body: &serde_json::Value) -> Option<(String, String)> {
    let code = body.get("__type").and_then(|t| t.as_str()).unwrap_or("InternalFailure");
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    Some((record::error_code(code), message.to_string()))
}
