use halyard_engine::{Engine, Error as EngineError};
use serde_json::{json, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::parse_job_arn;
use crate::transfer::records::{self, ExportRecord};

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let arn = request.string("ExportArn")?;
    violations.required(arn.as_ref(), "exportArn");
    if let Some(arn) = arn {
        violations.length(arn, "exportArn", 37, 1024);
    }
    violations.into_result()?;
    let arn = arn.expect("required checked");
    let (_, id) =
        parse_job_arn(arn, "export").ok_or_else(|| EngineError::validation(format!("Invalid Export ARN: {arn}")))?;
    access::authorize(authorizer, &[access::arn_check("dynamodb:DescribeExport", arn)])?;
    let record = records::read::<ExportRecord>(engine, records::EXPORT, id)?
        .filter(|record| record.arn == arn)
        .ok_or_else(|| EngineError::ExportNotFound(format!("Export not found: {arn}")))?;
    Ok(json!({ "ExportDescription": records::export_description(&record) }))
}
