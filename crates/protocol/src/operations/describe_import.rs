use halyard_engine::Engine;
use serde_json::{json, Value};

use crate::access::Authorizer;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::described;
use crate::transfer::records::{self, ImportRecord};

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let record: ImportRecord = described(engine, authorizer, request)?;
    Ok(json!({ "ImportTableDescription": records::import_description(&record) }))
}
