//! A recursive-descent parser for DynamoDB's PartiQL statements. Every
//! recursion passes through [`Parser::enter`], which bounds the depth.

use super::lexer::{Spanned, Token};
use super::{
    malformed, Delete, Error, Expr, Insert, Operand, Parsed, Returning, Select, SetOperand, SetValue, Statement,
    Update, UpdateClause, Value, MAX_DEPTH, MAX_IN_OPERANDS,
};
use crate::expression::condition::Comparator;
use crate::expression::path::{DocumentPath, PathElement};

/// Words that end or join clauses: never the start of a path.
const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "IS",
    "FROM",
    "WHERE",
    "SET",
    "REMOVE",
    "RETURNING",
    "ORDER",
    "BY",
    "SELECT",
    "INSERT",
    "INTO",
    "VALUE",
    "UPDATE",
    "DELETE",
    "EXISTS",
    "MISSING",
    "NULL",
    "TRUE",
    "FALSE",
];

pub(crate) struct Parser<'s> {
    statement: &'s str,
    tokens: Vec<Spanned>,
    position: usize,
    depth: usize,
    parameters: usize,
    /// Where in a collection literal the parser is (`root.a.0`): DynamoDB
    /// takes parameters only as whole values.
    collection_path: Vec<String>,
    /// AND, OR and NOT operators so far: bounded, like an expression's, so
    /// that the condition tree built from a chain of them is shallow.
    operators: usize,
    /// The next map is an INSERT's item, whose attributes may be parameters.
    item_next: bool,
}

type Parse<T> = Result<T, Error>;

impl<'s> Parser<'s> {
    pub fn new(statement: &'s str, tokens: Vec<Spanned>) -> Self {
        Parser {
            statement,
            tokens,
            position: 0,
            depth: 0,
            parameters: 0,
            collection_path: Vec::new(),
            item_next: false,
            operators: 0,
        }
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.position.min(self.tokens.len() - 1)].token
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        &self.tokens[(self.position + ahead).min(self.tokens.len() - 1)].token
    }

    fn spanned(&self) -> &Spanned {
        &self.tokens[self.position.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if self.position < self.tokens.len() - 1 {
            self.position += 1;
        }
        token
    }

    fn malformed(&self) -> Error {
        malformed(self.statement)
    }

    fn keyword(&mut self, word: &str) -> bool {
        let found = self.peek().is(word);
        if found {
            self.next();
        }
        found
    }

    fn expect_keyword(&mut self, word: &str) -> Parse<()> {
        match self.keyword(word) {
            true => Ok(()),
            false => Err(self.malformed()),
        }
    }

    fn symbol(&mut self, symbol: char) -> bool {
        let found = *self.peek() == Token::Symbol(symbol);
        if found {
            self.next();
        }
        found
    }

    fn expect_symbol(&mut self, symbol: char) -> Parse<()> {
        match self.symbol(symbol) {
            true => Ok(()),
            false => Err(self.malformed()),
        }
    }

    /// Counts one AND, OR or NOT.
    fn operator(&mut self) -> Parse<()> {
        self.operators += 1;
        if self.operators > MAX_DEPTH {
            return Err(Error::validation(format!(
                "The statement has more than {MAX_DEPTH} AND, OR and NOT operators"
            )));
        }
        Ok(())
    }

    /// Runs `parse` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn enter<T>(&mut self, parse: impl FnOnce(&mut Self) -> Parse<T>) -> Parse<T> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::validation(format!(
                "Statement nesting has exceeded the maximum allowed depth of {MAX_DEPTH}"
            )));
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    pub fn statement(mut self) -> Parse<Parsed> {
        let statement = match self.next() {
            word if word.is("SELECT") => Statement::Select(self.select()?),
            word if word.is("INSERT") => Statement::Insert(self.insert()?),
            word if word.is("UPDATE") => Statement::Update(self.update()?),
            word if word.is("DELETE") => Statement::Delete(self.delete()?),
            word if word.is("EXISTS") => {
                self.expect_symbol('(')?;
                self.expect_keyword("SELECT")?;
                let select = self.select()?;
                self.expect_symbol(')')?;
                Statement::Exists(select)
            }
            _ => return Err(self.malformed()),
        };
        self.symbol(';');
        if *self.peek() != Token::End {
            return Err(self.malformed());
        }
        Ok(Parsed {
            statement,
            parameters: self.parameters,
        })
    }

    /// A table or index name: a word or a quoted identifier.
    fn name(&mut self) -> Parse<String> {
        match self.next() {
            Token::Quoted(name) => Ok(name),
            Token::Word(name) if !KEYWORDS.iter().any(|k| name.eq_ignore_ascii_case(k)) => Ok(name),
            _ => Err(self.malformed()),
        }
    }

    fn select(&mut self) -> Parse<Select> {
        let projection = if self.symbol('*') {
            None
        } else {
            let mut paths = vec![self.projected_path()?];
            while self.symbol(',') {
                paths.push(self.projected_path()?);
            }
            Some(paths)
        };
        self.expect_keyword("FROM")?;
        let table = self.name()?;
        let index = match self.symbol('.') {
            true => Some(self.name()?),
            false => None,
        };
        let filter = self.where_clause()?;
        let order_by = match self.keyword("ORDER") {
            true => {
                self.expect_keyword("BY")?;
                let attribute = self.name()?;
                let descending = match self.peek() {
                    word if word.is("DESC") => true,
                    word if word.is("ASC") => false,
                    _ => {
                        return Ok(Select {
                            projection,
                            table,
                            index,
                            filter,
                            order_by: Some((attribute, false)),
                        })
                    }
                };
                self.next();
                Some((attribute, descending))
            }
            false => None,
        };
        Ok(Select {
            projection,
            table,
            index,
            filter,
            order_by,
        })
    }

    /// A projected path; DynamoDB names anything else a path component.
    fn projected_path(&mut self) -> Parse<DocumentPath> {
        match self.peek() {
            Token::Word(_) | Token::Quoted(_) => self.path(),
            _ => {
                let at = self.spanned().at();
                Err(Error::validation(format!("Unexpected path component {at}")))
            }
        }
    }

    fn where_clause(&mut self) -> Parse<Option<Expr>> {
        match self.keyword("WHERE") {
            true => Ok(Some(self.or()?)),
            false => Ok(None),
        }
    }

    fn insert(&mut self) -> Parse<Insert> {
        self.expect_keyword("INTO")?;
        let table = self.name()?;
        self.expect_keyword("VALUE")?;
        if *self.peek() != Token::Symbol('{') {
            return Err(Error::validation(format!(
                "Unsupported format in item expression. Please use struct format {{...}} to express item values for insert statement. {}",
                self.spanned().at()
            )));
        }
        self.item_next = true;
        let item = self.value()?;
        if self.peek().is("RETURNING") {
            return Err(Error::validation("RETURNING is not supported in INSERT"));
        }
        Ok(Insert { table, item })
    }

    fn update(&mut self) -> Parse<Update> {
        let table = self.name()?;
        let mut clauses = Vec::new();
        loop {
            if self.keyword("SET") {
                loop {
                    let path = self.path()?;
                    if *self.peek() != Token::Comparator("=") {
                        return Err(self.malformed());
                    }
                    self.next();
                    clauses.push(UpdateClause::Set(path, self.set_value()?));
                    if !self.symbol(',') {
                        break;
                    }
                }
            } else if self.keyword("REMOVE") {
                loop {
                    clauses.push(UpdateClause::Remove(self.path()?));
                    if !self.symbol(',') {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if clauses.is_empty() {
            return Err(self.malformed());
        }
        let filter = self.where_clause()?;
        let returning = self.returning()?;
        Ok(Update {
            table,
            clauses,
            filter,
            returning,
        })
    }

    fn delete(&mut self) -> Parse<Delete> {
        self.expect_keyword("FROM")?;
        let table = self.name()?;
        let filter = self.where_clause()?;
        let returning = self.returning()?;
        Ok(Delete {
            table,
            filter,
            returning,
        })
    }

    fn returning(&mut self) -> Parse<Option<Returning>> {
        if !self.keyword("RETURNING") {
            return Ok(None);
        }
        let all = match self.next() {
            word if word.is("ALL") => true,
            word if word.is("MODIFIED") => false,
            _ => return Err(self.malformed()),
        };
        let new = match self.next() {
            word if word.is("NEW") => true,
            word if word.is("OLD") => false,
            _ => return Err(self.malformed()),
        };
        if !self.symbol('*') {
            return Err(Error::validation(
                "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
            ));
        }
        Ok(Some(match (all, new) {
            (true, false) => Returning::AllOld,
            (true, true) => Returning::AllNew,
            (false, false) => Returning::ModifiedOld,
            (false, true) => Returning::ModifiedNew,
        }))
    }

    fn set_value(&mut self) -> Parse<SetValue> {
        if let (Token::Word(word), Token::Symbol('(')) = (self.peek().clone(), self.peek_at(1)) {
            let add = word.eq_ignore_ascii_case("set_add");
            if add || word.eq_ignore_ascii_case("set_delete") {
                self.next();
                self.next();
                let path = self.path()?;
                self.expect_symbol(',')?;
                let value = self.value()?;
                self.expect_symbol(')')?;
                return Ok(match add {
                    true => SetValue::SetAdd(path, value),
                    false => SetValue::SetDelete(path, value),
                });
            }
        }
        let first = self.set_operand()?;
        if self.symbol('+') {
            return Ok(SetValue::Plus(first, self.set_operand()?));
        }
        if self.symbol('-') {
            return Ok(SetValue::Minus(first, self.set_operand()?));
        }
        Ok(SetValue::Operand(first))
    }

    fn set_operand(&mut self) -> Parse<SetOperand> {
        self.enter(|parser| {
            if let (Token::Word(word), Token::Symbol('(')) = (parser.peek().clone(), parser.peek_at(1)) {
                if !word.eq_ignore_ascii_case("list_append") {
                    return Err(Error::validation(format!("Unrecognized function: {word}")));
                }
                parser.next();
                parser.next();
                let first = parser.set_operand()?;
                parser.expect_symbol(',')?;
                let second = parser.set_operand()?;
                parser.expect_symbol(')')?;
                return Ok(SetOperand::ListAppend(Box::new(first), Box::new(second)));
            }
            match parser.peek() {
                Token::Word(word) if !is_value_word(word) => Ok(SetOperand::Path(parser.path()?)),
                Token::Quoted(_) => Ok(SetOperand::Path(parser.path()?)),
                _ => Ok(SetOperand::Value(parser.value()?)),
            }
        })
    }

    /// `name`, `"name"`, then `.name` and `[index]` steps.
    fn path(&mut self) -> Parse<DocumentPath> {
        let mut elements = vec![PathElement::Attribute(self.name()?)];
        loop {
            if self.symbol('.') {
                let name = match self.next() {
                    Token::Word(name) | Token::Quoted(name) => name,
                    _ => return Err(self.malformed()),
                };
                elements.push(PathElement::Attribute(name));
            } else if self.symbol('[') {
                let index = match self.next() {
                    Token::Number(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => digits
                        .parse::<usize>()
                        .map_err(|_| Error::validation("List index is too large"))?,
                    _ => return Err(self.malformed()),
                };
                self.expect_symbol(']')?;
                elements.push(PathElement::Index(index));
            } else {
                return Ok(DocumentPath(elements));
            }
        }
    }

    fn or(&mut self) -> Parse<Expr> {
        self.enter(|parser| {
            let mut left = parser.and()?;
            while parser.keyword("OR") {
                parser.operator()?;
                let right = parser.and()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            }
            Ok(left)
        })
    }

    fn and(&mut self) -> Parse<Expr> {
        self.enter(|parser| {
            let mut left = parser.not()?;
            while parser.keyword("AND") {
                parser.operator()?;
                let right = parser.not()?;
                left = Expr::And(Box::new(left), Box::new(right));
            }
            Ok(left)
        })
    }

    fn not(&mut self) -> Parse<Expr> {
        self.enter(|parser| match parser.keyword("NOT") {
            true => {
                parser.operator()?;
                Ok(Expr::Not(Box::new(parser.not()?)))
            }
            false => parser.predicate(),
        })
    }

    fn predicate(&mut self) -> Parse<Expr> {
        if self.symbol('(') {
            let inner = self.or()?;
            self.expect_symbol(')')?;
            return Ok(inner);
        }
        if let (Token::Word(word), Token::Symbol('(')) = (self.peek().clone(), self.peek_at(1)) {
            let function = word.to_ascii_lowercase();
            if function != "size" {
                self.next();
                self.next();
                let arguments = self.arguments()?;
                return function_condition(&function, &word, arguments);
            }
        }
        let left = self.operand()?;
        match self.peek().clone() {
            Token::Comparator(symbol) => {
                self.next();
                let right = self.operand()?;
                Ok(Expr::Compare(left, comparator(symbol), right))
            }
            word if word.is("BETWEEN") => {
                self.next();
                self.between(left)
            }
            word if word.is("IN") => {
                self.next();
                self.in_list(left)
            }
            word if word.is("NOT") => {
                self.next();
                let inner = match self.next() {
                    word if word.is("BETWEEN") => self.between(left)?,
                    word if word.is("IN") => self.in_list(left)?,
                    _ => return Err(self.malformed()),
                };
                Ok(Expr::Not(Box::new(inner)))
            }
            word if word.is("IS") => {
                self.next();
                let negated = self.keyword("NOT");
                let Operand::Path(path) = left else {
                    return Err(self.malformed());
                };
                match self.next() {
                    word if word.is("MISSING") => Ok(Expr::IsMissing(path, negated)),
                    word if word.is("NULL") => Ok(Expr::IsNull(path, negated)),
                    _ => Err(self.malformed()),
                }
            }
            Token::Word(_) | Token::End | Token::Symbol(')') | Token::Symbol(';') => {
                Err(Error::validation("The arguments to AND/OR must be Expressions"))
            }
            _ => Err(self.malformed()),
        }
    }

    fn between(&mut self, subject: Operand) -> Parse<Expr> {
        let low = self.operand()?;
        self.expect_keyword("AND")?;
        let high = self.operand()?;
        Ok(Expr::Between(subject, low, high))
    }

    /// `IN [a, b]` or `IN (a, b)`.
    fn in_list(&mut self, subject: Operand) -> Parse<Expr> {
        let close = match self.next() {
            Token::Symbol('[') => ']',
            Token::Symbol('(') => ')',
            _ => return Err(self.malformed()),
        };
        let mut candidates = Vec::new();
        loop {
            candidates.push(self.operand()?);
            if candidates.len() > MAX_IN_OPERANDS {
                return Err(Error::validation(format!(
                    "The IN operator accepts at most {MAX_IN_OPERANDS} operands"
                )));
            }
            if !self.symbol(',') {
                break;
            }
        }
        self.expect_symbol(close)?;
        Ok(Expr::In(subject, candidates))
    }

    /// A function's arguments, after its `(`, through its `)`.
    fn arguments(&mut self) -> Parse<Vec<Operand>> {
        let mut arguments = Vec::new();
        if self.symbol(')') {
            return Ok(arguments);
        }
        loop {
            arguments.push(self.operand()?);
            if arguments.len() > MAX_IN_OPERANDS {
                return Err(self.malformed());
            }
            if !self.symbol(',') {
                break;
            }
        }
        self.expect_symbol(')')?;
        Ok(arguments)
    }

    fn operand(&mut self) -> Parse<Operand> {
        match self.peek().clone() {
            Token::Word(word) if word.eq_ignore_ascii_case("size") && *self.peek_at(1) == Token::Symbol('(') => {
                self.next();
                self.next();
                let path = self.path()?;
                if !self.symbol(')') {
                    return Err(self.malformed());
                }
                Ok(Operand::Size(path))
            }
            Token::Word(word) if !is_value_word(&word) => Ok(Operand::Path(self.path()?)),
            Token::Quoted(_) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Value(self.value()?)),
        }
    }

    /// A literal or parameter, collections included.
    fn value(&mut self) -> Parse<Value> {
        self.enter(|parser| {
            let spanned = parser.spanned().clone();
            match parser.next() {
                Token::Text(text) => Ok(Value::String(text)),
                Token::Number(digits) => Ok(Value::Number(digits)),
                Token::Symbol(sign @ ('-' | '+')) => match parser.next() {
                    Token::Number(digits) if sign == '-' => Ok(Value::Number(format!("-{digits}"))),
                    Token::Number(digits) => Ok(Value::Number(digits)),
                    _ => Err(parser.malformed()),
                },
                Token::Parameter if !parser.collection_path.is_empty() => Err(Error::validation(format!(
                    "Unsupported data type: Parameter under key root.{} {}",
                    parser.collection_path.join("."),
                    spanned.at()
                ))),
                Token::Parameter => {
                    parser.parameters += 1;
                    Ok(Value::Parameter(parser.parameters - 1))
                }
                word if word.is("TRUE") => Ok(Value::Bool(true)),
                word if word.is("FALSE") => Ok(Value::Bool(false)),
                word if word.is("NULL") => Ok(Value::Null),
                word if word.is("MISSING") => Err(Error::validation(format!(
                    "Unsupported data type: MISSING under key root {}",
                    spanned.at()
                ))),
                Token::Symbol('[') => Ok(Value::List(parser.values(']')?)),
                Token::BagOpen => {
                    let members = parser.bag()?;
                    if members.is_empty() {
                        return Err(Error::validation(format!(
                            "Empty bags are not supported {}",
                            spanned.at()
                        )));
                    }
                    Ok(Value::Set(members))
                }
                Token::Symbol('{') => parser.map(),
                Token::Quoted(name) => Err(Error::validation(format!(
                    "Unsupported data type: {name} under key root {}",
                    spanned.at()
                ))),
                _ => Err(parser.malformed()),
            }
        })
    }

    /// Comma-separated values through `close`.
    fn values(&mut self, close: char) -> Parse<Vec<Value>> {
        let mut values = Vec::new();
        if self.symbol(close) {
            return Ok(values);
        }
        loop {
            self.collection_path.push(values.len().to_string());
            let value = self.value();
            self.collection_path.pop();
            values.push(value?);
            if !self.symbol(',') {
                break;
            }
        }
        self.expect_symbol(close)?;
        Ok(values)
    }

    fn bag(&mut self) -> Parse<Vec<Value>> {
        let mut values = Vec::new();
        if *self.peek() == Token::BagClose {
            self.next();
            return Ok(values);
        }
        loop {
            if *self.peek() == Token::Parameter {
                return Err(Error::validation(format!(
                    "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags {}",
                    self.spanned().at()
                )));
            }
            values.push(self.value()?);
            if !self.symbol(',') {
                break;
            }
        }
        match self.next() {
            Token::BagClose => Ok(values),
            _ => Err(self.malformed()),
        }
    }

    fn map(&mut self) -> Parse<Value> {
        let item = std::mem::take(&mut self.item_next);
        let mut entries: Vec<(String, Value)> = Vec::new();
        if self.symbol('}') {
            return Ok(Value::Map(entries));
        }
        loop {
            let spanned = self.spanned().clone();
            let key = match self.next() {
                Token::Text(key) => key,
                Token::Word(_) | Token::Quoted(_) => {
                    return Err(Error::validation(format!(
                        "Tuple keys must be of type String. Actual type: VariableReference under root {}",
                        spanned.at()
                    )))
                }
                _ => return Err(self.malformed()),
            };
            if key.is_empty() {
                return Err(Error::validation("Path component cannot be an empty string"));
            }
            if entries.iter().any(|(existing, _)| *existing == key) {
                return Err(Error::validation(format!(
                    "Duplicate keys in tuple. Key: {key} under root {}",
                    spanned.at()
                )));
            }
            self.expect_symbol(':')?;
            if item {
                entries.push((key, self.value()?));
            } else {
                self.collection_path.push(key.clone());
                let value = self.value();
                self.collection_path.pop();
                entries.push((key, value?));
            }
            if !self.symbol(',') {
                break;
            }
        }
        self.expect_symbol('}')?;
        Ok(Value::Map(entries))
    }
}

/// Words that are values rather than attribute names.
fn is_value_word(word: &str) -> bool {
    ["TRUE", "FALSE", "NULL", "MISSING"]
        .iter()
        .any(|value| word.eq_ignore_ascii_case(value))
}

fn comparator(symbol: &str) -> Comparator {
    match symbol {
        "=" => Comparator::Equal,
        "<>" => Comparator::NotEqual,
        "<" => Comparator::Less,
        "<=" => Comparator::LessOrEqual,
        ">" => Comparator::Greater,
        _ => Comparator::GreaterOrEqual,
    }
}

/// A function used as a condition: `begins_with`, `contains`,
/// `attribute_type`, with DynamoDB's errors for others.
fn function_condition(function: &str, written: &str, arguments: Vec<Operand>) -> Parse<Expr> {
    let expected = match function {
        "begins_with" | "contains" | "attribute_type" => 2,
        _ => return Err(Error::validation(format!("Unrecognized function: {written}"))),
    };
    if arguments.len() != expected {
        return Err(Error::validation(format!(
            "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {}",
            arguments.len()
        )));
    }
    let mut arguments = arguments.into_iter();
    let (first, second) = (arguments.next().expect("two"), arguments.next().expect("two"));
    match function {
        "begins_with" => Ok(Expr::BeginsWith(first, second)),
        "contains" => Ok(Expr::Contains(first, second)),
        _ => match first {
            Operand::Path(path) => Ok(Expr::AttributeType(path, second)),
            _ => Err(Error::validation(
                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: not a path",
            )),
        },
    }
}
