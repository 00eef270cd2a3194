//! What Query and Scan share on the wire: table or index, Limit, Select,
//! ExclusiveStartKey, ConsistentRead, capacity, and a filter given as
//! FilterExpression or as the legacy QueryFilter / ScanFilter.

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::key_condition::KeyTerm;
use halyard_engine::expression::legacy::{self, ConditionalOperator, LegacyCondition};
use halyard_engine::expression::projection::Projection;
use halyard_engine::expression::Placeholders;
use halyard_engine::model::Item;
use halyard_engine::{Engine, Select};
use serde_json::{Map, Value};

use super::expressions::{
    check_conditional_operator, conditional_operator, legacy_conditions, return_consumed_capacity,
    ReturnConsumedCapacity,
};
use super::get_item::projection;
use super::{check_select, select, select_key, table_name};
use crate::access::{self, AccessCheck, AttributeNames, KeySchema};
use crate::attribute_value::item_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) struct PageRequest<'a> {
    pub table_name: &'a str,
    pub index_name: Option<&'a str>,
    pub limit: Option<usize>,
    select: Option<Select>,
    exclusive_start_key: Option<&'a Map<String, Value>>,
    pub capacity: ReturnConsumedCapacity,
    pub consistent_read: bool,
    legacy_filter: Option<Vec<LegacyCondition>>,
    operator: ConditionalOperator,
}

/// The expression-built parts of a page request.
pub(super) struct PageExpressions {
    pub projection: Option<Projection>,
    pub filter: Option<Condition>,
    /// The filter came from QueryFilter or ScanFilter.
    pub legacy_filter: bool,
    pub select: Select,
}

impl<'a> PageRequest<'a> {
    /// Reads the shared members; `legacy_filter` is "QueryFilter" or "ScanFilter".
    pub fn parse(
        request: Fields<'a>,
        legacy_filter: &str,
        violations: &mut ConstraintViolations,
    ) -> Result<PageRequest<'a>, ProtocolError> {
        let table_name = table_name(request, violations)?;
        let limit = request.integer("Limit")?;
        violations.range(limit, "limit", 1, None);
        let index_name = request.string("IndexName")?;
        if index_name.is_some() {
            violations.table_name(index_name, "indexName");
        }
        Ok(PageRequest {
            table_name,
            index_name,
            limit: limit.map(|l| l as usize),
            select: select(request, violations)?,
            exclusive_start_key: request.map("ExclusiveStartKey")?,
            capacity: return_consumed_capacity(request, violations)?,
            consistent_read: request.boolean("ConsistentRead")?.unwrap_or(false),
            legacy_filter: legacy_conditions(request, legacy_filter, violations)?,
            operator: conditional_operator(request, violations)?,
        })
    }

    /// ProjectionExpression (or AttributesToGet), the filter and Select,
    /// checked together.
    pub fn expressions(
        &mut self,
        request: Fields<'_>,
        placeholders: &mut Placeholders<'_>,
    ) -> Result<PageExpressions, ProtocolError> {
        let projection = projection(request, "", placeholders)?;
        check_conditional_operator(request, self.legacy_filter.as_ref())?;
        let legacy_filter = self.legacy_filter.is_some();
        let filter = match (request.string("FilterExpression")?, self.legacy_filter.take()) {
            (Some(expression), _) => Some(Condition::parse(expression, "FilterExpression", placeholders)?),
            (None, Some(entries)) => legacy::filter(&entries, self.operator)?,
            (None, None) => None,
        };
        let select = check_select(self.select, request)?;
        Ok(PageExpressions {
            projection,
            filter,
            legacy_filter,
            select,
        })
    }

    /// The check of this Query (with its `key_terms`) or Scan of `table`
    /// or the index named.
    pub fn access_check(
        &self,
        engine: &Engine,
        action: &'static str,
        table: &str,
        expressions: &PageExpressions,
        key_terms: Option<&[KeyTerm]>,
    ) -> AccessCheck {
        let leading_keys =
            key_terms.and_then(|terms| KeySchema::of(engine, table, self.index_name).query_leading_keys(terms));
        AccessCheck {
            leading_keys,
            attributes: AttributeNames::default()
                .key_terms(key_terms.unwrap_or_default())
                .projection(expressions.projection.as_ref())
                .condition(expressions.filter.as_ref())
                .take(),
            select: select_key(expressions.select, self.index_name.is_some()),
            return_consumed_capacity: self.capacity.condition_key(),
            ..access::table_check(engine, action, table, self.index_name)
        }
    }

    pub fn exclusive_start_key(&self) -> Result<Option<Item>, ProtocolError> {
        self.exclusive_start_key.map(item_from_json).transpose()
    }
}
