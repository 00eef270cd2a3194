use halyard_engine::{Engine, Error as EngineError};
use serde_json::{json, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::parse_job_arn;
use crate::transfer::records::{self, ImportRecord};

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let arn = request.string("ImportArn")?;
    violations.required(arn.as_ref(), "importArn");
    if let Some(arn) = arn {
        violations.length(arn, "importArn", 37, 1024);
    }
    violations.into_result()?;
    let arn = arn.expect("required checked");
    let (_, id) =
        parse_job_arn(arn, "import").ok_or_else(|| EngineError::validation(format!("Invalid Import ARN: {arn}")))?;
    access::authorize(authorizer, &[access::arn_check("dynamodb:DescribeImport", arn)])?;
    let record = records::read::<ImportRecord>(engine, records::IMPORT, id)?
        .filter(|record| record.arn == arn)
        .ok_or_else(|| EngineError::ImportNotFound(format!("Import not found: {arn}")))?;
    Ok(json!({ "ImportTableDescription": records::import_description(&record) }))
}
