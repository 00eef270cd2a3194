//! ContinuousBackupsDescription in wire form.

use halyard_engine::PointInTimeRecoveryDescription;
use serde_json::{json, Value};

pub(crate) fn to_json(pitr: Option<&PointInTimeRecoveryDescription>) -> Value {
    let pitr = match pitr {
        None => json!({ "PointInTimeRecoveryStatus": "DISABLED" }),
        Some(pitr) => {
            let mut description = json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": pitr.recovery_period_days,
            });
            if let Some((earliest, latest)) = pitr.window {
                description["EarliestRestorableDateTime"] = json!(earliest);
                description["LatestRestorableDateTime"] = json!(latest);
            }
            description
        }
    };
    json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": pitr,
        }
    })
}
