//! The AWS query protocol that IAM and STS speak: a form-encoded POST
//! (`Action=CreateUser&Version=2010-05-08&UserName=alice`) answered with
//! XML, errors included, as `aws iam`, `aws sts`, boto3 and the JS SDK
//! parse them.

mod request;
mod xml;

pub use request::{lower_first, missing, QueryRequest};
pub use xml::XmlWriter;

use crate::directory::IamError;

/// The query-protocol services served on Halyard's endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryService {
    Iam,
    Sts,
}

impl QueryService {
    /// The credential scope's service name that routes to it.
    pub fn from_signing_name(name: &str) -> Option<QueryService> {
        match name {
            "iam" => Some(QueryService::Iam),
            "sts" => Some(QueryService::Sts),
            _ => None,
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            QueryService::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            QueryService::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    /// The API version requests must name.
    pub fn version(self) -> &'static str {
        match self {
            QueryService::Iam => "2010-05-08",
            QueryService::Sts => "2011-06-15",
        }
    }
}

/// An answer: HTTP status and XML body (`text/xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryResponse {
    pub status: u16,
    pub body: String,
}

/// `<ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>`,
/// with the result's members written by `result`.
pub fn success(
    service: QueryService,
    action: &str,
    request_id: &str,
    result: impl FnOnce(&mut XmlWriter),
) -> QueryResponse {
    let mut xml = XmlWriter::new();
    xml.open_with_namespace(&format!("{action}Response"), service.namespace());
    xml.open(&format!("{action}Result"));
    result(&mut xml);
    xml.close();
    xml.open("ResponseMetadata");
    xml.element("RequestId", request_id);
    xml.close();
    xml.close();
    QueryResponse {
        status: 200,
        body: xml.finish(),
    }
}

/// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
pub fn failure(service: QueryService, error: &IamError, request_id: &str) -> QueryResponse {
    error_response(
        service,
        error.fault(),
        error.code(),
        error.status(),
        &error.to_string(),
        request_id,
    )
}

/// An error the caller, not the service, is at fault for, with a code of
/// its own (the authentication errors: `SignatureDoesNotMatch`...).
pub fn failure_with_code(
    service: QueryService,
    code: &str,
    status: u16,
    message: &str,
    request_id: &str,
) -> QueryResponse {
    error_response(service, "Sender", code, status, message, request_id)
}

fn error_response(
    service: QueryService,
    fault: &str,
    code: &str,
    status: u16,
    message: &str,
    request_id: &str,
) -> QueryResponse {
    let mut xml = XmlWriter::new();
    xml.open_with_namespace("ErrorResponse", service.namespace());
    xml.open("Error");
    xml.element("Type", fault);
    xml.element("Code", code);
    xml.element("Message", message);
    xml.close();
    xml.element("RequestId", request_id);
    xml.close();
    QueryResponse {
        status,
        body: xml.finish(),
    }
}
