//! Records of calls a service makes on its own authority: DynamoDB using a
//! table's KMS key (generating, re-wrapping or unwrapping the table's data
//! key), recorded as CloudTrail shows them, under `kms.amazonaws.com` and
//! invoked by `dynamodb.amazonaws.com`.

use serde_json::json;

use crate::record::{now_ms, Event, EventSource, Resource};
use crate::{AuditConfig, Identity};

const DYNAMODB: &str = "dynamodb.amazonaws.com";

/// DynamoDB's `operation` (Decrypt, GenerateDataKey, Encrypt) with the key
/// `key_arn` for the data key of `table`.
pub fn dynamodb_key_use(config: &AuditConfig, operation: &str, key_arn: &str, table: &str) -> Event {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut event = Event::new(now_ms(), EventSource::Kms, operation, &request_id, &config.account_id);
    event.region = config.region.clone();
    event.identity = Identity::AwsService {
        invoked_by: DYNAMODB.to_string(),
    };
    event.source_ip = Some(DYNAMODB.to_string());
    event.user_agent = Some(DYNAMODB.to_string());
    event.read_only = true;
    event.request_parameters = Some(json!({
        "keyId": key_arn,
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "encryptionContext": {
            "aws:dynamodb:tableName": table,
            "aws:dynamodb:subscriberId": config.account_id,
        },
    }));
    event.resources = vec![Resource {
        kind: "AWS::KMS::Key",
        arn: key_arn.to_string(),
        name: key_arn.rsplit('/').next().unwrap_or(key_arn).to_string(),
    }];
    event
}
