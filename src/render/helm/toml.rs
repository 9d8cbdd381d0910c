//! Helm's `toToml` and `fromToml`.
//!
//! `toToml` is BurntSushi/toml v1.4.0's encoder (helm v3.17.1's `go.mod`), byte for byte:
//! under each table the keys holding plain values first and then those holding tables, each
//! group in Go's byte order; a subtable as a `[a.b]` header indented two spaces per level below
//! the top, with a blank line before each top-level table; a list of maps as `[[a]]` tables; a
//! map inside a list as an inline `{k = v}` table; strings double-quoted with Go's escapes;
//! floats with at least one decimal (`1.0`); nil values left out. What BurntSushi refuses
//! becomes its error text, which Helm returns instead of the document (a list holding nil:
//! "toml: cannot encode array with nil element").
//!
//! `fromToml` parses with `toml_edit` into Helm's types (tables as maps, integers as `int64`,
//! floats as `float64`). Two differences from BurntSushi's decoder, both documented in
//! docs/helm-functions.md: a date-time is its RFC 3339 text (Go gives a `time.Time`), and the text of a
//! parse error, put in the map's `Error` key as Helm does, is `toml_edit`'s.

use super::value::{Kind, MAX_DEPTH, Map, Methods, Slot, Val};

const ERROR_NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const ERROR_NO_KEY: &str = "toml: top-level values must be Go maps or structs";
/// A map that contains itself (Sprig's `set`) would recurse for ever; Go overflows its stack.
const ERROR_TOO_DEEP: &str = "toml: value nested too deeply";

/// `toToml value`: the document, or BurntSushi's error text.
pub(crate) fn to_toml(value: &Val) -> String {
    let mut encoder = Encoder::default();
    match encoder.encode(&[], value) {
        Ok(()) => encoder.out,
        Err(message) => message.to_string(),
    }
}

/// BurntSushi's classification of a Go value (`tomlTypeOfGo`), as far as encoding needs it.
#[derive(PartialEq)]
enum TomlType {
    Nil,
    Plain,
    Table,
    ArrayOfTables,
}

type Encoded = Result<(), &'static str>;

#[derive(Default)]
struct Encoder {
    out: String,
    /// Anything written yet: the first table gets no blank line before it.
    has_written: bool,
}

/// The fields of a map or of one of Helm's objects, in the order BurntSushi visits them.
fn entries(value: &Val) -> Vec<(String, Val)> {
    match &value.kind {
        Kind::Map(map) => map
            .borrow()
            .iter()
            .map(|(key, slot)| (key.clone(), slot.value.clone()))
            .collect(),
        Kind::Object(object) => object
            .fields
            .iter()
            .map(|(name, value)| ((*name).to_string(), value.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

fn is_table(value: &Val) -> bool {
    matches!(value.kind, Kind::Map(_))
        || matches!(&value.kind, Kind::Object(object) if matches!(object.methods, Methods::None))
}

fn toml_type(value: &Val, depth: usize) -> Result<TomlType, &'static str> {
    if depth > MAX_DEPTH {
        return Err(ERROR_TOO_DEEP);
    }
    Ok(match &value.kind {
        Kind::Nil => TomlType::Nil,
        Kind::List(items) => {
            // Every element is classified (a nil one is refused) before deciding.
            let mut all_tables = !items.is_empty();
            for item in items.iter() {
                match toml_type(item, depth + 1)? {
                    TomlType::Nil => return Err(ERROR_NIL_ELEMENT),
                    TomlType::Table => {}
                    _ => all_tables = false,
                }
            }
            if all_tables {
                TomlType::ArrayOfTables
            } else {
                TomlType::Plain
            }
        }
        _ if is_table(value) => TomlType::Table,
        _ => TomlType::Plain,
    })
}

/// A key part bare if it can be, else double-quoted (`Key.maybeQuoted`).
fn key_part(part: &str) -> String {
    let bare = !part.is_empty()
        && part
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
    if bare {
        part.to_string()
    } else {
        format!("\"{}\"", escape(part))
    }
}

/// `dblQuotedReplacer`: Go's escapes for quotes, backslashes and control characters.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\u{1f}' | '\u{7f}' => out.push_str(&format!("\\u{:04x}", ch as u32)),
            _ => out.push(ch),
        }
    }
    out
}

/// `strconv.FormatFloat(f, 'f', -1, 64)` with a decimal added, or `nan`/`inf`.
fn float_text(number: f64) -> String {
    let sign = if number.is_sign_negative() { "-" } else { "" };
    if number.is_nan() {
        return format!("{sign}nan");
    }
    if number.is_infinite() {
        return format!("{sign}inf");
    }
    // Rust's shortest round-trip digits without an exponent are Go's 'f' with precision -1.
    let text = number.to_string();
    if text.contains('.') {
        text
    } else {
        text + ".0"
    }
}

impl Encoder {
    fn write(&mut self, text: &str) {
        self.out.push_str(text);
        self.has_written = true;
    }

    fn newline(&mut self) {
        if self.has_written {
            self.write("\n");
        }
    }

    fn indent(key: &[String]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn header(key: &[String]) -> String {
        key.iter()
            .map(|part| key_part(part))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn encode(&mut self, key: &[String], value: &Val) -> Encoded {
        match toml_type(value, key.len())? {
            TomlType::Nil => Ok(()),
            TomlType::Table => self.table(key, value),
            TomlType::ArrayOfTables => self.array_of_tables(key, value),
            TomlType::Plain => self.key_value(key, value, false, key.len()),
        }
    }

    fn table(&mut self, key: &[String], value: &Val) -> Encoded {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            let line = format!("{}[{}]", Self::indent(key), Self::header(key));
            self.write(&line);
            self.newline();
        }
        self.map(key, value, false, key.len())
    }

    fn array_of_tables(&mut self, key: &[String], value: &Val) -> Encoded {
        if key.is_empty() {
            return Err(ERROR_NO_KEY);
        }
        let Kind::List(items) = &value.kind else {
            return Ok(());
        };
        for item in items.iter() {
            self.newline();
            let line = format!("{}[[{}]]", Self::indent(key), Self::header(key));
            self.write(&line);
            self.newline();
            self.map(key, item, false, key.len())?;
        }
        Ok(())
    }

    /// `eMap`: plain keys first, then table keys, each sorted; nil values skipped. `depth`
    /// counts every enclosing value (inline tables have no key path).
    fn map(&mut self, key: &[String], value: &Val, inline: bool, depth: usize) -> Encoded {
        let mut direct = Vec::new();
        let mut tables = Vec::new();
        for (name, item) in entries(value) {
            match toml_type(&item, depth + 1)? {
                TomlType::Table | TomlType::ArrayOfTables => tables.push((name, item)),
                TomlType::Nil | TomlType::Plain => direct.push((name, item)),
            }
        }
        if matches!(value.kind, Kind::Map(_)) {
            direct.sort_by(|a, b| a.0.cmp(&b.0));
            tables.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if inline {
            self.write("{");
        }
        let more_after_direct = !tables.is_empty();
        for (group, trailing_comma) in [(direct, more_after_direct), (tables, false)] {
            let count = group.len();
            for (index, (name, item)) in group.into_iter().enumerate() {
                if item.is_nil() {
                    continue;
                }
                if inline {
                    self.key_value(&[name], &item, true, depth + 1)?;
                    if trailing_comma || index + 1 != count {
                        self.write(", ");
                    }
                } else {
                    let mut path = key.to_vec();
                    path.push(name);
                    self.encode(&path, &item)?;
                }
            }
        }
        if inline {
            self.write("}");
        }
        Ok(())
    }

    fn key_value(&mut self, key: &[String], value: &Val, inline: bool, depth: usize) -> Encoded {
        let Some(last) = key.last() else {
            return self.element(value, depth);
        };
        let start = format!("{}{} = ", Self::indent(key), key_part(last));
        self.write(&start);
        self.element(value, depth + 1)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    /// `eElement`: a value on the right of `=` or inside an array.
    fn element(&mut self, value: &Val, depth: usize) -> Encoded {
        if depth > MAX_DEPTH {
            return Err(ERROR_TOO_DEEP);
        }
        match &value.kind {
            Kind::Str(text) => {
                let quoted = format!("\"{}\"", escape(&text.text));
                self.write(&quoted);
            }
            Kind::Bool(flag) => self.write(if *flag { "true" } else { "false" }),
            Kind::Int(number, _) => self.write(&number.to_string()),
            Kind::Float(number) => self.write(&float_text(*number)),
            Kind::List(items) => {
                self.write("[");
                for (index, item) in items.iter().enumerate() {
                    self.element(item, depth + 1)?;
                    if index + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Kind::Map(_) | Kind::Object(_) if is_table(value) => {
                self.map(&[], value, true, depth + 1)?;
            }
            Kind::Nil | Kind::Map(_) | Kind::Object(_) => {
                return Err("toml: unexpected type: <nil>");
            }
        }
        Ok(())
    }
}

/// `fromToml text`: the document's tables as maps; a parse error in the `Error` key.
pub(crate) fn from_toml(text: &str) -> Val {
    match text.parse::<toml_edit::DocumentMut>() {
        Ok(document) => table(document.as_table()),
        Err(error) => {
            let line = error.span().map_or(1, |span| {
                text.get(..span.start)
                    .unwrap_or(text)
                    .lines()
                    .count()
                    .max(1)
            });
            let message = error.message().trim_end().to_string();
            let mut map = Map::new();
            map.insert(
                "Error".into(),
                Slot {
                    key: None,
                    value: Val::str(format!("toml: line {line}: {message}")),
                },
            );
            Val::map(map)
        }
    }
}

fn table(table: &toml_edit::Table) -> Val {
    let map = table
        .iter()
        .filter_map(|(key, item)| item_value(item).map(|value| (key.to_string(), value)))
        .map(|(key, value)| (key, Slot { key: None, value }))
        .collect();
    Val::map(map)
}

fn item_value(item: &toml_edit::Item) -> Option<Val> {
    Some(match item {
        toml_edit::Item::None => return None,
        toml_edit::Item::Value(value) => toml_value(value),
        toml_edit::Item::Table(inner) => table(inner),
        toml_edit::Item::ArrayOfTables(tables) => Val::list(tables.iter().map(table).collect()),
    })
}

fn toml_value(value: &toml_edit::Value) -> Val {
    match value {
        toml_edit::Value::String(text) => Val::str(text.value().clone()),
        toml_edit::Value::Integer(number) => Val::int64(*number.value()),
        toml_edit::Value::Float(number) => Val::float(*number.value()),
        toml_edit::Value::Boolean(flag) => Val::bool(*flag.value()),
        toml_edit::Value::Datetime(when) => Val::str(when.value().to_string()),
        toml_edit::Value::Array(items) => Val::list(items.iter().map(toml_value).collect()),
        toml_edit::Value::InlineTable(inline) => {
            let map = inline
                .iter()
                .map(|(key, value)| {
                    (
                        key.to_string(),
                        Slot {
                            key: None,
                            value: toml_value(value),
                        },
                    )
                })
                .collect();
            Val::map(map)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::render::helm::value::map_of;

    #[test]
    fn plain_keys_come_before_tables_and_only_top_level_tables_get_a_blank_line() {
        let value = map_of(vec![
            (
                "server",
                map_of(vec![
                    ("port", Val::float(8080.0)),
                    ("tls", map_of(vec![("enabled", Val::bool(true))])),
                ]),
            ),
            ("name", Val::str("a \"b\"\n")),
            ("ratio", Val::float(0.5)),
            ("tags", Val::list(vec![Val::str("x"), Val::int(2)])),
            ("unset", Val::nil()),
        ]);
        assert_eq!(
            to_toml(&value),
            "name = \"a \\\"b\\\"\\n\"\nratio = 0.5\ntags = [\"x\", 2]\n\n\
             [server]\n  port = 8080.0\n  [server.tls]\n    enabled = true\n"
        );
    }

    #[test]
    fn lists_of_maps_are_arrays_of_tables_and_maps_in_lists_are_inline() {
        let item = |name: &str| map_of(vec![("name", Val::str(name)), ("x y", Val::int(1))]);
        let value = map_of(vec![
            ("hosts", Val::list(vec![item("a"), item("b")])),
            (
                "mixed",
                Val::list(vec![Val::int(1), map_of(vec![("k", Val::str("v"))])]),
            ),
        ]);
        assert_eq!(
            to_toml(&value),
            "mixed = [1, {k = \"v\"}]\n\n[[hosts]]\n  name = \"a\"\n  \"x y\" = 1\n\n\
             [[hosts]]\n  name = \"b\"\n  \"x y\" = 1\n"
        );
    }

    #[test]
    fn what_burntsushi_refuses_is_its_error_text() {
        let nil_element = map_of(vec![("a", Val::list(vec![Val::nil()]))]);
        assert_eq!(to_toml(&nil_element), ERROR_NIL_ELEMENT);
        let top_tables = Val::list(vec![map_of(vec![("a", Val::int(1))])]);
        assert_eq!(to_toml(&top_tables), ERROR_NO_KEY);
        assert_eq!(to_toml(&Val::str("x")), "\"x\"");
        assert_eq!(to_toml(&Val::nil()), "");
    }

    #[test]
    fn from_toml_reads_helms_types_and_reports_errors_in_the_map() {
        let value = from_toml("a = 1\nb = 1.5\n[t]\nc = [\"x\"]\n[[l]]\nd = true\n");
        assert_eq!(value.get("a").unwrap().type_name(), "int64");
        assert_eq!(value.get("b").unwrap().type_name(), "float64");
        let nested = value.get("t").unwrap().get("c").unwrap();
        assert_eq!(nested.type_name(), "[]interface {}");
        assert!(matches!(value.get("l").unwrap().kind, Kind::List(_)));
        let broken = from_toml("a = \n");
        let error = broken.get("Error").unwrap();
        assert!(error.as_str().unwrap().starts_with("toml: line 1: "));
    }
}
