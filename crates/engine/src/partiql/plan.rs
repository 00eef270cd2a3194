//! Planning a bound statement as DynamoDB does: a WHERE that fixes the
//! partition key (= or IN) reads by Query, with the sort key's conditions
//! as the key range; a WHERE that is exactly the full primary key reads
//! one item; anything else scans. UPDATE and DELETE must name the full
//! primary key; the rest of their WHERE is a condition on the item.

use super::bind::{self, bind_value, parameter_count_mismatch};
use super::{Error, Parsed, Returning, Select, Statement};
use crate::catalog::Table;
use crate::expression::condition::{Comparator, Condition, Operand};
use crate::expression::key_condition::{self, KeyTerm, SortKeyCondition};
use crate::expression::path::{DocumentPath, PathElement};
use crate::expression::projection::Projection;
use crate::expression::update::Update;
use crate::model::{AttributeValue, IndexKey, Item, PrimaryKey};
use crate::operations::{GetItemInput, QueryInput, ReturnValues, ScanInput, Select as SelectKind};
use crate::Engine;

/// How a SELECT reads.
#[derive(Debug, Clone)]
pub enum ReadPlan {
    /// The WHERE is exactly the table's full primary key.
    Get(GetItemInput),
    /// One Query per partition key value (several for IN), in order.
    Query(Vec<QueryInput>),
    Scan(ScanInput),
}

/// What a write statement does to its one item.
#[derive(Debug, Clone)]
pub enum WriteKind {
    Insert(Item),
    Update(Update),
    Delete,
    /// `EXISTS(SELECT ...)` in a transaction.
    Check,
}

#[derive(Debug, Clone)]
pub struct WritePlan {
    pub table_name: String,
    pub key: Item,
    pub kind: WriteKind,
    /// The WHERE beyond the key, and the implicit conditions of INSERT (no
    /// such item) and UPDATE (the item exists).
    pub condition: Option<Condition>,
    pub return_values: ReturnValues,
}

#[derive(Debug, Clone)]
pub enum Plan {
    Read(ReadPlan),
    Write(WritePlan),
}

/// Request settings that shape a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    pub consistent_read: bool,
}

/// DynamoDB's answer for a statement on a table that does not exist.
pub fn no_such_table() -> Error {
    Error::ResourceNotFound("Cannot do operations on a non-existent table".into())
}

fn missing_key_equality() -> Error {
    Error::validation("Where clause does not contain a mandatory equality on all key attributes")
}

impl Engine {
    /// Binds `parameters` to a parsed statement and plans it.
    pub fn plan_statement(
        &self,
        parsed: &Parsed,
        parameters: &[AttributeValue],
        options: PlanOptions,
    ) -> Result<Plan, Error> {
        if parameters.len() < parsed.parameters {
            return Err(parameter_count_mismatch());
        }
        let table = self.catalog.get(parsed.statement.table()).ok_or_else(no_such_table)?;
        match &parsed.statement {
            Statement::Select(select) => Ok(Plan::Read(plan_select(&table, select, parameters, options)?)),
            Statement::Exists(select) => {
                let where_ = select
                    .filter
                    .as_ref()
                    .map(|f| bind::bind_condition(f, parameters))
                    .transpose()?;
                let (key, rest) = full_key(&table.definition.primary_key, where_)?;
                let Some(condition) = rest else {
                    return Err(Error::validation(
                        "EXISTS() must contain a single item read with additional condition",
                    ));
                };
                Ok(Plan::Write(WritePlan {
                    table_name: select.table.clone(),
                    key,
                    kind: WriteKind::Check,
                    condition: Some(condition),
                    return_values: ReturnValues::None,
                }))
            }
            Statement::Insert(insert) => {
                let AttributeValue::M(item) = bind_value(&insert.item, parameters)? else {
                    return Err(Error::validation("INSERT takes a tuple"));
                };
                let schema = &table.definition.primary_key;
                for attribute in schema.attributes() {
                    match item.get(&attribute.name) {
                        None => {
                            return Err(Error::validation(format!(
                                "Key attribute should be present in the item: Key {}",
                                attribute.name
                            )))
                        }
                        Some(value) if !attribute.scalar_type.matches(value) => {
                            return Err(Error::validation(format!(
                                "Key attribute's data type should match its data type in table's schema: Key {}",
                                attribute.name
                            )))
                        }
                        Some(_) => {}
                    }
                }
                Ok(Plan::Write(WritePlan {
                    table_name: insert.table.clone(),
                    key: schema.key_of(&item),
                    kind: WriteKind::Insert(item),
                    condition: Some(not_exists(schema)),
                    return_values: ReturnValues::None,
                }))
            }
            Statement::Update(update) => {
                let where_ = update
                    .filter
                    .as_ref()
                    .map(|f| bind::bind_condition(f, parameters))
                    .transpose()?;
                let schema = &table.definition.primary_key;
                let (key, rest) = full_key(schema, where_)?;
                let exists = Condition::AttributeExists(top_level(&schema.partition.name));
                let condition = match rest {
                    Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
                    None => exists,
                };
                Ok(Plan::Write(WritePlan {
                    table_name: update.table.clone(),
                    key,
                    kind: WriteKind::Update(Update {
                        actions: bind::bind_update_actions(&update.clauses, parameters)?,
                        from_attribute_updates: false,
                    }),
                    condition: Some(condition),
                    return_values: match update.returning {
                        None => ReturnValues::None,
                        Some(Returning::AllOld) => ReturnValues::AllOld,
                        Some(Returning::AllNew) => ReturnValues::AllNew,
                        Some(Returning::ModifiedOld) => ReturnValues::UpdatedOld,
                        Some(Returning::ModifiedNew) => ReturnValues::UpdatedNew,
                    },
                }))
            }
            Statement::Delete(delete) => {
                let return_values = match delete.returning {
                    None => ReturnValues::None,
                    Some(Returning::AllOld) => ReturnValues::AllOld,
                    Some(other) => {
                        let clause = match other {
                            Returning::AllNew => "ALL NEW",
                            Returning::ModifiedOld => "MODIFIED OLD",
                            _ => "MODIFIED NEW",
                        };
                        return Err(Error::validation(format!(
                            "Invalid returning clause: RETURNING {clause} *. Only RETURNING ALL OLD * is allowed in DELETE statements."
                        )));
                    }
                };
                let where_ = delete
                    .filter
                    .as_ref()
                    .map(|f| bind::bind_condition(f, parameters))
                    .transpose()?;
                let (key, condition) = full_key(&table.definition.primary_key, where_)?;
                Ok(Plan::Write(WritePlan {
                    table_name: delete.table.clone(),
                    key,
                    kind: WriteKind::Delete,
                    condition,
                    return_values,
                }))
            }
        }
    }
}

fn top_level(name: &str) -> DocumentPath {
    DocumentPath(vec![PathElement::Attribute(name.to_string())])
}

fn not_exists(schema: &PrimaryKey) -> Condition {
    Condition::AttributeNotExists(top_level(&schema.partition.name))
}

/// The conjuncts of a condition's top-level ANDs.
fn conjuncts(condition: Condition, out: &mut Vec<Condition>) {
    // An explicit stack: a WHERE may be a long chain of ANDs.
    let mut pending = vec![condition];
    while let Some(condition) = pending.pop() {
        match condition {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            other => out.push(other),
        }
    }
}

fn join(conditions: Vec<Condition>) -> Option<Condition> {
    conditions
        .into_iter()
        .reduce(|a, b| Condition::And(Box::new(a), Box::new(b)))
}

/// The top-level attribute a path is, if it is one.
fn attribute(operand: &Operand) -> Option<&str> {
    match operand {
        Operand::Path(DocumentPath(elements)) => match elements.as_slice() {
            [PathElement::Attribute(name)] => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// `attribute = value`, either way round.
fn equality(condition: &Condition) -> Option<(&str, &AttributeValue)> {
    match condition {
        Condition::Compare(a, Comparator::Equal, b) => match (attribute(a), attribute(b), a, b) {
            (Some(name), None, _, Operand::Value(value)) | (None, Some(name), Operand::Value(value), _) => {
                Some((name, value))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Splits a WHERE into the full primary key (one equality per key
/// attribute) and the rest.
fn full_key(schema: &PrimaryKey, where_: Option<Condition>) -> Result<(Item, Option<Condition>), Error> {
    let mut terms = Vec::new();
    if let Some(where_) = where_ {
        conjuncts(where_, &mut terms);
    }
    let mut key = Item::new();
    let mut rest = Vec::new();
    for term in terms {
        match equality(&term) {
            Some((name, value)) if schema.is_key_attribute(name) => {
                if key.insert(name.to_string(), value.clone()).is_some() {
                    return Err(Error::validation(format!(
                        "Multiple conditions on same key {name}. Only single item Update/Insert/Delete are supported"
                    )));
                }
            }
            _ => rest.push(term),
        }
    }
    for attribute in schema.attributes() {
        match key.get(&attribute.name) {
            None => return Err(missing_key_equality()),
            Some(value) if !attribute.scalar_type.matches(value) => {
                return Err(Error::validation(format!(
                    "Key attribute's data type should match its data type in table's schema: Key {}",
                    attribute.name
                )))
            }
            Some(_) => {}
        }
    }
    Ok((key, join(rest)))
}

/// A condition on one key attribute as a key term, if it can be one.
fn key_term(condition: &Condition) -> Option<KeyTerm> {
    let term = |operand: &Operand, condition: SortKeyCondition| {
        attribute(operand).map(|name| KeyTerm {
            attribute: name.to_string(),
            condition,
        })
    };
    match condition {
        Condition::Compare(a, comparator, Operand::Value(value)) if *comparator != Comparator::NotEqual => {
            term(a, SortKeyCondition::Compare(*comparator, value.clone()))
        }
        Condition::Compare(Operand::Value(value), comparator, b) if *comparator != Comparator::NotEqual => {
            let flipped = match comparator {
                Comparator::Less => Comparator::Greater,
                Comparator::LessOrEqual => Comparator::GreaterOrEqual,
                Comparator::Greater => Comparator::Less,
                Comparator::GreaterOrEqual => Comparator::LessOrEqual,
                other => *other,
            };
            term(b, SortKeyCondition::Compare(flipped, value.clone()))
        }
        Condition::Between(a, Operand::Value(low), Operand::Value(high)) => {
            term(a, SortKeyCondition::Between(low.clone(), high.clone()))
        }
        Condition::BeginsWith(a, Operand::Value(prefix)) => term(a, SortKeyCondition::BeginsWith(prefix.clone())),
        _ => None,
    }
}

/// The values `pk = v` or `pk IN [...]` fix the partition attribute to.
fn partition_values(condition: &Condition, name: &str) -> Option<Vec<AttributeValue>> {
    if let Some((attribute, value)) = equality(condition) {
        return (attribute == name).then(|| vec![value.clone()]);
    }
    match condition {
        Condition::In(subject, candidates) if attribute(subject) == Some(name) => candidates
            .iter()
            .map(|candidate| match candidate {
                Operand::Value(value) => Some(value.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn plan_select(
    table: &Table,
    select: &Select,
    parameters: &[AttributeValue],
    options: PlanOptions,
) -> Result<ReadPlan, Error> {
    let definition = &table.definition;
    let key: IndexKey = match &select.index {
        None => definition.primary_key.clone().into(),
        Some(name) => match definition.index(name) {
            Some(index) => index.key.clone(),
            None => {
                return Err(Error::validation(format!(
                    "The table does not have the specified index: {name}"
                )))
            }
        },
    };
    let projection = select.projection.clone().map(Projection::from_paths);
    let select_kind = match projection {
        Some(_) => SelectKind::SpecificAttributes,
        None => SelectKind::Default,
    };
    let where_ = select
        .filter
        .as_ref()
        .map(|f| bind::bind_condition(f, parameters))
        .transpose()?;
    let mut terms = Vec::new();
    if let Some(where_) = where_ {
        conjuncts(where_, &mut terms);
    }
    check_key_types(&key, &terms)?;
    let is_key = |name: &str| key.attributes().any(|attribute| attribute.name == name);
    if select.order_by.is_some() && select.filter.is_none() {
        return Err(Error::validation(
            "Must have WHERE clause in the statement when using ORDER BY clause.",
        ));
    }
    let scan = |terms: Vec<Condition>| {
        if select.order_by.is_some() {
            return Err(Error::validation(
                "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.",
            ));
        }
        Ok(ReadPlan::Scan(ScanInput {
            table_name: select.table.clone(),
            filter: join(terms),
            projection: projection.clone(),
            select: select_kind,
            consistent_read: options.consistent_read,
            index_name: select.index.clone(),
            ..ScanInput::default()
        }))
    };

    // The partition: every partition attribute fixed by = (or, for a
    // single attribute, IN).
    let mut partitions: Vec<Vec<(String, AttributeValue)>> = vec![Vec::new()];
    let mut remaining = terms;
    for attribute in &key.partition {
        let Some(position) = remaining
            .iter()
            .position(|term| partition_values(term, &attribute.name).is_some())
        else {
            return scan(remaining);
        };
        let values = partition_values(&remaining[position], &attribute.name).unwrap_or_default();
        if values.len() > 1 && key.partition.len() > 1 {
            return scan(remaining);
        }
        remaining.remove(position);
        partitions = partitions
            .into_iter()
            .flat_map(|fixed| {
                values.iter().map(move |value| {
                    let mut fixed = fixed.clone();
                    fixed.push((attribute.name.clone(), value.clone()));
                    fixed
                })
            })
            .collect();
    }
    // The sort key's conditions become the key range; a Query's filter may
    // not name key attributes, so a WHERE whose key conditions cannot all
    // be key terms is a Scan.
    let (key_conditions, filter): (Vec<Condition>, Vec<Condition>) = remaining
        .into_iter()
        .partition(|term| term.top_level_attributes().iter().any(|name| is_key(name)));
    let Some(sort_terms) = key_conditions.iter().map(key_term).collect::<Option<Vec<KeyTerm>>>() else {
        let mut all = key_conditions;
        all.extend(filter);
        // IN over several partitions, scanned: one IN per attribute.
        return scan(rescan_terms(all, &partitions));
    };
    let descending = match &select.order_by {
        None => false,
        Some((name, descending)) => {
            if !key.sort.iter().any(|attribute| attribute.name == *name)
                && !key.partition.iter().any(|a| a.name == *name)
            {
                return Err(Error::validation(format!(
                    "Variable reference {name} in ORDER BY clause must be part of the primary key"
                )));
            }
            *descending
        }
    };
    // The full primary key of the table and nothing else: one item.
    let full_key = select.index.is_none()
        && partitions.len() == 1
        && filter.is_empty()
        && key.sort.len() == sort_terms.len()
        && sort_terms
            .iter()
            .all(|term| matches!(term.condition, SortKeyCondition::Compare(Comparator::Equal, _)));
    if full_key {
        let mut item_key: Item = partitions[0].iter().cloned().collect();
        for term in &sort_terms {
            if let SortKeyCondition::Compare(_, value) = &term.condition {
                item_key.insert(term.attribute.clone(), value.clone());
            }
        }
        return Ok(ReadPlan::Get(GetItemInput {
            table_name: select.table.clone(),
            key: item_key,
            projection,
            consistent_read: options.consistent_read,
        }));
    }
    let filter = join(filter);
    let queries = partitions
        .into_iter()
        .map(|fixed| {
            let mut key_terms: Vec<KeyTerm> = fixed
                .into_iter()
                .map(|(attribute, value)| KeyTerm {
                    attribute,
                    condition: SortKeyCondition::Compare(Comparator::Equal, value),
                })
                .collect();
            key_terms.extend(sort_terms.iter().cloned());
            QueryInput {
                table_name: select.table.clone(),
                key_terms,
                scan_index_forward: !descending,
                filter: filter.clone(),
                projection: projection.clone(),
                select: select_kind,
                consistent_read: options.consistent_read,
                index_name: select.index.clone(),
                ..QueryInput::default()
            }
        })
        .collect::<Vec<_>>();
    // Key conditions DynamoDB's key range cannot express (two ranges on
    // one attribute, a range on a later sort attribute) make it a Scan.
    let valid = key_condition::resolve(queries[0].key_terms.clone(), &key).is_ok();
    if !valid {
        let mut all = key_conditions;
        if let Some(filter) = queries[0].filter.clone() {
            all.push(filter);
        }
        let partitions: Vec<Vec<(String, AttributeValue)>> = queries
            .iter()
            .map(|query| {
                query.key_terms[..key.partition.len()]
                    .iter()
                    .filter_map(|term| match &term.condition {
                        SortKeyCondition::Compare(_, value) => Some((term.attribute.clone(), value.clone())),
                        _ => None,
                    })
                    .collect()
            })
            .collect();
        return scan(rescan_terms(all, &partitions));
    }
    Ok(ReadPlan::Query(queries))
}

/// A key attribute compared with a value of another type cannot match:
/// DynamoDB refuses the statement.
fn check_key_types(key: &IndexKey, terms: &[Condition]) -> Result<(), Error> {
    for term in terms {
        let (name, values): (&str, Vec<&AttributeValue>) = match term {
            Condition::In(subject, candidates) => match attribute(subject) {
                Some(name) => (
                    name,
                    candidates
                        .iter()
                        .filter_map(|candidate| match candidate {
                            Operand::Value(value) => Some(value),
                            _ => None,
                        })
                        .collect(),
                ),
                None => continue,
            },
            Condition::Between(subject, Operand::Value(low), Operand::Value(high)) => match attribute(subject) {
                Some(name) => (name, vec![low, high]),
                None => continue,
            },
            Condition::Compare(a, _, b) => match (attribute(a), attribute(b), a, b) {
                (Some(name), None, _, Operand::Value(value)) | (None, Some(name), Operand::Value(value), _) => {
                    (name, vec![value])
                }
                _ => continue,
            },
            _ => continue,
        };
        if let Some(attribute) = key.attributes().find(|attribute| attribute.name == name) {
            if values.iter().any(|value| !attribute.scalar_type.matches(value)) {
                return Err(Error::validation(format!(
                    "Key attribute's data type should match its data type in table's schema: Key {name}"
                )));
            }
        }
    }
    Ok(())
}

/// The conditions of a Scan that replaces Queries of `partitions`: the
/// others, and each partition attribute IN its values.
fn rescan_terms(mut terms: Vec<Condition>, partitions: &[Vec<(String, AttributeValue)>]) -> Vec<Condition> {
    terms.retain(|term| {
        !partitions
            .iter()
            .flatten()
            .any(|(name, value)| equality(term).is_some_and(|(n, v)| n == name && v == value))
    });
    let Some(first) = partitions.first() else {
        return terms;
    };
    for (column, (name, _)) in first.iter().enumerate() {
        let values: Vec<Operand> = partitions
            .iter()
            .filter_map(|fixed| fixed.get(column).map(|(_, value)| Operand::Value(value.clone())))
            .collect();
        terms.push(Condition::In(Operand::Path(top_level(name)), values));
    }
    terms
}
