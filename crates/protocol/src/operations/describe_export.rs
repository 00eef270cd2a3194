use halyard_engine::Engine;
use serde_json::{json, Value};

use crate::access::Authorizer;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::described;
use crate::transfer::records::{self, ExportRecord};

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let record: ExportRecord = described(engine, authorizer, request)?;
    Ok(json!({ "ExportDescription": records::export_description(&record) }))
}
