//! DynamoDB's PartiQL dialect: the statements of ExecuteStatement,
//! BatchExecuteStatement and ExecuteTransaction, parsed into an AST
//! ([`parse`]), bound to their parameters and planned onto the engine's
//! operations ([`plan`]).
//!
//! The parser is hand-written and bounded like the expression parser: a
//! statement is at most [`MAX_STATEMENT_BYTES`], and nesting (parentheses,
//! NOT, AND/OR, values inside values) at most [`MAX_DEPTH`] levels, so
//! client input can neither panic it nor exhaust the stack.

mod bind;
mod lexer;
mod parser;
pub mod plan;
#[cfg(test)]
mod tests;

use crate::expression::condition::Comparator;
use crate::expression::path::DocumentPath;
pub use crate::Error;

pub use bind::{bind_condition, bind_update_actions, bind_value};

/// DynamoDB's limit on a statement's length (the API's PartiQLStatement).
pub const MAX_STATEMENT_BYTES: usize = 8192;
/// Levels of nesting a statement may have: as many as an expression's
/// operators, and more than an item's 32 levels of documents.
pub const MAX_DEPTH: usize = 300;
/// Operands of one IN, as in a condition expression.
pub const MAX_IN_OPERANDS: usize = 100;

/// A parsed statement, before its parameters are bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Select),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    /// `EXISTS(SELECT ...)`: a condition check, in transactions only.
    Exists(Select),
}

impl Statement {
    /// The table the statement names.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select(select) | Statement::Exists(select) => &select.table,
            Statement::Insert(insert) => &insert.table,
            Statement::Update(update) => &update.table,
            Statement::Delete(delete) => &delete.table,
        }
    }

    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `None` for `*`.
    pub projection: Option<Vec<DocumentPath>>,
    pub table: String,
    pub index: Option<String>,
    pub filter: Option<Expr>,
    /// ORDER BY: the attribute, and whether descending.
    pub order_by: Option<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: String,
    pub item: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub table: String,
    pub clauses: Vec<UpdateClause>,
    pub filter: Option<Expr>,
    pub returning: Option<Returning>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub table: String,
    pub filter: Option<Expr>,
    pub returning: Option<Returning>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UpdateClause {
    Set(DocumentPath, SetValue),
    Remove(DocumentPath),
}

/// The right-hand side of `SET path = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
    /// `set_add(path, <<...>>)`: the path must be the one SET assigns.
    SetAdd(DocumentPath, Value),
    SetDelete(DocumentPath, Value),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(DocumentPath),
    Value(Value),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    AllOld,
    AllNew,
    ModifiedOld,
    ModifiedNew,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    /// `IS [NOT] MISSING`; true when negated.
    IsMissing(DocumentPath, bool),
    /// `IS [NOT] NULL`; true when negated.
    IsNull(DocumentPath, bool),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    AttributeType(DocumentPath, Operand),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(DocumentPath),
    Value(Value),
    Size(DocumentPath),
}

/// A literal, or a `?` parameter, possibly inside collections.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    /// As written, sign included.
    Number(String),
    Bool(bool),
    Null,
    /// The n-th `?` of the statement, from 0.
    Parameter(usize),
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    /// `<<...>>`: a string or number set.
    Set(Vec<Value>),
}

/// DynamoDB's answer to a statement it cannot parse.
pub(crate) fn malformed(statement: &str) -> Error {
    Error::validation(format!("Statement wasn't well formed, can't be processed: {statement}"))
}

/// A parsed statement and how many `?` parameters it has.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub statement: Statement,
    pub parameters: usize,
}

/// Parses one statement.
pub fn parse(statement: &str) -> Result<Parsed, Error> {
    if statement.len() > MAX_STATEMENT_BYTES {
        return Err(Error::validation(format!(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENT_BYTES}"
        )));
    }
    let tokens = lexer::tokenize(statement)?;
    parser::Parser::new(statement, tokens).statement()
}
