//! The tree as the JSON kubectl sends: sigs.k8s.io/yaml turns go-yaml v2's typed values into
//! JSON, and the API server reads JSON, where a number is a number. Map keys become strings the
//! way Go formats them, and a whole-number float is the integer it spells (`80.0`, `8e1` and
//! `080` all arrive as `80`).

use std::borrow::Cow;

use serde_json::Value as Json;

use super::{Node, Value};

/// Why a tree has no JSON form; kubectl refuses such a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// A null or collection mapping key ("unsupported map key").
    UnsupportedKey,
    /// `.inf` or `.nan`: JSON has no such numbers ("json: unsupported value").
    UnsupportedNumber,
}

/// The JSON kubectl would send for `node`.
pub fn to_json(node: &Node) -> Result<Json, JsonError> {
    Ok(match &node.value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(number) => Json::from(*number),
        Value::Float(number) => match whole_number(*number) {
            Some(integer) => Json::from(integer),
            None => serde_json::Number::from_f64(*number)
                .map(Json::Number)
                .ok_or(JsonError::UnsupportedNumber)?,
        },
        Value::Str(text) => Json::String(text.to_string()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Value::Map(entries) => {
            let mut object = serde_json::Map::new();
            for entry in entries.iter() {
                let key = json_key(&entry.key).ok_or(JsonError::UnsupportedKey)?;
                object.insert(key.into_owned(), to_json(&entry.value)?);
            }
            Json::Object(object)
        }
    })
}

/// The JSON object key a mapping key becomes: `y` and `yes` are both `"true"`, `0x1` is `"1"`.
/// `None` for keys sigs.k8s.io/yaml refuses (null, collections).
pub fn json_key(key: &Node) -> Option<Cow<'_, str>> {
    match &key.value {
        Value::Str(text) => Some(Cow::Borrowed(text)),
        Value::Bool(flag) => Some(Cow::Borrowed(if *flag { "true" } else { "false" })),
        Value::Int(number) => Some(Cow::Owned(number.to_string())),
        Value::Float(number) => Some(Cow::Owned(go_float_key(*number))),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
    }
}

/// The integer a float spells when it is a whole number in `i64`'s range. Go's JSON encoder
/// writes such a float without a fraction or exponent (below 1e21), and the decoder on the
/// other side reads that as an integer.
pub(crate) fn whole_number(number: f64) -> Option<i64> {
    // 2^63 is exactly representable; everything in [-2^63, 2^63) converts without loss.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (number.is_finite() && number.fract() == 0.0 && (-LIMIT..LIMIT).contains(&number))
        .then_some(number as i64)
}

/// A float map key as sigs.k8s.io/yaml writes it: `strconv.FormatFloat(f, 'g', -1, 32)`, the
/// shortest float32 digits, in exponent form when the decimal exponent is below -4 or at least
/// 6 (Go's rule for the shortest precision).
fn go_float_key(number: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let single = number as f32;
    if single.is_nan() {
        return ".nan".into();
    }
    if single.is_infinite() {
        return if single > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    // `{:e}` gives the shortest round-tripping digits: "1.5e0", "-1e6".
    let scientific = format!("{single:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    format!("{single}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn json(text: &str) -> Result<Json, JsonError> {
        let parsed = parse(FileId(0), text, Limits::default());
        to_json(&parsed.documents[0].root)
    }

    #[test]
    fn whole_floats_are_integers_and_keys_are_go_strings() {
        assert_eq!(
            json("a: 80.0\nb: 8e1\nc: 080\nd: 0.5\ne: -0.0\n"),
            Ok(serde_json::json!({"a": 80, "b": 80, "c": 80, "d": 0.5, "e": 0}))
        );
        assert_eq!(
            json("y: 1\n0x10: 2\n1.5: 3\n1e7: 4\n0.00001: 5\n"),
            Ok(serde_json::json!({"true": 1, "16": 2, "1.5": 3, "1e+07": 4, "1e-05": 5}))
        );
    }

    #[test]
    fn what_json_cannot_hold_is_an_error() {
        assert_eq!(json("a: .inf\n"), Err(JsonError::UnsupportedNumber));
        assert_eq!(json("~: 1\n"), Err(JsonError::UnsupportedKey));
    }
}
