//! Amazon Ion text, the subset DynamoDB's exports write and its imports
//! read: one value a line, each after the version marker `$ion_1_0`
//! (`$ion_1_0 {Item:{...}}`). DynamoDB maps its types to Ion's as
//! string (S), decimal (N), blob (B), bool (BOOL), null (NULL), struct
//! (M), list (L), and lists annotated `$dynamodb_SS::`, `$dynamodb_NS::`
//! or `$dynamodb_BS::` for its sets.
//!
//! The reader takes Ion text more broadly than DynamoDB writes it (ints,
//! floats written as decimals, comments, long strings, values spread
//! over lines, typed nulls) and refuses what has no DynamoDB type
//! (timestamps, symbols as values, clobs, S-expressions, NaN and
//! infinities). It turns each value into DynamoDB JSON and checks it as
//! the JSON import does, so both formats refuse the same items with the
//! same messages. Nesting is bounded before the item's own limit is
//! checked, so no input can exhaust the stack.
//!
//! Hand-written rather than the `ion-rs` crate: the subset is small, and
//! the crate brings a binary format, symbol tables, big integers and a
//! timestamp library the exports never use.

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use halyard_engine::model::{AttributeValue, Item, Number};
use halyard_engine::ItemChange;
use serde_json::{Map, Value};

use crate::attribute_value::item_from_json;

/// Containers (structs and lists) a value may open inside one another
/// while it is read; DynamoDB's own, lower, limit is checked after.
const MAX_DEPTH: usize = 64;

/// The version marker every line starts with.
const VERSION_MARKER: &str = "$ion_1_0";

// ---------------------------------------------------------------- writing

/// A full export's line: `$ion_1_0 {Item:{...}}`.
pub(crate) fn item_line(item: &Item) -> Vec<u8> {
    let mut line = format!("{VERSION_MARKER} {{Item:");
    write_struct(&mut line, item);
    line.push('}');
    line.into_bytes()
}

/// An incremental export's line, shaped as the DynamoDB JSON one: the
/// write's time, the item's keys, its new image (absent when deleted) and,
/// in NEW_AND_OLD_IMAGES, its old one (absent when new).
pub(crate) fn change_line(change: &ItemChange, with_old: bool) -> Vec<u8> {
    let mut line = format!(
        "{VERSION_MARKER} {{Metadata:{{WriteTimestampMicros:{}}},Keys:",
        decimal(&Number::parse(&change.written_micros.to_string()).expect("a count is a number"))
    );
    write_struct(&mut line, &change.key);
    if let Some(new) = &change.new {
        line.push_str(",NewImage:");
        write_struct(&mut line, new);
    }
    if let (true, Some(old)) = (with_old, &change.old) {
        line.push_str(",OldImage:");
        write_struct(&mut line, old);
    }
    line.push('}');
    line.into_bytes()
}

fn write_struct(out: &mut String, item: &Item) {
    out.push('{');
    for (index, (name, value)) in item.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_symbol(out, name);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

fn write_list<T>(out: &mut String, annotation: &str, members: &[T], mut write: impl FnMut(&mut String, &T)) {
    out.push_str(annotation);
    out.push('[');
    for (index, member) in members.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write(out, member);
    }
    out.push(']');
}

fn write_value(out: &mut String, value: &AttributeValue) {
    match value {
        AttributeValue::S(text) => write_string(out, text),
        AttributeValue::N(number) => out.push_str(&decimal(number)),
        AttributeValue::B(bytes) => write_blob(out, bytes),
        AttributeValue::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        AttributeValue::Null => out.push_str("null"),
        AttributeValue::M(map) => write_struct(out, map),
        AttributeValue::L(list) => write_list(out, "", list, write_value),
        AttributeValue::Ss(set) => write_list(out, "$dynamodb_SS::", set, |out, s| write_string(out, s)),
        AttributeValue::Ns(set) => write_list(out, "$dynamodb_NS::", set, |out, n| out.push_str(&decimal(n))),
        AttributeValue::Bs(set) => write_list(out, "$dynamodb_BS::", set, |out, b| write_blob(out, b)),
    }
}

/// A number as an Ion decimal, as DynamoDB writes them: its digits without
/// trailing zeros and the exponent (`103.`, `6d2` for 600, `15d-1` for 1.5).
fn decimal(number: &Number) -> String {
    let parts = number.parts();
    if parts.digits.is_empty() {
        return "0.".to_string();
    }
    let digits = std::str::from_utf8(parts.digits).expect("ASCII digits");
    let sign = if parts.negative { "-" } else { "" };
    match parts.exponent - parts.digits.len() as i32 {
        0 => format!("{sign}{digits}."),
        exponent => format!("{sign}{digits}d{exponent}"),
    }
}

fn write_blob(out: &mut String, bytes: &[u8]) {
    out.push_str("{{");
    out.push_str(&BASE64.encode(bytes));
    out.push_str("}}");
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    write_escaped(out, text, '"');
    out.push('"');
}

/// A field name: bare when it is an identifier that cannot be read as
/// something else, quoted otherwise.
fn write_symbol(out: &mut String, name: &str) {
    let bytes = name.as_bytes();
    let identifier = bytes.first().is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && !matches!(name, "true" | "false" | "null" | "nan");
    if identifier {
        out.push_str(name);
    } else {
        out.push('\'');
        write_escaped(out, name, '\'');
        out.push('\'');
    }
}

fn write_escaped(out: &mut String, text: &str, quote: char) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

// ---------------------------------------------------------------- reading

/// The items of an Ion import object, each with the line it starts on:
/// `{Item:{...}}` values, version markers and symbol tables skipped. A
/// value that cannot be read is reported, and reading goes on from the
/// next line that starts a value (`$` or `{` in its first column).
pub(crate) fn items(text: &str) -> Vec<(usize, Result<Item, String>)> {
    let mut reader = Reader::new(text);
    let mut items = Vec::new();
    loop {
        if let Err(message) = reader.skip_space() {
            items.push((reader.line(), Err(message)));
            break;
        }
        if reader.at_end() {
            break;
        }
        let start = reader.pos;
        let line = reader.line();
        match reader.top_level() {
            Ok(Some(value)) => items.push((line, item_of(value))),
            Ok(None) => {}
            Err(message) => {
                items.push((line, Err(message)));
                reader.resync(start);
            }
        }
    }
    items
}

/// The item in a top-level value read as DynamoDB JSON (`{"M": {"Item": {"M": ...}}}`).
fn item_of(value: Value) -> Result<Item, String> {
    let item = match value {
        Value::Object(mut top) => match top.remove("M") {
            Some(Value::Object(mut fields)) => match fields.remove("Item") {
                Some(Value::Object(mut item)) => item.remove("M"),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    match item {
        Some(Value::Object(item)) => item_from_json(&item).map_err(|e| e.to_string()),
        _ => Err("the value has no Item struct".to_string()),
    }
}

/// A DynamoDB set an annotation asks for.
#[derive(Clone, Copy)]
enum SetKind {
    Strings,
    Numbers,
    Binaries,
}

impl SetKind {
    fn of(annotations: &[String]) -> Result<Option<SetKind>, String> {
        let mut kind = None;
        for annotation in annotations {
            let Some(name) = annotation.strip_prefix("$dynamodb_") else {
                continue;
            };
            kind = Some(match name {
                "SS" => SetKind::Strings,
                "NS" => SetKind::Numbers,
                "BS" => SetKind::Binaries,
                _ => return Err(format!("unknown annotation {annotation}")),
            });
        }
        Ok(kind)
    }

    /// The wire type and the type its members have.
    fn types(self) -> (&'static str, &'static str) {
        match self {
            SetKind::Strings => ("SS", "S"),
            SetKind::Numbers => ("NS", "N"),
            SetKind::Binaries => ("BS", "B"),
        }
    }
}

fn wire(kind: &str, content: Value) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert(kind.to_string(), content);
    Value::Object(map)
}

fn is_identifier_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_identifier_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// What may follow a number or a keyword.
fn is_stop(b: Option<u8>) -> bool {
    match b {
        None => true,
        Some(b) => b.is_ascii_whitespace() || b"{}[](),\"'/".contains(&b) || b == 0x0b || b == 0x0c,
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Lines counted up to `counted` (top-level positions only grow).
    counted: usize,
    lines: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            counted: 0,
            lines: 1,
        }
    }

    fn line(&mut self) -> usize {
        if self.pos > self.counted {
            self.lines += self.bytes[self.counted..self.pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.counted = self.pos;
        }
        self.lines
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn error<T>(&self, what: impl std::fmt::Display) -> Result<T, String> {
        Err(format!("not valid Ion: {what}"))
    }

    /// Moves to the next line after `from` that starts a value.
    fn resync(&mut self, from: usize) {
        let mut at = from;
        loop {
            match self.bytes[at..].iter().position(|&b| b == b'\n') {
                None => {
                    self.pos = self.bytes.len();
                    return;
                }
                Some(offset) => at += offset + 1,
            }
            if matches!(self.bytes.get(at), Some(b'$' | b'{')) {
                self.pos = at;
                return;
            }
        }
    }

    /// Skips whitespace and comments.
    fn skip_space(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() || b == 0x0b => self.pos += 1,
                Some(b'/') if self.peek_at(1) == Some(b'/') => {
                    self.pos = self.bytes[self.pos..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(self.bytes.len(), |offset| self.pos + offset);
                }
                Some(b'/') if self.peek_at(1) == Some(b'*') => match self.rest()[2..].find("*/") {
                    Some(offset) => self.pos += offset + 4,
                    None => return self.error("a comment is not closed"),
                },
                _ => return Ok(()),
            }
        }
    }

    /// A top-level value: `None` for a version marker or a symbol table.
    fn top_level(&mut self) -> Result<Option<Value>, String> {
        if let Some(rest) = self.rest().strip_prefix("$ion_") {
            let marker_end = rest.bytes().position(|b| !is_identifier_part(b)).unwrap_or(rest.len());
            let after = self.pos + 5 + marker_end;
            let annotation = self.text[after..].trim_start().starts_with("::");
            if !annotation {
                if &self.text[self.pos..after] != VERSION_MARKER {
                    return self.error(format_args!(
                        "unsupported version marker {}",
                        &self.text[self.pos..after]
                    ));
                }
                self.pos = after;
                return Ok(None);
            }
        }
        let annotations = self.annotations()?;
        let value = self.annotated_value(&annotations, 0)?;
        if annotations.iter().any(|a| a == "$ion_symbol_table") {
            return Ok(None);
        }
        Ok(Some(value))
    }

    /// `name::` prefixes.
    fn annotations(&mut self) -> Result<Vec<String>, String> {
        let mut annotations = Vec::new();
        loop {
            self.skip_space()?;
            let start = self.pos;
            let symbol = match self.peek() {
                Some(b'\'') if !self.rest().starts_with("'''") => self.quoted('\'')?,
                Some(b) if is_identifier_start(b) => self.identifier().to_string(),
                _ => return Ok(annotations),
            };
            self.skip_space()?;
            if !self.rest().starts_with("::") {
                self.pos = start;
                return Ok(annotations);
            }
            self.pos += 2;
            annotations.push(symbol);
        }
    }

    fn identifier(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_identifier_part) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn annotated_value(&mut self, annotations: &[String], depth: usize) -> Result<Value, String> {
        let set = SetKind::of(annotations)?;
        self.skip_space()?;
        if set.is_some() && self.peek() != Some(b'[') {
            return self.error("a $dynamodb_ set annotation must be on a list");
        }
        match self.peek() {
            None => self.error("a value is missing"),
            Some(b'{') if self.peek_at(1) == Some(b'{') => self.blob(),
            Some(b'{') => self.structure(depth + 1),
            Some(b'[') => self.list(depth + 1, set),
            Some(b'(') => self.error("S-expressions have no DynamoDB type"),
            Some(b'"') => Ok(wire("S", Value::String(self.quoted('"')?))),
            Some(b'\'') if self.rest().starts_with("'''") => Ok(wire("S", Value::String(self.long_strings()?))),
            Some(b'\'') => self.error("symbols have no DynamoDB type"),
            Some(b'-' | b'+' | b'0'..=b'9') => self.number(),
            Some(b) if is_identifier_start(b) => self.keyword(),
            Some(b) => self.error(format_args!("unexpected character '{}'", b as char)),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        let annotations = self.annotations()?;
        self.annotated_value(&annotations, depth)
    }

    fn enter(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return self.error(format_args!("containers nested more than {MAX_DEPTH} deep"));
        }
        Ok(())
    }

    fn keyword(&mut self) -> Result<Value, String> {
        let word = self.identifier();
        let value = match word {
            "true" => wire("BOOL", Value::Bool(true)),
            "false" => wire("BOOL", Value::Bool(false)),
            "null" => {
                // A typed null (`null.string`) is a null all the same.
                if self.peek() == Some(b'.') {
                    self.pos += 1;
                    let kind = self.identifier();
                    let known = [
                        "null",
                        "bool",
                        "int",
                        "float",
                        "decimal",
                        "timestamp",
                        "string",
                        "symbol",
                        "blob",
                        "clob",
                        "struct",
                        "list",
                        "sexp",
                    ];
                    if !known.contains(&kind) {
                        return self.error(format_args!("unknown null type null.{kind}"));
                    }
                }
                wire("NULL", Value::Bool(true))
            }
            "nan" => return self.error("nan is not a DynamoDB number"),
            _ => return self.error(format_args!("symbols have no DynamoDB type ({word})")),
        };
        if !is_stop(self.peek()) {
            return self.error(format_args!("unexpected text after {word}"));
        }
        Ok(value)
    }

    /// An int, decimal or float, as DynamoDB number text.
    fn number(&mut self) -> Result<Value, String> {
        if self.rest().starts_with("+inf") || self.rest().starts_with("-inf") {
            return self.error("infinity is not a DynamoDB number");
        }
        let start = self.pos;
        while !is_stop(self.peek()) {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        match number_text(token) {
            Some(text) => Ok(wire("N", Value::String(text))),
            None => self.error(format_args!("{token:?} is not an Ion number")),
        }
    }

    fn blob(&mut self) -> Result<Value, String> {
        self.pos += 2;
        let mut encoded = String::new();
        loop {
            self.skip_space()?;
            match self.peek() {
                None => return self.error("a blob is not closed"),
                Some(b'}') if self.peek_at(1) == Some(b'}') => {
                    self.pos += 2;
                    break;
                }
                Some(b'"' | b'\'') => return self.error("clobs have no DynamoDB type"),
                Some(b) if b.is_ascii_alphanumeric() || b"+/=".contains(&b) => {
                    encoded.push(b as char);
                    self.pos += 1;
                }
                Some(b) => return self.error(format_args!("unexpected character '{}' in a blob", b as char)),
            }
        }
        let bytes = BASE64
            .decode(encoded.as_bytes())
            .or_else(|_| self.error("a blob is not valid base64"))?;
        Ok(wire("B", Value::String(BASE64.encode(bytes))))
    }

    fn structure(&mut self, depth: usize) -> Result<Value, String> {
        self.enter(depth)?;
        self.pos += 1;
        let mut fields = Map::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(wire("M", Value::Object(fields)));
            }
            let name = self.field_name()?;
            self.skip_space()?;
            if self.peek() != Some(b':') || self.peek_at(1) == Some(b':') {
                return self.error(format_args!("expected ':' after the field name {name:?}"));
            }
            self.pos += 1;
            let value = self.value(depth)?;
            if fields.contains_key(&name) {
                return self.error(format_args!("the field {name:?} appears twice"));
            }
            fields.insert(name, value);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return self.error("expected ',' or '}' in a struct"),
            }
        }
    }

    fn field_name(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(b'"') => self.quoted('"'),
            Some(b'\'') if self.rest().starts_with("'''") => self.long_strings(),
            Some(b'\'') => self.quoted('\''),
            Some(b) if is_identifier_start(b) => {
                let name = self.identifier();
                if name.len() > 1 && name.starts_with('$') && name[1..].bytes().all(|b| b.is_ascii_digit()) {
                    return self.error(format_args!("symbol ids such as {name} are not supported"));
                }
                Ok(name.to_string())
            }
            _ => self.error("expected a field name"),
        }
    }

    fn list(&mut self, depth: usize, set: Option<SetKind>) -> Result<Value, String> {
        self.enter(depth)?;
        self.pos += 1;
        let mut members = Vec::new();
        loop {
            self.skip_space()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                break;
            }
            members.push(self.value(depth)?);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return self.error("expected ',' or ']' in a list"),
            }
        }
        let Some(set) = set else {
            return Ok(wire("L", Value::Array(members)));
        };
        let (set_type, member_type) = set.types();
        let members = members
            .into_iter()
            .map(|member| match member {
                Value::Object(mut map) => map.remove(member_type),
                _ => None,
            })
            .collect::<Option<Vec<Value>>>();
        match members {
            Some(members) => Ok(wire(set_type, Value::Array(members))),
            None => self.error(format_args!(
                "a $dynamodb_{set_type} list holds only {member_type} values"
            )),
        }
    }

    /// A string or quoted symbol in `quote`s, its escapes resolved.
    fn quoted(&mut self, quote: char) -> Result<String, String> {
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return self.error("a string is not closed");
            };
            self.pos += c.len_utf8();
            match c {
                c if c == quote => return Ok(text),
                '\\' => self.escape(&mut text)?,
                '\n' | '\r' => return self.error("a line break inside a quoted string"),
                c => text.push(c),
            }
        }
    }

    /// One or more `'''long strings'''`, concatenated as Ion reads them.
    fn long_strings(&mut self) -> Result<String, String> {
        let mut text = String::new();
        while self.rest().starts_with("'''") {
            self.pos += 3;
            loop {
                if self.rest().starts_with("'''") {
                    self.pos += 3;
                    break;
                }
                let Some(c) = self.rest().chars().next() else {
                    return self.error("a long string is not closed");
                };
                self.pos += c.len_utf8();
                match c {
                    '\\' => self.escape(&mut text)?,
                    c => text.push(c),
                }
            }
            let after = self.pos;
            self.skip_space()?;
            if !self.rest().starts_with("'''") {
                self.pos = after;
            }
        }
        Ok(text)
    }

    fn hex(&mut self, digits: usize) -> Result<u32, String> {
        let code = self
            .text
            .get(self.pos..self.pos + digits)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok());
        match code {
            Some(code) => {
                self.pos += digits;
                Ok(code)
            }
            None => self.error("a bad escape"),
        }
    }

    /// The escape after a backslash.
    fn escape(&mut self, text: &mut String) -> Result<(), String> {
        let Some(c) = self.rest().chars().next() else {
            return self.error("a string is not closed");
        };
        self.pos += c.len_utf8();
        let code = match c {
            'a' => 0x07,
            'b' => 0x08,
            't' => 0x09,
            'n' => 0x0a,
            'v' => 0x0b,
            'f' => 0x0c,
            'r' => 0x0d,
            '0' => 0,
            '?' | '/' | '\'' | '"' | '\\' => c as u32,
            'x' => self.hex(2)?,
            'u' => self.hex(4)?,
            'U' => self.hex(8)?,
            // An escaped line break continues the string.
            '\n' => return Ok(()),
            '\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
                return Ok(());
            }
            _ => return self.error(format_args!("the escape \\{c}")),
        };
        let code = if (0xd800..0xdc00).contains(&code) {
            // A surrogate pair, as \uD83D\uDE00.
            if !self.rest().starts_with("\\u") {
                return self.error("an unpaired surrogate");
            }
            self.pos += 2;
            let low = self.hex(4)?;
            if !(0xdc00..0xe000).contains(&low) {
                return self.error("an unpaired surrogate");
            }
            0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
        } else {
            code
        };
        match char::from_u32(code) {
            Some(c) => {
                text.push(c);
                Ok(())
            }
            None => self.error("an escape that is not a character"),
        }
    }
}

/// An Ion int, decimal or float token as DynamoDB number text (`6d2` →
/// `6e2`, `0x1F` → `31`); `None` if it is none of them. Ion's rules: no
/// leading zeros, underscores only between digits.
fn number_text(token: &str) -> Option<String> {
    let (negative, unsigned) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let sign = if negative { "-" } else { "" };
    let radix = match unsigned.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = &unsigned[2..];
        if !underscores_between_digits(digits, radix) {
            return None;
        }
        let value = u128::from_str_radix(&digits.replace('_', ""), radix).ok()?;
        return Some(format!("{sign}{value}"));
    }
    let bytes = unsigned.as_bytes();
    let integer_end = bytes
        .iter()
        .position(|b| !b.is_ascii_digit() && *b != b'_')
        .unwrap_or(bytes.len());
    let (integer, mut rest) = unsigned.split_at(integer_end);
    let leading_zero = integer.len() > 1 && integer.starts_with('0');
    if integer.is_empty() || leading_zero || !underscores_between_digits(integer, 10) {
        return None;
    }
    let mut text = format!("{sign}{}", integer.replace('_', ""));
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .bytes()
            .position(|b| !b.is_ascii_digit() && b != b'_')
            .unwrap_or(fraction.len());
        if end > 0 && !underscores_between_digits(&fraction[..end], 10) {
            return None;
        }
        text.push('.');
        text.push_str(&fraction[..end].replace('_', ""));
        rest = &fraction[end..];
    }
    if let Some(exponent) = rest.strip_prefix(['d', 'D', 'e', 'E']) {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.push('e');
        text.push_str(exponent);
        rest = "";
    }
    rest.is_empty().then_some(text)
}

fn underscores_between_digits(digits: &str, radix: u32) -> bool {
    let bytes = digits.as_bytes();
    let digit = |at: Option<&u8>| at.is_some_and(|b| (*b as char).is_digit(radix));
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(at, b)| match b {
            b'_' => at > 0 && digit(bytes.get(at - 1)) && digit(bytes.get(at + 1)),
            b => (*b as char).is_digit(radix),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// The JSON a test compares items by.
    fn wire_item(item: &Item) -> Value {
        json!({ "Item": crate::attribute_value::item_to_json(item) })
    }

    fn parse_one(text: &str) -> Result<Item, String> {
        let mut items = items(text);
        assert_eq!(items.len(), 1, "{text}: {items:?}");
        items.remove(0).1
    }

    fn item(value: Value) -> Item {
        item_from_json(value.as_object().unwrap()).unwrap()
    }

    #[test]
    fn writes_dynamodbs_layout() {
        let book = item(json!({
            "Authors": {"SS": ["Author1", "Author2"]}, "Id": {"N": "103"}, "Price": {"N": "2000"},
            "InPublication": {"BOOL": false}, "Ratio": {"N": "-1.5"}, "Cover": {"B": "AAH+/w=="},
            "Gone": {"NULL": true}, "Sizes": {"NS": ["600", "0.25"]}, "Bits": {"BS": ["AQ=="]},
            "Nested": {"M": {"in list": {"L": [{"S": "a\"b\\c\n"}, {"M": {}}]}}}, "null": {"S": "x"},
        }));
        assert_eq!(
            String::from_utf8(item_line(&book)).unwrap(),
            "$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],Bits:$dynamodb_BS::[{{AQ==}}],\
             Cover:{{AAH+/w==}},Gone:null,Id:103.,InPublication:false,Nested:{'in list':[\"a\\\"b\\\\c\\n\",{}]},\
             Price:2d3,Ratio:-15d-1,Sizes:$dynamodb_NS::[6d2,25d-2],'null':\"x\"}}"
        );
        assert_eq!(decimal(&Number::zero()), "0.");
    }

    #[test]
    fn reads_dynamodbs_documented_example() {
        // As the developer guide shows it, over several lines.
        let text = "$ion_1_0 {\n    Item:{\n        Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],\n        \
                    Dimensions:\"8.5 x 11.0 x 1.5\",\n        ISBN:\"333-3333333333\",\n        Id:103.,\n        \
                    InPublication:false,\n        PageCount:6d2,\n        Price:2d3,\n        \
                    ProductCategory:\"Book\",\n        Title:\"Book 103 Title\"\n    }\n}\n";
        let read = parse_one(text).unwrap();
        assert_eq!(
            wire_item(&read),
            json!({"Item": {
                "Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
                "ISBN": {"S": "333-3333333333"}, "Id": {"N": "103"}, "InPublication": {"BOOL": false},
                "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"},
                "Title": {"S": "Book 103 Title"},
            }})
        );
    }

    #[test]
    fn reads_the_wider_ion_syntax() {
        let text = "/* header */ $ion_1_0\n{Item:{a:1_000,b:0x1F,c:-0b101,d:1.5e3,e:null.string,\"f g\":'''long ''' \
                    '''string''','h':\"\\u00e9\\U0001F600\\uD83D\\uDE00\\x41\",i:{{ AAEC }},j:[1, 2,],k:x::{z:1.},}} // end\n";
        assert_eq!(
            wire_item(&parse_one(text).unwrap()),
            json!({"Item": {
                "a": {"N": "1000"}, "b": {"N": "31"}, "c": {"N": "-5"}, "d": {"N": "1500"}, "e": {"NULL": true},
                "f g": {"S": "long string"}, "h": {"S": "é😀😀A"}, "i": {"B": "AAEC"},
                "j": {"L": [{"N": "1"}, {"N": "2"}]}, "k": {"M": {"z": {"N": "1"}}},
            }})
        );
        assert!(items("$ion_symbol_table::{symbols:[\"a\"]}\n$ion_1_0\n").is_empty());
    }

    #[test]
    fn bad_lines_are_reported_and_reading_goes_on() {
        let text = [
            "$ion_1_0 {Item:{pk:\"ok1\"}}",
            "$ion_1_0 {Item:{pk:2007-01-01T}}",
            "$ion_1_0 {Item:{pk:\"open}}",
            "$ion_1_0 {Item:{pk:sym}}",
            "$ion_1_0 {NotItem:{pk:\"x\"}}",
            "$ion_1_0 {Item:{pk:$dynamodb_SS::[1.]}}",
            "$ion_1_0 {Item:{pk:$dynamodb_SS::[]}}",
            "$ion_1_0 {Item:{pk:\"a\",pk:\"b\"}}",
            "$ion_1_0 {Item:{pk:nan}}",
            "$ion_1_0 {Item:{pk:{{\"clob\"}}}}",
            "$ion_1_0 {Item:{pk:007}}",
            "$ion_2_0 {Item:{pk:\"x\"}}",
            "$ion_1_0 {Item:{pk:1e999}}",
            "$ion_1_0 {Item:{pk:(a b)}}",
            "$ion_1_0 {Item:{pk:\"ok2\"}}",
            "$ion_1_0 {Item:{pk:\"unfinished\"",
        ]
        .join("\n");
        let read = items(&text);
        let lines: Vec<usize> = read.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, (1..=16).collect::<Vec<_>>(), "{read:?}");
        let ok: Vec<usize> = read.iter().filter(|(_, r)| r.is_ok()).map(|(line, _)| *line).collect();
        assert_eq!(ok, [1, 15], "{read:?}");
        let message = |line: usize| read[line - 1].1.clone().unwrap_err();
        assert!(message(6).contains("holds only S values"), "{}", message(6));
        assert!(message(7).contains("may not be empty"), "{}", message(7));
        assert!(message(13).contains("overflow"), "{}", message(13));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing_far() {
        for depth in [40, 100_000] {
            let text = format!("$ion_1_0 {{Item:{{a:{}1{}}}}}", "[".repeat(depth), "]".repeat(depth));
            let error = parse_one(&text).unwrap_err();
            assert!(error.contains("nest") || error.contains("Nesting"), "{error}");
        }
        let text = format!("$ion_1_0 {{Item:{{a:{}1{}}}}}", "[".repeat(30), "]".repeat(30));
        assert!(parse_one(&text).is_ok());
    }

    #[test]
    fn incremental_lines_carry_keys_images_and_the_write_time() {
        let key = item(json!({"pk": {"S": "a"}}));
        let change = ItemChange {
            key: key.clone(),
            old: Some(item(json!({"pk": {"S": "a"}, "v": {"N": "1"}}))),
            new: None,
            written_micros: 1_680_109_764_000_000,
        };
        assert_eq!(
            String::from_utf8(change_line(&change, true)).unwrap(),
            "$ion_1_0 {Metadata:{WriteTimestampMicros:1680109764d6},Keys:{pk:\"a\"},OldImage:{pk:\"a\",v:1.}}"
        );
        assert_eq!(
            String::from_utf8(change_line(&change, false)).unwrap(),
            "$ion_1_0 {Metadata:{WriteTimestampMicros:1680109764d6},Keys:{pk:\"a\"}}"
        );
    }

    fn number() -> impl Strategy<Value = Number> {
        ("-?[1-9][0-9]{0,37}", -130i32..90).prop_filter_map("in range", |(digits, exponent)| {
            Number::parse(&format!("{digits}e{exponent}")).ok()
        })
    }

    fn value() -> impl Strategy<Value = AttributeValue> {
        let leaf = prop_oneof![
            any::<String>().prop_map(AttributeValue::S),
            number().prop_map(AttributeValue::N),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(AttributeValue::B),
            any::<bool>().prop_map(AttributeValue::Bool),
            Just(AttributeValue::Null),
            proptest::collection::btree_set(any::<String>(), 1..4)
                .prop_map(|s| AttributeValue::Ss(s.into_iter().collect())),
            proptest::collection::vec(number(), 1..4).prop_map(|mut n| {
                n.sort();
                n.dedup();
                AttributeValue::Ns(n)
            }),
            proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..8), 1..4)
                .prop_map(|s| AttributeValue::Bs(s.into_iter().collect())),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(AttributeValue::L),
                proptest::collection::btree_map(".{1,6}", inner, 0..4).prop_map(AttributeValue::M),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_item_round_trips(item in proptest::collection::btree_map(".{1,8}", value(), 1..6)) {
            let line = String::from_utf8(item_line(&item)).unwrap();
            prop_assert_eq!(parse_one(&line), Ok(item));
        }

        #[test]
        fn any_text_is_read_without_panicking(text in ".{0,200}") {
            let _ = items(&text);
        }
    }
}
