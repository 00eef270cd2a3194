//! What PutItem, UpdateItem and DeleteItem share on the wire: the table,
//! the item or key, ReturnValues and the other return options, and a
//! condition given as ConditionExpression or as the legacy Expected.

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::legacy::{ConditionalOperator, LegacyCondition};
use halyard_engine::expression::update::Update;
use halyard_engine::expression::Placeholders;
use halyard_engine::model::Item;
use halyard_engine::{Engine, ReturnValues};
use serde_json::{Map, Value};

use super::expressions::{
    conditional_operator, legacy_conditions, return_consumed_capacity, return_item_collection_metrics,
    return_old_on_failure, write_condition, ReturnConsumedCapacity,
};
use super::{return_values, return_values_key, table_name};
use crate::access::{self, AccessCheck, AttributeNames, KeySchema};
use crate::attribute_value::item_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) struct WriteRequest<'a> {
    pub table_name: &'a str,
    /// `Item` (PutItem) or `Key`.
    target: Option<&'a Map<String, Value>>,
    pub return_values: ReturnValues,
    pub capacity: ReturnConsumedCapacity,
    pub collection_metrics: bool,
    pub return_old_on_failure: bool,
    expected: Option<Vec<LegacyCondition>>,
    operator: ConditionalOperator,
}

impl<'a> WriteRequest<'a> {
    /// Reads the shared members, adding violations; `target` is "Item" or "Key".
    pub fn parse(
        request: Fields<'a>,
        target: &str,
        violations: &mut ConstraintViolations,
    ) -> Result<WriteRequest<'a>, ProtocolError> {
        let table_name = table_name(request, violations)?;
        let target_map = request.map(target)?;
        violations.required(target_map, &target.to_ascii_lowercase());
        Ok(WriteRequest {
            table_name,
            target: target_map,
            return_values: return_values(request, violations)?,
            capacity: return_consumed_capacity(request, violations)?,
            collection_metrics: return_item_collection_metrics(request, violations)?,
            return_old_on_failure: return_old_on_failure(request, "", violations)?,
            expected: legacy_conditions(request, "Expected", violations)?,
            operator: conditional_operator(request, violations)?,
        })
    }

    /// The item (or key), once the request's constraints have passed.
    pub fn target(&self) -> Result<Item, ProtocolError> {
        item_from_json(self.target.expect("required, and checked"))
    }

    /// ConditionExpression, or the legacy Expected.
    pub fn condition(
        &mut self,
        request: Fields<'_>,
        placeholders: &mut Placeholders<'_>,
    ) -> Result<Option<Condition>, ProtocolError> {
        write_condition(request, placeholders, self.expected.take(), self.operator)
    }

    /// The check of this write of `target` (the item or key) to `table`.
    pub fn access_check(
        &self,
        engine: &Engine,
        action: &'static str,
        table: &str,
        target: &Item,
        condition: Option<&Condition>,
        update: Option<&Update>,
    ) -> AccessCheck {
        AccessCheck {
            leading_keys: KeySchema::of(engine, table, None).leading_keys([target]),
            attributes: AttributeNames::default()
                .item(target)
                .update(update)
                .condition(condition)
                .take(),
            return_values: return_values_key(self.return_values),
            return_consumed_capacity: self.capacity.condition_key(),
            ..access::table_check(engine, action, table, None)
        }
    }
}
