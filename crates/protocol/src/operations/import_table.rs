use halyard_engine::model::IndexKind;
use halyard_engine::{CreateTableInput, Engine, Error as EngineError};
use serde_json::{json, Value};

use super::create_table::{attribute_definitions, indexes, key_schema, provisioned_throughput, BILLING_MODES};
use super::export_table_to_point_in_time::{check_bucket, check_client_token, check_owner, halyard_now};
use super::{authorize_table, throughput};
use crate::access::Authorizer;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};
use crate::transfer::records::{self, BucketSource, CsvOptions, ImportRecord, JobStatus};
use crate::transfer::{import_job, new_id};

const INPUT_FORMATS: &[(&str, &str)] = &[("DYNAMODB_JSON", "DYNAMODB_JSON"), ("ION", "ION"), ("CSV", "CSV")];
const COMPRESSIONS: &[(&str, &str)] = &[("GZIP", "GZIP"), ("ZSTD", "ZSTD"), ("NONE", "NONE")];
const CSV_DELIMITERS: &str = ",;:|\t ";

/// ImportTable: creates the table (CREATING, written only by the import)
/// and starts the import's job.
pub(super) async fn handle(
    engine: &std::sync::Arc<Engine>,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let token = request.string("ClientToken")?;
    check_client_token(token, &mut violations);
    let source = request.object("S3BucketSource")?;
    violations.required(source.as_ref(), "s3BucketSource");
    let (bucket, owner, key_prefix) = match source {
        Some(source) => {
            let bucket = source.string("S3Bucket")?;
            violations.required(bucket.as_ref(), "s3BucketSource.s3Bucket");
            if let Some(bucket) = bucket {
                check_bucket(bucket, "s3BucketSource.s3Bucket", &mut violations);
            }
            let owner = source.string("S3BucketOwner")?;
            check_owner(owner, "s3BucketSource.s3BucketOwner", &mut violations);
            let prefix = source.string("S3KeyPrefix")?;
            if let Some(prefix) = prefix {
                violations.length(prefix, "s3BucketSource.s3KeyPrefix", 0, 1024);
            }
            (bucket, owner, prefix)
        }
        None => (None, None, None),
    };
    let format_given = request.string("InputFormat")?;
    violations.required(format_given.as_ref(), "inputFormat");
    let format = violations.one_of(format_given, "inputFormat", INPUT_FORMATS);
    let compression = violations.one_of(
        request.string("InputCompressionType")?,
        "inputCompressionType",
        COMPRESSIONS,
    );
    let csv = match request
        .object("InputFormatOptions")?
        .map(|o| o.object("Csv"))
        .transpose()?
        .flatten()
    {
        Some(csv) => {
            let delimiter = csv.string("Delimiter")?;
            if let Some(delimiter) = delimiter {
                let valid = delimiter.chars().count() == 1 && CSV_DELIMITERS.contains(delimiter);
                if !valid {
                    violations.add(
                        Some(delimiter),
                        "inputFormatOptions.csv.delimiter",
                        "satisfy regular expression pattern: [,;:|\\t ]",
                    );
                }
            }
            let header_list = csv.string_list("HeaderList")?;
            if let Some(list) = &header_list {
                if list.is_empty() || list.len() > 255 {
                    violations.add(
                        Some(&json!(list).to_string()),
                        "inputFormatOptions.csv.headerList",
                        "have length between 1 and 255",
                    );
                }
                // A header is printable ASCII without `"` or `,`, 1 to 65536 long.
                let valid_header = |header: &String| {
                    (1..=65536).contains(&header.len())
                        && header
                            .bytes()
                            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b',')
                };
                if !list.iter().all(valid_header) {
                    violations.add(
                        Some(&json!(list).to_string()),
                        "inputFormatOptions.csv.headerList",
                        "satisfy constraint: [Member must have length less than or equal to 65536, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\\x20-\\x21\\x23-\\x2B\\x2D-\\x7E]*]",
                    );
                }
            }
            Some(CsvOptions {
                delimiter: delimiter.map(str::to_string),
                header_list,
            })
        }
        None => None,
    };
    let parameters = request.object("TableCreationParameters")?;
    violations.required(parameters.as_ref(), "tableCreationParameters");
    let parsed = parameters
        .map(|parameters| table_creation_parameters(parameters, &mut violations))
        .transpose()?;
    violations.into_result()?;
    let invalid = |message: &str| -> ProtocolError { EngineError::validation(message).into() };
    let format = format.expect("required checked");
    if csv.is_some() && format != "CSV" {
        return Err(invalid(
            "InputFormatOptions can only be specified with the CSV InputFormat",
        ));
    }
    let compression = compression.unwrap_or("NONE");
    let mut input = parsed.expect("required checked");
    let table_name = input.table_name.clone();
    authorize_table(engine, authorizer, "dynamodb:ImportTable", &table_name)?;
    let token = token.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    let earlier = records::all::<ImportRecord>(engine, records::IMPORT)?
        .into_iter()
        .find(|earlier| earlier.client_token == token && earlier.status == JobStatus::InProgress);
    if let Some(earlier) = earlier {
        // DynamoDB compares only the table of a repeated request.
        if earlier.table_name == table_name {
            return Ok(json!({ "ImportTableDescription": records::import_description(&earlier) }));
        }
        return Err(
            EngineError::ImportConflict("Duplicate request detected with conflicting parameters".into()).into(),
        );
    }
    input.importing = true;
    let description = engine.create_table(input).await?;
    let now = halyard_now();
    let id = new_id(now);
    let definition = &description.definition;
    let record = ImportRecord {
        arn: format!("{}/import/{id}", definition.arn),
        id,
        status: JobStatus::InProgress,
        start_time: now,
        end_time: None,
        table_name: definition.name.clone(),
        table_arn: definition.arn.clone(),
        table_id: definition.id.clone(),
        client_token: token,
        source: BucketSource {
            bucket: bucket.expect("required checked").to_string(),
            owner: owner.map(str::to_string),
            key_prefix: key_prefix.map(str::to_string),
        },
        input_format: format.to_string(),
        csv,
        compression: compression.to_string(),
        table_creation_parameters: request.get("TableCreationParameters").cloned().unwrap_or_default(),
        processed_size_bytes: None,
        processed_item_count: 0,
        imported_item_count: 0,
        error_count: 0,
        errors: Vec::new(),
        failure_code: None,
        failure_message: None,
    };
    if let Err(error) = records::save_import_async(engine, &record).await {
        // Without its record the import cannot run: its table goes too.
        let (engine, name, table_id) = (engine.clone(), record.table_name.clone(), record.table_id.clone());
        std::thread::spawn(move || engine.drop_import_table(&name, &table_id));
        return Err(error.into());
    }
    import_job::spawn(engine.clone(), record.clone());
    Ok(json!({ "ImportTableDescription": records::import_description(&record) }))
}

/// TableCreationParameters: the table ImportTable creates (no local
/// indexes, as in DynamoDB).
fn table_creation_parameters(
    parameters: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<CreateTableInput, ProtocolError> {
    let path = "tableCreationParameters";
    let name = parameters.string("TableName")?;
    violations.table_name(name, &format!("{path}.tableName"));
    let attribute_definitions = attribute_definitions(parameters, violations)?;
    violations.required(attribute_definitions.as_ref(), &format!("{path}.attributeDefinitions"));
    let key_schema = key_schema(parameters, &format!("{path}.keySchema"), 2, violations)?;
    let billing_mode = violations.one_of(
        parameters.string("BillingMode")?,
        &format!("{path}.billingMode"),
        BILLING_MODES,
    );
    let provisioned_throughput = provisioned_throughput(parameters, &format!("{path}."), violations)?;
    let global_secondary_indexes = indexes(
        parameters,
        "GlobalSecondaryIndexes",
        &format!("{path}.globalSecondaryIndexes"),
        IndexKind::Global,
        violations,
    )?;
    let global_entries = parameters.list("GlobalSecondaryIndexes")?.into_iter().flatten();
    let global_entries = global_entries.map(as_object).collect::<Result<Vec<_>, _>>()?;
    let throughput_settings = throughput::settings(parameters, global_entries, violations)?;
    Ok(CreateTableInput {
        table_name: name.unwrap_or_default().to_string(),
        key_schema,
        attribute_definitions: attribute_definitions.unwrap_or_default(),
        billing_mode,
        provisioned_throughput,
        global_secondary_indexes,
        throughput_settings,
        ..Default::default()
    })
}
