//! Recursive-descent parsing of conditions, shared by every expression
//! that contains them. Precedence, loosest first: OR, AND, NOT, then
//! comparisons, BETWEEN, IN and functions; parentheses group.

use super::condition::{Comparator, Condition, Operand};
use super::lexer::{Deferred, Lexer, ParseError, Token, REDUNDANT_PARENTHESES};
use super::path::{parse_path, DocumentPath};
use super::value::size;
use super::Placeholders;
use crate::model::AttributeValue;

/// DynamoDB's limits within one expression.
const MAX_OPERATORS: usize = 300;
const MAX_IN_OPERANDS: usize = 100;

pub(crate) struct Parser<'s, 'p, 'a> {
    pub lexer: Lexer<'s>,
    pub placeholders: &'p mut Placeholders<'a>,
    operators: usize,
    /// Parentheses currently open: bounded, so that parsing never recurses
    /// without limit.
    depth: usize,
}

pub(crate) fn parse_condition(text: &str, placeholders: &mut Placeholders<'_>) -> Result<Condition, ParseError> {
    let mut parser = Parser::new(text, placeholders);
    let result = parser.or().and_then(|(condition, _)| {
        parser.expect_end()?;
        Ok(condition)
    });
    parser.lexer.conclude(result)
}

fn type_error(operator: &str, value: &AttributeValue) -> ParseError {
    format!(
        "Incorrect operand type for operator or function; operator or function: {operator}, operand type: {}",
        value.type_name()
    )
}

/// The type error for `size(...)` given where a number is not allowed.
fn number_type_error(operator: &str) -> ParseError {
    format!("Incorrect operand type for operator or function; operator or function: {operator}, operand type: N")
}

fn update_function_in_condition(name: &str) -> ParseError {
    format!("The function is not allowed in a condition expression; function: {name}")
}

fn function_misuse(name: &str) -> ParseError {
    format!("The function is not allowed to be used this way in an expression; function: {name}")
}

impl<'s, 'p, 'a> Parser<'s, 'p, 'a> {
    pub fn new(text: &'s str, placeholders: &'p mut Placeholders<'a>) -> Self {
        Parser {
            lexer: Lexer::new(text),
            placeholders,
            operators: 0,
            depth: 0,
        }
    }

    pub fn expect_end(&mut self) -> Result<(), ParseError> {
        match self.lexer.next()? {
            Token::Eof => Ok(()),
            other => Err(self.lexer.syntax_error(&other)),
        }
    }

    pub fn count_operator(&mut self) -> Result<(), ParseError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(format!(
                "The expression contains too many operators; operator count: {}",
                self.operators
            ));
        }
        Ok(())
    }

    fn peek_keyword(&self, keyword: &str) -> Result<bool, ParseError> {
        Ok(self.lexer.peek()?.is_keyword(keyword))
    }

    /// The bool says whether the condition is a parenthesised group on its
    /// own, so that a group directly inside another can be refused as
    /// redundant, as DynamoDB does.
    pub fn or(&mut self) -> Result<(Condition, bool), ParseError> {
        let (mut left, mut group) = self.and()?;
        while self.peek_keyword("OR")? {
            self.lexer.next()?;
            self.count_operator()?;
            let (right, _) = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
            group = false;
        }
        Ok((left, group))
    }

    fn and(&mut self) -> Result<(Condition, bool), ParseError> {
        let (mut left, mut group) = self.not()?;
        while self.peek_keyword("AND")? {
            self.lexer.next()?;
            self.count_operator()?;
            let (right, _) = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
            group = false;
        }
        Ok((left, group))
    }

    fn not(&mut self) -> Result<(Condition, bool), ParseError> {
        if self.peek_keyword("NOT")? {
            self.lexer.next()?;
            self.count_operator()?;
            let (inner, _) = self.not()?;
            return Ok((Condition::Not(Box::new(inner)), false));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<(Condition, bool), ParseError> {
        if self.lexer.peek()? == Token::Symbol('(') {
            // A group, or a parenthesised operand such as `(a) = (:v)`. When
            // neither reads, DynamoDB reports the error of the reading that
            // got further, the operand's on a tie.
            let before = self.lexer.clone();
            let depth = self.depth;
            self.lexer.next()?;
            let group_error = match self.parenthesised(Self::or) {
                Ok(condition) => return Ok((condition, true)),
                Err(error) => error,
            };
            let group_lexer = std::mem::replace(&mut self.lexer, before);
            self.depth = depth;
            return match self.comparison() {
                Ok(condition) => Ok((condition, false)),
                Err(_) if group_lexer.position() > self.lexer.position() => {
                    self.lexer = group_lexer;
                    Err(group_error)
                }
                Err(error) => Err(error),
            };
        }
        if let (Token::Name(name), Token::Symbol('(')) = (self.lexer.peek()?, self.lexer.peek_second()?) {
            if name != "size" {
                let condition = self.function_condition(name)?;
                if let Token::Comparator(_) = self.lexer.peek()? {
                    return Err(function_misuse(name));
                }
                return Ok((condition, false));
            }
        }
        Ok((self.comparison()?, false))
    }

    /// Enters a parenthesis. Legitimate nesting needs an operator per level,
    /// so anything deeper than the operator limit is redundant parentheses.
    fn open_parenthesis(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_OPERATORS + 1 {
            return Err(REDUNDANT_PARENTHESES.into());
        }
        Ok(())
    }

    /// The inside of `( ... )`, after the opening parenthesis, read by
    /// `inner` (which says whether what it read is itself one group), and
    /// the closing parenthesis. DynamoDB refuses a group directly inside
    /// another as redundant once the outer one is closed.
    pub fn parenthesised<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<(T, bool), ParseError>,
    ) -> Result<T, ParseError> {
        self.open_parenthesis()?;
        let result = inner(self);
        self.depth -= 1;
        let (value, grouped) = result?;
        self.lexer.expect_symbol(')')?;
        if grouped {
            return Err(REDUNDANT_PARENTHESES.into());
        }
        Ok(value)
    }

    /// `operand comparator operand`, BETWEEN or IN.
    fn comparison(&mut self) -> Result<Condition, ParseError> {
        let left = self.operand()?;
        let token = self.lexer.next()?;
        let condition = match token {
            Token::Comparator(symbol) => {
                self.count_operator()?;
                let comparator = match symbol {
                    "=" => Comparator::Equal,
                    "<>" => Comparator::NotEqual,
                    "<" => Comparator::Less,
                    "<=" => Comparator::LessOrEqual,
                    ">" => Comparator::Greater,
                    _ => Comparator::GreaterOrEqual,
                };
                let right = self.operand()?;
                check_comparison(comparator, &left, &right)?;
                Condition::Compare(left, comparator, right)
            }
            ref keyword if keyword.is_keyword("BETWEEN") => {
                self.count_operator()?;
                let low = self.operand()?;
                let and = self.lexer.next()?;
                if !and.is_keyword("AND") {
                    return Err(self.lexer.syntax_error(&and));
                }
                let high = self.operand()?;
                check_distinct("BETWEEN", &left, [&low, &high])?;
                check_between(&low, &high)?;
                Condition::Between(left, low, high)
            }
            ref keyword if keyword.is_keyword("IN") => {
                self.count_operator()?;
                self.lexer.expect_symbol('(')?;
                let mut candidates = vec![self.operand()?];
                while self.lexer.peek()? == Token::Symbol(',') {
                    self.lexer.next()?;
                    candidates.push(self.operand()?);
                }
                self.lexer.expect_symbol(')')?;
                if candidates.len() > MAX_IN_OPERANDS {
                    return Err(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        candidates.len()
                    ));
                }
                check_distinct("IN", &left, &candidates)?;
                Condition::In(left, candidates)
            }
            other => {
                if let Operand::Size(_) = left {
                    return Err(function_misuse("size"));
                }
                return Err(self.lexer.syntax_error(&other));
            }
        };
        Ok(condition)
    }

    /// `name(arguments...)`
    fn arguments(&mut self) -> Result<Vec<Operand>, ParseError> {
        self.lexer.expect_symbol('(')?;
        let mut arguments = vec![self.operand()?];
        while self.lexer.peek()? == Token::Symbol(',') {
            self.lexer.next()?;
            arguments.push(self.operand()?);
        }
        self.lexer.expect_symbol(')')?;
        Ok(arguments)
    }

    /// A call of a function conditions do not have: reported once the
    /// whole expression reads; its arguments are read as any others.
    fn unknown_function(&mut self, name: &str) -> Result<Vec<Operand>, ParseError> {
        let error = match name {
            "if_not_exists" | "list_append" => update_function_in_condition(name),
            _ => format!("Invalid function name; function: {name}"),
        };
        self.lexer.defer(Deferred::Names, error);
        self.arguments()
    }

    fn function_condition(&mut self, name: &str) -> Result<Condition, ParseError> {
        self.lexer.next()?;
        self.count_operator()?;
        let expected = match name {
            "attribute_exists" | "attribute_not_exists" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            other => {
                let arguments = self.unknown_function(other)?;
                // A stand-in: the expression is refused once read.
                return Ok(Condition::In(Operand::Value(AttributeValue::Null), arguments));
            }
        };
        let mut arguments = self.arguments()?;
        if arguments.len() != expected {
            return Err(format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                arguments.len()
            ));
        }
        let second = if expected == 2 { arguments.pop() } else { None };
        let first = arguments.pop().expect("one argument at least");
        if name != "attribute_type" {
            check_distinct(name, &first, &second)?;
        }
        let path = |operand: Operand| match operand {
            Operand::Path(path) => Ok(path),
            _ => Err(format!(
                "Operator or function requires a document path; operator or function: {name}"
            )),
        };
        Ok(match name {
            "attribute_exists" => Condition::AttributeExists(path(first)?),
            "attribute_not_exists" => Condition::AttributeNotExists(path(first)?),
            "attribute_type" => {
                let type_name = second.expect("two arguments");
                if !matches!(type_name, Operand::Value(_)) {
                    // DynamoDB lists the type names it knows, in this order.
                    return Err("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {DOUBLESET,HD,DICT,DECIMAL,NULL,L,B,DOUBLE,N,BS,BOOL,S,SS,INTSET,INT,M,NS,FLOAT,FS,DECIMALSET,HDS}".into());
                }
                match &type_name {
                    Operand::Value(AttributeValue::S(t)) if VALID_TYPES.contains(&t.as_str()) => {}
                    Operand::Value(AttributeValue::S(t)) => {
                        return Err(format!(
                        "Invalid attribute type name found; type: {t}, valid types: {{N,BS,L,B,NULL,M,S,SS,NS,BOOL}}"
                    ))
                    }
                    Operand::Value(other) => return Err(type_error(name, other)),
                    _ => {}
                }
                Condition::AttributeType(path(first)?, type_name)
            }
            "begins_with" => {
                let prefix = second.expect("two arguments");
                for operand in [&first, &prefix] {
                    match operand {
                        Operand::Value(value) if !matches!(value, AttributeValue::S(_) | AttributeValue::B(_)) => {
                            return Err(type_error(name, value))
                        }
                        Operand::Size(_) => return Err(number_type_error(name)),
                        _ => {}
                    }
                }
                Condition::BeginsWith(first, prefix)
            }
            _ => Condition::Contains(first, second.expect("two arguments")),
        })
    }

    /// A condition operand: a path, a `:value`, or `size(...)`, perhaps in
    /// parentheses.
    pub fn operand(&mut self) -> Result<Operand, ParseError> {
        Ok(self.grouped_operand()?.0)
    }

    /// An operand; the bool says whether it was in parentheses.
    fn grouped_operand(&mut self) -> Result<(Operand, bool), ParseError> {
        let operand = match self.lexer.peek()? {
            Token::Symbol('(') => {
                self.lexer.next()?;
                return Ok((self.parenthesised(Self::grouped_operand)?, true));
            }
            Token::ValuePlaceholder(_) => Operand::Value(self.value()?),
            Token::Name(name) if self.lexer.peek_second()? == Token::Symbol('(') => {
                match name {
                    "size" => {}
                    "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with" | "contains" => {
                        return Err(function_misuse(name))
                    }
                    _ => {
                        self.lexer.next()?;
                        self.unknown_function(name)?;
                        // A stand-in: the expression is refused once read.
                        return Ok((Operand::Value(AttributeValue::Null), false));
                    }
                }
                self.lexer.next()?;
                self.count_operator()?;
                let mut arguments = self.arguments()?;
                if arguments.len() != 1 {
                    return Err(format!(
                        "Incorrect number of operands for operator or function; operator or function: size, number of operands: {}",
                        arguments.len()
                    ));
                }
                match arguments.pop().expect("one argument") {
                    Operand::Path(path) => Operand::Size(path),
                    // The size of a given value is known now.
                    Operand::Value(value) => Operand::Value(AttributeValue::N(
                        size(&value).ok_or_else(|| type_error("size", &value))?,
                    )),
                    Operand::Size(_) => return Err(number_type_error("size")),
                }
            }
            _ => Operand::Path(self.path()?),
        };
        Ok((operand, false))
    }

    pub fn path(&mut self) -> Result<DocumentPath, ParseError> {
        parse_path(&mut self.lexer, &mut self.placeholders.names)
    }

    /// A `:value` placeholder, resolved.
    pub fn value(&mut self) -> Result<AttributeValue, ParseError> {
        let token = self.lexer.next()?;
        let Token::ValuePlaceholder(placeholder) = token else {
            return Err(self.lexer.syntax_error(&token));
        };
        match self.placeholders.values.resolve(placeholder) {
            Some(value) => Ok(value.clone()),
            None => {
                self.lexer.defer(
                    Deferred::Rest,
                    format!(
                        "An expression attribute value used in expression is not defined; attribute value: {placeholder}"
                    ),
                );
                // A stand-in: the expression is refused once read.
                Ok(AttributeValue::Null)
            }
        }
    }
}

const VALID_TYPES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

fn is_scalar(value: &AttributeValue) -> bool {
    matches!(
        value,
        AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
    )
}

/// DynamoDB refuses an operator whose first operand is the same path as
/// another of its operands.
pub(crate) fn check_distinct<'o>(
    operator: &str,
    first: &Operand,
    others: impl IntoIterator<Item = &'o Operand>,
) -> Result<(), ParseError> {
    match first {
        Operand::Path(path) if others.into_iter().any(|other| other == first) => Err(distinct_error(operator, path)),
        _ => Ok(()),
    }
}

pub(crate) fn distinct_error(operator: &str, first: &DocumentPath) -> ParseError {
    format!(
        "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {first}"
    )
}

fn check_comparison(comparator: Comparator, left: &Operand, right: &Operand) -> Result<(), ParseError> {
    check_distinct(comparator.symbol(), left, [right])?;
    if !matches!(comparator, Comparator::Equal | Comparator::NotEqual) {
        for operand in [left, right] {
            if let Operand::Value(value) = operand {
                if !is_scalar(value) {
                    return Err(type_error(comparator.symbol(), value));
                }
            }
        }
    }
    Ok(())
}

fn check_between(low: &Operand, high: &Operand) -> Result<(), ParseError> {
    for operand in [low, high] {
        if let Operand::Value(value) = operand {
            if !is_scalar(value) {
                return Err(type_error("BETWEEN", value));
            }
        }
    }
    if let (Operand::Value(low), Operand::Value(high)) = (low, high) {
        let describe = |v: &AttributeValue| {
            let text = match v {
                AttributeValue::S(s) => s.clone(),
                AttributeValue::N(n) => n.to_string(),
                _ => "<binary>".to_string(),
            };
            format!("AttributeValue: {{{}:{text}}}", v.type_name())
        };
        match super::value::compare(low, high) {
            None => {
                return Err(format!(
                    "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: {}, upper bound operand: {}",
                    describe(low),
                    describe(high)
                ))
            }
            Some(std::cmp::Ordering::Greater) => {
                return Err(format!(
                    "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: {}, upper bound operand: {}",
                    describe(low),
                    describe(high)
                ))
            }
            _ => {}
        }
    }
    Ok(())
}
