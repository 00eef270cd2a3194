//! UpdateExpression: SET, REMOVE, ADD and DELETE actions, and applying
//! them to an item.

use super::lexer::{Deferred, ParseError, Token};
use super::parser::{distinct_error, Parser};
use super::path::{check_disjoint, DocumentPath, PathElement};
use super::{check_length, Placeholders};
use crate::error::Error;
use crate::model::{AttributeValue, Item};

/// The right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(DocumentPath),
    Value(AttributeValue),
    IfNotExists(DocumentPath, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set(DocumentPath, SetValue),
    Remove(DocumentPath),
    /// Adds to a number, or adds members to a set (creating either).
    Add(DocumentPath, AttributeValue),
    /// Removes members from a set.
    Delete(DocumentPath, AttributeValue),
}

impl UpdateAction {
    pub fn path(&self) -> &DocumentPath {
        match self {
            UpdateAction::Set(path, _)
            | UpdateAction::Remove(path)
            | UpdateAction::Add(path, _)
            | UpdateAction::Delete(path, _) => path,
        }
    }
}

/// A parsed update: its actions in the order given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub actions: Vec<UpdateAction>,
    /// Built from the legacy AttributeUpdates, whose type errors DynamoDB
    /// words differently.
    pub from_attribute_updates: bool,
}

impl Update {
    /// The paths the SET actions read (operands, `if_not_exists` paths).
    pub fn read_paths(&self) -> Vec<&DocumentPath> {
        fn of_operand<'u>(operand: &'u SetOperand, out: &mut Vec<&'u DocumentPath>) {
            match operand {
                SetOperand::Path(path) => out.push(path),
                SetOperand::Value(_) => {}
                SetOperand::IfNotExists(path, fallback) => {
                    out.push(path);
                    of_operand(fallback, out);
                }
                SetOperand::ListAppend(a, b) => {
                    of_operand(a, out);
                    of_operand(b, out);
                }
            }
        }
        let mut paths = Vec::new();
        for action in &self.actions {
            if let UpdateAction::Set(_, value) = action {
                match value {
                    SetValue::Operand(operand) => of_operand(operand, &mut paths),
                    SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                        of_operand(a, &mut paths);
                        of_operand(b, &mut paths);
                    }
                }
            }
        }
        paths
    }
}

fn operand_type_error(operator: &str, value: &AttributeValue) -> ParseError {
    format!(
        "Incorrect operand type for operator or function; operator: {operator}, operand type: {}, typeSet: ALLOWED_FOR_{operator}_OPERAND",
        long_type_name(value)
    )
}

/// The type names DynamoDB uses in UpdateExpression operand errors.
fn long_type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::M(_) => "MAP",
        AttributeValue::L(_) => "LIST",
        AttributeValue::Ss(_) => "STRING_SET",
        AttributeValue::Ns(_) => "NUMBER_SET",
        AttributeValue::Bs(_) => "BINARY_SET",
    }
}

const CLAUSES: [&str; 4] = ["SET", "REMOVE", "ADD", "DELETE"];

impl Update {
    pub fn parse(expression: &str, placeholders: &mut Placeholders<'_>) -> Result<Update, Error> {
        check_length(expression, "UpdateExpression")?;
        let invalid = |message: String| Error::validation(format!("Invalid UpdateExpression: {message}"));
        let mut parser = Parser::new(expression, placeholders);
        parser.lexer.names_first = true;
        let result = parse_actions(&mut parser);
        let actions = parser.lexer.conclude(result).map_err(invalid)?;
        Ok(Update {
            actions,
            from_attribute_updates: false,
        })
    }

    /// Applies the update to `item` (the current item, or just its key when
    /// the item does not exist). Values on the right of SET are read from
    /// the item as it was before the update.
    pub fn apply(&self, item: &Item) -> Result<Item, Error> {
        self.apply_actions(item).map_err(|error| match error {
            Error::Validation(message) if self.from_attribute_updates && message == INCORRECT_DATA_TYPE => {
                Error::validation("Type mismatch for attribute to update")
            }
            other => other,
        })
    }

    fn apply_actions(&self, item: &Item) -> Result<Item, Error> {
        let mut updated = item.clone();
        let mut removals: Vec<&DocumentPath> = Vec::new();
        for action in &self.actions {
            match action {
                UpdateAction::Set(path, value) => {
                    let value = evaluate_set_value(value, item)?;
                    set_at(&mut updated, path, value)?;
                }
                UpdateAction::Remove(path) => removals.push(path),
                UpdateAction::Add(path, value) => {
                    let current = path.resolve(item);
                    let result = match (current, value) {
                        (None, value) => value.clone(),
                        (Some(AttributeValue::N(a)), AttributeValue::N(b)) => {
                            AttributeValue::N(a.add(b).map_err(|e| Error::validation(e.to_string()))?)
                        }
                        (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => AttributeValue::Ss(union(a, b)),
                        (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => AttributeValue::Ns(union(a, b)),
                        (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => AttributeValue::Bs(union(a, b)),
                        _ => return Err(incorrect_data_type()),
                    };
                    set_at(&mut updated, path, result)?;
                }
                UpdateAction::Delete(path, value) => {
                    let remaining = match (path.resolve(item), value) {
                        (None, _) => continue,
                        (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => {
                            difference(a, b).map(AttributeValue::Ss)
                        }
                        (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => {
                            difference(a, b).map(AttributeValue::Ns)
                        }
                        (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => {
                            difference(a, b).map(AttributeValue::Bs)
                        }
                        _ => return Err(incorrect_data_type()),
                    };
                    match remaining {
                        Some(set) => set_at(&mut updated, path, set)?,
                        // A set never becomes empty: it disappears.
                        None => removals.push(path),
                    }
                }
            }
        }
        // Removals last, list elements from the highest index down, so
        // that the indexes written refer to the list as it was.
        removals.sort_by(|a, b| compare_for_removal(a, b));
        for path in removals {
            remove_at(&mut updated, path)?;
        }
        Ok(updated)
    }
}

fn compare_for_removal(a: &DocumentPath, b: &DocumentPath) -> std::cmp::Ordering {
    // Higher list indexes first; otherwise any stable order.
    let key = |p: &DocumentPath| -> Vec<i64> {
        p.0.iter()
            .map(|e| match e {
                PathElement::Index(i) => -(*i as i64),
                PathElement::Attribute(_) => 0,
            })
            .collect()
    };
    key(a).cmp(&key(b))
}

fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
    let mut result = a.to_vec();
    for member in b {
        if !result.contains(member) {
            result.push(member.clone());
        }
    }
    result
}

fn difference<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let result: Vec<T> = a.iter().filter(|m| !b.contains(m)).cloned().collect();
    (!result.is_empty()).then_some(result)
}

const INCORRECT_DATA_TYPE: &str = "An operand in the update expression has an incorrect data type";

fn incorrect_data_type() -> Error {
    Error::validation(INCORRECT_DATA_TYPE)
}

fn missing_attribute() -> Error {
    Error::validation("The provided expression refers to an attribute that does not exist in the item")
}

fn invalid_path() -> Error {
    Error::validation("The document path provided in the update expression is invalid for update")
}

fn evaluate_operand(operand: &SetOperand, item: &Item) -> Result<AttributeValue, Error> {
    Ok(match operand {
        SetOperand::Path(path) => path.resolve(item).cloned().ok_or_else(missing_attribute)?,
        SetOperand::Value(value) => value.clone(),
        SetOperand::IfNotExists(path, fallback) => match path.resolve(item) {
            Some(value) => value.clone(),
            None => evaluate_operand(fallback, item)?,
        },
        SetOperand::ListAppend(a, b) => match (evaluate_operand(a, item)?, evaluate_operand(b, item)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                AttributeValue::L(a)
            }
            _ => return Err(incorrect_data_type()),
        },
    })
}

fn evaluate_set_value(value: &SetValue, item: &Item) -> Result<AttributeValue, Error> {
    let arithmetic = |a: &SetOperand, b: &SetOperand, negate: bool| -> Result<AttributeValue, Error> {
        match (evaluate_operand(a, item)?, evaluate_operand(b, item)?) {
            (AttributeValue::N(x), AttributeValue::N(y)) => {
                let y = if negate { y.negate() } else { y };
                Ok(AttributeValue::N(
                    x.add(&y).map_err(|e| Error::validation(e.to_string()))?,
                ))
            }
            _ => Err(incorrect_data_type()),
        }
    };
    match value {
        SetValue::Operand(operand) => evaluate_operand(operand, item),
        SetValue::Plus(a, b) => arithmetic(a, b, false),
        SetValue::Minus(a, b) => arithmetic(a, b, true),
    }
}

/// The list or map that holds the last element of a nested path, given
/// the path's other elements.
fn container_mut<'i>(item: &'i mut Item, parents: &[PathElement]) -> Result<&'i mut AttributeValue, Error> {
    let Some((PathElement::Attribute(first), middle)) = parents.split_first() else {
        return Err(invalid_path());
    };
    let mut container = item.get_mut(first).ok_or_else(invalid_path)?;
    for element in middle {
        container = match (element, container) {
            (PathElement::Attribute(name), AttributeValue::M(map)) => map.get_mut(name).ok_or_else(invalid_path)?,
            (PathElement::Index(index), AttributeValue::L(list)) => list.get_mut(*index).ok_or_else(invalid_path)?,
            _ => return Err(invalid_path()),
        };
    }
    Ok(container)
}

/// Writes `value` at `path`. The parent must exist: a map for a name, a
/// list for an index (an index past the end appends).
fn set_at(item: &mut Item, path: &DocumentPath, value: AttributeValue) -> Result<(), Error> {
    let (last, parents) = path.0.split_last().expect("paths are never empty");
    if parents.is_empty() {
        let PathElement::Attribute(name) = last else {
            return Err(invalid_path());
        };
        item.insert(name.clone(), value);
        return Ok(());
    }
    match (last, container_mut(item, parents)?) {
        (PathElement::Attribute(name), AttributeValue::M(map)) => {
            map.insert(name.clone(), value);
        }
        (PathElement::Index(index), AttributeValue::L(list)) => {
            if *index < list.len() {
                list[*index] = value;
            } else {
                list.push(value);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

/// Removes what `path` names, if it exists. Its parent must exist (a
/// missing top-level attribute or list element is a no-op).
fn remove_at(item: &mut Item, path: &DocumentPath) -> Result<(), Error> {
    let (last, parents) = path.0.split_last().expect("paths are never empty");
    if parents.is_empty() {
        if let PathElement::Attribute(name) = last {
            item.remove(name);
        }
        return Ok(());
    }
    match (last, container_mut(item, parents)?) {
        (PathElement::Attribute(name), AttributeValue::M(map)) => {
            map.remove(name);
        }
        (PathElement::Index(index), AttributeValue::L(list)) => {
            if *index < list.len() {
                list.remove(*index);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

/// The clauses of an update expression and their actions, in order.
fn parse_actions(parser: &mut Parser<'_, '_, '_>) -> Result<Vec<UpdateAction>, ParseError> {
    let mut actions = Vec::new();
    let mut seen = [false; 4];
    loop {
        let token = parser.lexer.next()?;
        if token == Token::Eof && !actions.is_empty() {
            if let Err(error) = check_paths(&actions) {
                parser.lexer.defer(Deferred::Paths, error);
            }
            return Ok(actions);
        }
        let Some(clause) = CLAUSES.iter().position(|c| token.is_keyword(c)) else {
            return Err(parser.lexer.syntax_error(&token));
        };
        if std::mem::replace(&mut seen[clause], true) {
            parser.lexer.defer(
                Deferred::Names,
                format!(
                    "The \"{}\" section can only be used once in an update expression;",
                    CLAUSES[clause]
                ),
            );
        }
        loop {
            actions.push(parse_action(parser, CLAUSES[clause])?);
            if parser.lexer.peek()? != Token::Symbol(',') {
                break;
            }
            parser.lexer.next()?;
        }
    }
}

fn parse_action(parser: &mut Parser<'_, '_, '_>, clause: &str) -> Result<UpdateAction, ParseError> {
    let path = parser.path()?;
    match clause {
        "SET" => {
            let token = parser.lexer.next()?;
            if token != Token::Comparator("=") {
                return Err(parser.lexer.syntax_error(&token));
            }
            let (value, _) = set_value(parser)?;
            check_set_value_types(&value)?;
            Ok(UpdateAction::Set(path, value))
        }
        "REMOVE" => Ok(UpdateAction::Remove(path)),
        "ADD" => {
            let value = parser.value()?;
            match value {
                AttributeValue::N(_) | AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
                    Ok(UpdateAction::Add(path, value))
                }
                other => Err(operand_type_error("ADD", &other)),
            }
        }
        _ => {
            let value = parser.value()?;
            match value {
                AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
                    Ok(UpdateAction::Delete(path, value))
                }
                other => Err(operand_type_error("DELETE", &other)),
            }
        }
    }
}

/// The right-hand side of SET: an operand, or two joined by `+` or `-`.
/// The whole, and each operand, may be in parentheses, but the operands of
/// `+` and `-` are single operands, not sums. The bool says whether the
/// value is one parenthesised group.
fn set_value(parser: &mut Parser<'_, '_, '_>) -> Result<(SetValue, bool), ParseError> {
    let (first, grouped) = if parser.lexer.peek()? == Token::Symbol('(') {
        parser.lexer.next()?;
        (parser.parenthesised(set_value)?, true)
    } else {
        (SetValue::Operand(set_operand(parser)?), false)
    };
    let plus = match parser.lexer.peek()? {
        Token::Symbol('+') => true,
        Token::Symbol('-') => false,
        _ => return Ok((first, grouped)),
    };
    let operator = parser.lexer.next()?;
    let SetValue::Operand(first) = first else {
        return Err(parser.lexer.syntax_error(&operator));
    };
    parser.count_operator()?;
    let second = set_operand(parser)?;
    check_not_list_append([&first, &second])?;
    Ok((
        if plus {
            SetValue::Plus(first, second)
        } else {
            SetValue::Minus(first, second)
        },
        false,
    ))
}

fn set_operand(parser: &mut Parser<'_, '_, '_>) -> Result<SetOperand, ParseError> {
    Ok(grouped_set_operand(parser)?.0)
}

/// A SET operand, perhaps in parentheses; the bool says whether it was.
fn grouped_set_operand(parser: &mut Parser<'_, '_, '_>) -> Result<(SetOperand, bool), ParseError> {
    if parser.lexer.peek()? == Token::Symbol('(') {
        parser.lexer.next()?;
        return Ok((parser.parenthesised(grouped_set_operand)?, true));
    }
    let operand = match (parser.lexer.peek()?, parser.lexer.peek_second()?) {
        (Token::ValuePlaceholder(_), _) => SetOperand::Value(parser.value()?),
        (Token::Name(name), Token::Symbol('(')) => {
            parser.lexer.next()?;
            parser.count_operator()?;
            parser.lexer.expect_symbol('(')?;
            let mut arguments = vec![set_operand(parser)?];
            while parser.lexer.peek()? == Token::Symbol(',') {
                parser.lexer.next()?;
                arguments.push(set_operand(parser)?);
            }
            parser.lexer.expect_symbol(')')?;
            // Other functions are reported once the whole expression reads.
            let unknown = match name {
                "if_not_exists" | "list_append" => None,
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains"
                | "size" => Some(format!(
                    "The function is not allowed in an update expression; function: {name}"
                )),
                _ => Some(format!("Invalid function name; function: {name}")),
            };
            if let Some(error) = unknown {
                parser.lexer.defer(Deferred::Names, error);
                // A stand-in: the expression is refused once read.
                return Ok((SetOperand::Value(AttributeValue::Null), false));
            }
            let [first, second]: [SetOperand; 2] = arguments.try_into().map_err(|arguments: Vec<SetOperand>| {
                format!(
                    "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                    arguments.len()
                )
            })?;
            if name == "if_not_exists" {
                let SetOperand::Path(path) = first else {
                    return Err(
                        "Operator or function requires a document path; operator or function: if_not_exists".into(),
                    );
                };
                if second == SetOperand::Path(path.clone()) {
                    return Err(distinct_error(name, &path));
                }
                check_not_list_append([&second])?;
                SetOperand::IfNotExists(path, Box::new(second))
            } else {
                for operand in [&first, &second] {
                    if let SetOperand::Value(value) = operand {
                        if !matches!(value, AttributeValue::L(_)) {
                            return Err(format!(
                                "Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                                value.type_name()
                            ));
                        }
                    }
                }
                check_not_list_append([&first, &second])?;
                SetOperand::ListAppend(Box::new(first), Box::new(second))
            }
        }
        _ => SetOperand::Path(parser.path()?),
    };
    Ok((operand, false))
}

/// list_append makes the whole value of a SET action: DynamoDB refuses it
/// as an operand of `+`, `-` or another function.
fn check_not_list_append<'o>(operands: impl IntoIterator<Item = &'o SetOperand>) -> Result<(), ParseError> {
    if operands
        .into_iter()
        .any(|operand| matches!(operand, SetOperand::ListAppend(..)))
    {
        return Err("The function is not allowed to be used this way in an expression; function: list_append".into());
    }
    Ok(())
}

fn check_set_value_types(value: &SetValue) -> Result<(), ParseError> {
    if let SetValue::Plus(a, b) | SetValue::Minus(a, b) = value {
        let operator = if matches!(value, SetValue::Plus(..)) { "+" } else { "-" };
        for operand in [a, b] {
            if let SetOperand::Value(value) = operand {
                if !matches!(value, AttributeValue::N(_)) {
                    return Err(format!(
                        "Incorrect operand type for operator or function; operator or function: {operator}, operand type: {}",
                        value.type_name()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// DynamoDB refuses two actions on one path, or on a path and a part of it,
/// or on paths that use one attribute as a map and as a list.
fn check_paths(actions: &[UpdateAction]) -> Result<(), ParseError> {
    for (i, a) in actions.iter().enumerate() {
        for b in &actions[..i] {
            check_disjoint(b.path(), a.path())?;
        }
    }
    Ok(())
}
