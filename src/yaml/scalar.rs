//! Typing of scalars by the YAML 1.1 rules Kubernetes' decoder (go-yaml v2) uses: booleans in
//! all their spellings, 0x/0o/leading-zero octal, 0b (prefixes in either case), `_` in numbers,
//! and floats.

use std::borrow::Cow;

use granit_parser::{ScalarStyle, Tag};

use super::Value;

/// Type a scalar the way Kubernetes' YAML 1.1 decoder does: only plain scalars are resolved;
/// quoted and block scalars are strings; explicit core tags win. `None` when a core tag does not
/// fit the text (`!!int 1.5`): go-yaml refuses the document ("cannot decode").
pub(super) fn type_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Option<Value> {
    match tag.and_then(Tag::core_suffix) {
        Some("str") => return Some(Value::Str(text.into())),
        Some("null") => {
            return matches!(plain_scalar_value(text), Value::Null).then_some(Value::Null);
        }
        Some("bool") => return yaml11_bool(text).map(Value::Bool),
        Some("int") => return yaml11_int(text).map(Value::Int),
        // go-yaml reads the text as any number and makes an integer a float.
        Some("float") => {
            return match plain_scalar_value(text) {
                Value::Int(number) => Some(Value::Float(number as f64)),
                float @ Value::Float(_) => Some(float),
                _ => None,
            };
        }
        _ => {}
    }
    if style != ScalarStyle::Plain || tag.is_some() {
        return Some(Value::Str(text.into()));
    }
    Some(plain_scalar_value(text))
}

/// The value of an untagged plain scalar by YAML 1.1 rules, as Kubernetes' decoder types it.
pub fn plain_scalar_value(text: &str) -> Value {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(flag) = yaml11_bool(text) {
        return Value::Bool(flag);
    }
    if let Some(number) = yaml11_int(text) {
        return Value::Int(number);
    }
    if let Some(number) = yaml11_float(text) {
        return Value::Float(number);
    }
    Value::Str(text.into())
}

fn yaml11_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// Decimal, `0x` hex, `0o` or leading-zero octal and `0b` binary, with an optional sign and `_`
/// separators, as go-yaml v2 resolves them.
fn yaml11_int(text: &str) -> Option<i64> {
    if !could_be_number(text) {
        return None;
    }
    let cleaned = without_underscores(text);
    let (negative, digits) = if let Some(rest) = cleaned.strip_prefix('-') {
        (true, rest)
    } else {
        (false, cleaned.strip_prefix('+').unwrap_or(&cleaned))
    };
    if digits.is_empty() {
        return None;
    }
    // Go's `strconv.ParseInt(text, 0, 64)` takes the prefixes in either case.
    let (radix, body) = if let Some(hex) = radix_prefixed(digits, 'x') {
        (16, hex)
    } else if let Some(octal) = radix_prefixed(digits, 'o') {
        (8, octal)
    } else if let Some(binary) = radix_prefixed(digits, 'b') {
        (2, binary)
    } else if let Some(octal) = digits.strip_prefix('0').filter(|rest| !rest.is_empty()) {
        (8, octal)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).ok()
}

/// The digits after `0x`, `0o` or `0b` (`letter`), in either case.
fn radix_prefixed(digits: &str, letter: char) -> Option<&str> {
    digits
        .strip_prefix('0')?
        .strip_prefix([letter, letter.to_ascii_uppercase()])
}

fn yaml11_float(text: &str) -> Option<f64> {
    if !could_be_number(text) {
        return None;
    }
    let cleaned = without_underscores(text);
    let unsigned = cleaned.trim_start_matches(['-', '+']);
    match unsigned {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if cleaned.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        ".nan" | ".NaN" | ".NAN" if cleaned.len() == unsigned.len() => return Some(f64::NAN),
        _ => {}
    }
    if !looks_like_float(unsigned) || cleaned.len() - unsigned.len() > 1 {
        return None;
    }
    cleaned.parse().ok()
}

/// Numbers start with a digit, a sign or a dot; most scalars (names, images) do not, and are
/// rejected here without allocating.
fn could_be_number(text: &str) -> bool {
    text.bytes()
        .next()
        .is_some_and(|first| first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.'))
}

fn without_underscores(text: &str) -> Cow<'_, str> {
    if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    }
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn looks_like_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(fraction) if whole.is_empty() => !fraction.is_empty() && digits(fraction),
        Some(fraction) => digits(whole) && digits(fraction),
        None => !whole.is_empty() && digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|exp| {
        let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
        !exp.is_empty() && digits(exp)
    });
    mantissa_ok && exponent_ok
}
