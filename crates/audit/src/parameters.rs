//! `requestParameters` and what kind of event a call is, from the request
//! as sent. Only names are kept: table and index names, key attribute
//! names, settings — never attribute values, expression values, policy
//! documents, tags' values or secrets. Parameters are copied from an allow
//! list, so a field added to an API later is left out until it is judged.

use serde_json::{Map, Value};

/// What stands for a key attribute's value.
pub const HIDDEN: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// DynamoDB request fields copied as they are (they hold names and
/// settings only).
const DYNAMODB_FIELDS: &[&str] = &[
    "TableName",
    "IndexName",
    "Select",
    "Limit",
    "ConsistentRead",
    "ScanIndexForward",
    "Segment",
    "TotalSegments",
    "ReturnValues",
    "ReturnConsumedCapacity",
    "ReturnItemCollectionMetrics",
    "ReturnValuesOnConditionCheckFailure",
    "BillingMode",
    "KeySchema",
    "AttributeDefinitions",
    "ProvisionedThroughput",
    "StreamSpecification",
    "TableClass",
    "DeletionProtectionEnabled",
    "TimeToLiveSpecification",
    "StreamArn",
    "ShardId",
    "ShardIteratorType",
    "ResourceArn",
    "TagKeys",
    "ExclusiveStartTableName",
    "ExclusiveStartStreamArn",
];

/// Query-protocol (IAM, STS) parameters copied as they are.
const QUERY_FIELDS: &[&str] = &[
    "UserName",
    "GroupName",
    "RoleName",
    "RoleArn",
    "RoleSessionName",
    "PolicyArn",
    "PolicyName",
    "Path",
    "PathPrefix",
    "AccessKeyId",
    "Status",
    "DurationSeconds",
    "Description",
    "MaxSessionDuration",
    "Marker",
    "MaxItems",
];

/// What a call is, for its record and for the event selectors.
#[derive(Debug, Default)]
pub struct Described {
    pub parameters: Option<Value>,
    /// Tables named (by name or ARN), in request order.
    pub tables: Vec<String>,
    /// The table named by a stream ARN, for a Streams call.
    pub stream_arn: Option<String>,
    pub read_only: bool,
    pub management: bool,
}

/// DynamoDB's item-level calls, logged as data events.
pub fn is_dynamodb_data_event(operation: &str) -> bool {
    matches!(
        operation,
        "GetItem"
            | "PutItem"
            | "UpdateItem"
            | "DeleteItem"
            | "BatchGetItem"
            | "BatchWriteItem"
            | "Query"
            | "Scan"
            | "TransactGetItems"
            | "TransactWriteItems"
            | "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction"
            | "GetRecords"
            | "GetShardIterator"
    )
}

/// Whether a call only reads, by its name.
pub fn is_read_only(operation: &str) -> bool {
    ["Get", "List", "Describe", "Lookup", "BatchGet", "TransactGet"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
        || matches!(operation, "Query" | "Scan")
}

/// Describes a DynamoDB or Streams call from its JSON body; `key_names`
/// gives a table's key attribute names (for PutItem, whose item holds
/// more than its key).
pub fn dynamodb(operation: &str, body: &[u8], key_names: &dyn Fn(&str) -> Option<Vec<String>>) -> Described {
    let mut described = Described {
        read_only: is_read_only(operation),
        management: !is_dynamodb_data_event(operation),
        ..Described::default()
    };
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return described;
    };
    let mut parameters = Map::new();
    for field in DYNAMODB_FIELDS {
        if let Some(value) = request.get(*field) {
            parameters.insert(camel(field), camel_keys(value));
        }
    }
    if let Some(Value::String(table)) = request.get("TableName") {
        described.tables.push(table.clone());
    }
    if let Some(key) = request.get("Key") {
        parameters.insert("key".into(), hidden_key(key));
    }
    if let (Some(Value::Object(item)), Some(Value::String(table))) = (request.get("Item"), request.get("TableName")) {
        if let Some(names) = key_names(table) {
            let key = names
                .into_iter()
                .filter(|name| item.contains_key(name))
                .map(|name| (name, Value::from(HIDDEN)))
                .collect();
            parameters.insert("key".into(), Value::Object(key));
        }
    }
    if let Some(Value::Object(items)) = request.get("RequestItems") {
        let mut request_items = Vec::new();
        for (table, requests) in items {
            described.tables.push(table.clone());
            let count = match requests {
                Value::Array(requests) => requests.len(),
                Value::Object(get) => get.get("Keys").and_then(Value::as_array).map_or(0, Vec::len),
                _ => 0,
            };
            request_items.push(serde_json::json!({"tableName": table, "itemCount": count}));
        }
        parameters.insert("requestItems".into(), Value::Array(request_items));
    }
    if let Some(Value::Array(items)) = request.get("TransactItems") {
        let mut transact_items = Vec::new();
        for item in items.iter().filter_map(Value::as_object) {
            for (action, detail) in item {
                let table = detail.get("TableName").and_then(Value::as_str).unwrap_or_default();
                if !table.is_empty() && !described.tables.iter().any(|t| t == table) {
                    described.tables.push(table.to_string());
                }
                let mut entry = Map::new();
                entry.insert("operation".into(), action.clone().into());
                entry.insert("tableName".into(), table.into());
                if let Some(key) = detail.get("Key") {
                    entry.insert("key".into(), hidden_key(key));
                }
                transact_items.push(Value::Object(entry));
            }
        }
        parameters.insert("transactItems".into(), Value::Array(transact_items));
    }
    for field in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
        if let Some(Value::Array(indexes)) = request.get(field) {
            let names = indexes
                .iter()
                .filter_map(|index| index.get("IndexName").cloned())
                .map(|name| serde_json::json!({"indexName": name}))
                .collect();
            parameters.insert(camel(field), Value::Array(names));
        }
    }
    if let Some(Value::String(arn)) = request.get("StreamArn").or_else(|| request.get("ResourceArn")) {
        if let Some(table) = table_of_arn(arn) {
            if !described.tables.iter().any(|t| t == table) {
                described.tables.push(table.to_string());
            }
        }
        if arn.contains("/stream/") {
            described.stream_arn = Some(arn.clone());
        }
    }
    described.parameters = Some(Value::Object(parameters));
    described
}

/// Describes an IAM or STS call from its form parameters (`get` reads one).
pub fn query(operation: &str, get: &dyn Fn(&str) -> Option<String>) -> Described {
    let mut parameters = Map::new();
    for name in QUERY_FIELDS {
        if let Some(value) = get(name) {
            parameters.insert(camel(name), value.into());
        }
    }
    Described {
        parameters: Some(Value::Object(parameters)),
        read_only: is_read_only(operation),
        management: true,
        ..Described::default()
    }
}

/// The table a table, index or stream ARN names
/// (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME[/...]`).
pub fn table_of_arn(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":table/")?;
    rest.split('/').next().filter(|name| !name.is_empty())
}

/// A key's attribute names, each with its value hidden.
fn hidden_key(key: &Value) -> Value {
    match key {
        Value::Object(key) => Value::Object(key.keys().map(|name| (name.clone(), Value::from(HIDDEN))).collect()),
        _ => Value::Null,
    }
}

/// `TableName` → `tableName`, as CloudTrail writes parameter names.
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A settings value with its object keys in CloudTrail's camel case. The
/// depth is that of a request the protocol already accepted for size; it
/// is bounded all the same.
fn camel_keys(value: &Value) -> Value {
    fn convert(value: &Value, depth: usize) -> Value {
        if depth > 8 {
            return Value::Null;
        }
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| (camel(key), convert(value, depth + 1)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|item| convert(item, depth + 1)).collect()),
            other => other.clone(),
        }
    }
    convert(value, 0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keys(_: &str) -> Option<Vec<String>> {
        Some(vec!["pk".into()])
    }

    #[test]
    fn put_item_keeps_key_names_only() {
        let body = json!({
            "TableName": "Music",
            "Item": {"pk": {"S": "secret-key-value"}, "data": {"S": "secret-data"}},
            "ConditionExpression": "attribute_not_exists(pk) OR #d = :v",
            "ExpressionAttributeValues": {":v": {"S": "secret-expression-value"}},
        });
        let described = dynamodb("PutItem", body.to_string().as_bytes(), &keys);
        let text = described.parameters.clone().unwrap().to_string();
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(
            described.parameters.unwrap(),
            json!({"tableName": "Music", "key": {"pk": HIDDEN}})
        );
        assert_eq!(described.tables, ["Music"]);
        assert!(!described.management && !described.read_only);
    }

    #[test]
    fn batch_and_transaction_calls_name_every_table() {
        let body = json!({"RequestItems": {
            "A": [{"PutRequest": {"Item": {"pk": {"S": "v"}}}}],
            "B": [{"DeleteRequest": {"Key": {"pk": {"S": "v"}}}}],
        }});
        let described = dynamodb("BatchWriteItem", body.to_string().as_bytes(), &keys);
        assert_eq!(described.tables, ["A", "B"]);
        assert!(!described.parameters.unwrap().to_string().contains("\"v\""));
        let body = json!({"TransactItems": [
            {"Put": {"TableName": "A", "Item": {"pk": {"S": "v"}}}},
            {"Update": {"TableName": "C", "Key": {"pk": {"S": "v"}}, "UpdateExpression": "SET x = :x"}},
        ]});
        let described = dynamodb("TransactWriteItems", body.to_string().as_bytes(), &keys);
        assert_eq!(described.tables, ["A", "C"]);
        assert_eq!(
            described.parameters.unwrap()["transactItems"][1],
            json!({"operation": "Update", "tableName": "C", "key": {"pk": HIDDEN}})
        );
    }

    #[test]
    fn management_calls_keep_their_settings() {
        let body = json!({
            "TableName": "T",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": [{"Key": "owner", "Value": "secret-tag"}],
        });
        let described = dynamodb("CreateTable", body.to_string().as_bytes(), &keys);
        assert!(described.management && !described.read_only);
        let parameters = described.parameters.unwrap();
        assert_eq!(parameters["keySchema"][0]["attributeName"], "pk");
        assert!(!parameters.to_string().contains("secret-tag"));
        assert!(dynamodb("DescribeTable", b"{}", &keys).read_only);
    }

    #[test]
    fn query_calls_drop_secrets_and_documents() {
        let form = [
            ("Action", "CreateUser"),
            ("UserName", "alice"),
            ("PolicyDocument", "{secret}"),
        ];
        let get = |name: &str| form.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        let described = query("CreateUser", &get);
        assert_eq!(described.parameters.unwrap(), json!({"userName": "alice"}));
    }

    #[test]
    fn stream_arns_name_their_table() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/T1/stream/2026-01-01T00:00:00.000";
        assert_eq!(table_of_arn(arn), Some("T1"));
        let body = json!({"StreamArn": arn});
        let described = dynamodb("DescribeStream", body.to_string().as_bytes(), &keys);
        assert_eq!(described.tables, ["T1"]);
        assert!(described.stream_arn.is_some());
    }
}
