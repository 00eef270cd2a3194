//! Response bodies written straight into their bytes: the hot operations
//! write items from the engine's values to wire JSON with no
//! `serde_json::Value` tree in between; the others are serialised from
//! their `Value` once.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::attribute_value::ItemsJson;
use halyard_engine::model::Item;

/// An operation's answer: its body in wire JSON.
#[derive(Debug)]
pub struct Response {
    body: Vec<u8>,
    /// How many items the body's `Items` member holds (Query, Scan,
    /// ExecuteStatement), for the metrics.
    returned_items: Option<usize>,
}

impl Response {
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body parsed back into a `Value` (for tests and the fuzz target).
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a response body is JSON")
    }

    pub(crate) fn returned_items(&self) -> Option<usize> {
        self.returned_items
    }
}

impl From<Value> for Response {
    fn from(value: Value) -> Self {
        let returned_items = value.get("Items").and_then(Value::as_array).map(Vec::len);
        Response {
            body: serde_json::to_vec(&value).expect("JSON values serialise"),
            returned_items,
        }
    }
}

/// Writes a response object member by member.
pub(crate) struct ResponseWriter {
    body: Vec<u8>,
    members: usize,
    returned_items: Option<usize>,
}

impl ResponseWriter {
    pub fn new() -> Self {
        let mut body = Vec::with_capacity(512);
        body.push(b'{');
        ResponseWriter {
            body,
            members: 0,
            returned_items: None,
        }
    }

    pub fn member(&mut self, name: &str, value: &impl Serialize) {
        if self.members > 0 {
            self.body.push(b',');
        }
        self.members += 1;
        // Into a Vec, and of values whose serialisation cannot fail (string
        // keys only), writing never errs.
        serde_json::to_writer(&mut self.body, name).expect("writing JSON into memory");
        self.body.push(b':');
        serde_json::to_writer(&mut self.body, value).expect("writing JSON into memory");
    }

    /// The `Items` member of a page of items.
    pub fn items(&mut self, items: &[Item]) {
        self.returned_items = Some(items.len());
        self.member("Items", &ItemsJson(items));
    }

    /// Every member of `map` (the small parts built as a `Value`).
    pub fn members(&mut self, map: &Map<String, Value>) {
        for (name, value) in map {
            self.member(name, value);
        }
    }

    pub fn finish(mut self) -> Response {
        self.body.push(b'}');
        Response {
            body: self.body,
            returned_items: self.returned_items,
        }
    }
}
