//! What each kind of request is expected to cost, and what it consumed,
//! per throttled resource.

use super::{Access, Demand};
use crate::model::{IndexKind, TableDefinition};
use crate::operations::write_item::write_units;
use crate::writer::{IndexUnits, ItemAction};

/// The global index a Query or Scan reads (which has its own throughput);
/// a table or local index read draws on the table's.
pub(crate) fn read_demand(definition: &TableDefinition, index_name: Option<&str>, units: f64) -> Demand {
    match index_name.and_then(|name| definition.index(name)) {
        Some(index) if index.kind == IndexKind::Global => Demand::index(&index.name, Access::Read, units),
        _ => Demand::table(Access::Read, units),
    }
}

/// An item write's least cost: the new item's size for a put (at least one
/// unit otherwise) on the table, and on each global index it may change:
/// for a put, the indexes whose keys the item has (its projected size); an
/// update or delete may reach any (their old item is not known yet), for a
/// unit. `factor` is 2 for transactions.
pub(crate) fn write_estimate(definition: &TableDefinition, action: &ItemAction, factor: f64) -> Vec<Demand> {
    let put = match action {
        ItemAction::Put(item) => Some(item),
        _ => None,
    };
    let table_units = put.map_or(1.0, |item| write_units(None, Some(item)));
    let mut demands = vec![Demand::table(Access::Write, factor * table_units)];
    if matches!(action, ItemAction::ConditionCheck) {
        return demands;
    }
    for index in definition.indexes.iter().filter(|i| i.kind == IndexKind::Global) {
        let units = match put {
            Some(item) if index.key.attributes().all(|key| item.contains_key(&key.name)) => {
                write_units(None, Some(&index.project(&definition.primary_key, item)))
            }
            Some(_) => continue,
            None => 1.0,
        };
        demands.push(Demand::index(&index.name, Access::Write, factor * units));
    }
    demands
}

/// What an item write consumed: its own units and local index units on the
/// table, each global index's on that index.
pub(crate) fn write_consumed(table_units: f64, index_units: &[IndexUnits], factor: f64) -> Vec<Demand> {
    let local: f64 = index_units
        .iter()
        .filter(|spent| spent.kind == IndexKind::Local)
        .map(|spent| spent.units)
        .sum();
    let mut consumed = vec![Demand::table(Access::Write, factor * (table_units + local))];
    consumed.extend(
        index_units
            .iter()
            .filter(|spent| spent.kind == IndexKind::Global)
            .map(|spent| Demand::index(&spent.name, Access::Write, factor * spent.units)),
    );
    consumed
}
