//! Encodings and small pieces of Go's standard library the functions need: base64, SHA-1 and
//! SHA-256 (`sha256sum` of a config is how charts roll pods; written here to avoid a crate for
//! forty lines), `encoding/json` as Go writes it (sorted keys, HTML escaping, Go's float
//! form), URL/HTML/JS escaping, `path` helpers, `.Files` methods, dates, and the fixed fake
//! certificates and time that stand in for random and clock functions.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::format::format_float_g;
use super::value::{IntType, Kind, MAX_DEPTH, Map, Methods, Object, Slot, Val, map_of};
use crate::source::lossy_utf8;

/// What `now` returns: a fixed, obviously fake instant (documented in the module doc of funcs).
pub(crate) const FAKE_NOW: &str = "2000-01-01 00:00:00 +0000 UTC";

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for position in 0..4 {
            if position <= chunk.len() {
                let index = (n >> (18 - 6 * position)) & 63;
                out.push(char::from(
                    BASE64.get(index as usize).copied().unwrap_or(b'A'),
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with padding, as Go's `StdEncoding` (which refuses anything else).
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches(['\r', '\n']);
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        let mut pads = 0;
        for &byte in chunk {
            let value = if byte == b'=' {
                pads += 1;
                0
            } else if pads > 0 {
                return None;
            } else {
                BASE64.iter().position(|&c| c == byte)? as u32
            };
            n = (n << 6) | value;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend(bytes.iter().take(3 - pads));
    }
    Some(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The message padded as SHA-1 and SHA-256 pad it, in 64-byte blocks.
fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut message = bytes.to_vec();
    let bits = (bytes.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    message
}

fn words(block: &[u8]) -> impl Iterator<Item = u32> + '_ {
    block.chunks(4).map(|word| {
        u32::from_be_bytes([
            word.first().copied().unwrap_or(0),
            word.get(1).copied().unwrap_or(0),
            word.get(2).copied().unwrap_or(0),
            word.get(3).copied().unwrap_or(0),
        ])
    })
}

const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

pub(crate) fn sha256(bytes: &[u8]) -> Vec<u8> {
    let mut state: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    for block in padded(bytes).chunks(64) {
        let mut w = [0u32; 64];
        for (slot, word) in w.iter_mut().zip(words(block)) {
            *slot = word;
        }
        for i in 16..64 {
            let at = |index: usize| w.get(index).copied().unwrap_or(0);
            let s0 = at(i - 15).rotate_right(7) ^ at(i - 15).rotate_right(18) ^ (at(i - 15) >> 3);
            let s1 = at(i - 2).rotate_right(17) ^ at(i - 2).rotate_right(19) ^ (at(i - 2) >> 10);
            let value = at(i - 16)
                .wrapping_add(s0)
                .wrapping_add(at(i - 7))
                .wrapping_add(s1);
            if let Some(slot) = w.get_mut(i) {
                *slot = value;
            }
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
        for (k, word) in SHA256_K.iter().zip(w.iter()) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let choice = (e & f) ^ (!e & g);
            let t1 = h
                .wrapping_add(s1)
                .wrapping_add(choice)
                .wrapping_add(*k)
                .wrapping_add(*word);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let majority = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(majority);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *slot = slot.wrapping_add(value);
        }
    }
    state.iter().flat_map(|word| word.to_be_bytes()).collect()
}

pub(crate) fn sha1(bytes: &[u8]) -> Vec<u8> {
    let mut state: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    for block in padded(bytes).chunks(64) {
        let mut w = [0u32; 80];
        for (slot, word) in w.iter_mut().zip(words(block)) {
            *slot = word;
        }
        for i in 16..80 {
            let at = |index: usize| w.get(index).copied().unwrap_or(0);
            let value = (at(i - 3) ^ at(i - 8) ^ at(i - 14) ^ at(i - 16)).rotate_left(1);
            if let Some(slot) = w.get_mut(i) {
                *slot = value;
            }
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e]) {
            *slot = slot.wrapping_add(value);
        }
    }
    state.iter().flat_map(|word| word.to_be_bytes()).collect()
}

/// Go's `encoding/json` float form: shortest digits, exponent only below 1e-6 or from 1e21.
fn json_float(number: f64) -> String {
    let abs = number.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        return format_float_g(number, None, false).replace("e-0", "e-");
    }
    format!("{number}")
}

fn json_string(out: &mut String, text: &str, escape_html: bool) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", ch as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
}

/// `json.Marshal` (with `escape_html`) or `json.MarshalIndent(v, "", "  ")` (`pretty`).
pub(crate) fn to_json(value: &Val, escape_html: bool, pretty: bool) -> String {
    let mut out = String::new();
    write_json(&mut out, value, escape_html, pretty.then_some(0), 0);
    out
}

fn newline(out: &mut String, indent: Option<usize>) {
    if let Some(depth) = indent {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    }
}

fn write_json(
    out: &mut String,
    value: &Val,
    escape_html: bool,
    indent: Option<usize>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        out.push_str("null");
        return;
    }
    let inner = indent.map(|depth| depth + 1);
    match &value.kind {
        Kind::Nil => out.push_str("null"),
        Kind::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Kind::Int(number, _) => out.push_str(&number.to_string()),
        Kind::Float(number) => out.push_str(&json_float(*number)),
        Kind::Str(text) => json_string(out, &text.text, escape_html),
        Kind::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write_json(out, item, escape_html, inner, depth + 1);
            }
            if !items.is_empty() {
                newline(out, indent);
            }
            out.push(']');
        }
        Kind::Map(map) => {
            let map = map.borrow();
            write_object(
                out,
                map.iter().map(|(key, slot)| (key.as_str(), &slot.value)),
                map.is_empty(),
                escape_html,
                indent,
                depth,
            );
        }
        Kind::Object(object) => {
            write_object(
                out,
                object.fields.iter().map(|(name, value)| (*name, value)),
                object.fields.is_empty(),
                escape_html,
                indent,
                depth,
            );
        }
    }
}

fn write_object<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a str, &'a Val)>,
    empty: bool,
    escape_html: bool,
    indent: Option<usize>,
    depth: usize,
) {
    let inner = indent.map(|depth| depth + 1);
    out.push('{');
    for (index, (key, value)) in entries.enumerate() {
        if index > 0 {
            out.push(',');
        }
        newline(out, inner);
        json_string(out, key, escape_html);
        out.push(':');
        if indent.is_some() {
            out.push(' ');
        }
        write_json(out, value, escape_html, inner, depth + 1);
    }
    if !empty {
        newline(out, indent);
    }
    out.push('}');
}

/// `fromJson`/`fromJsonArray`: numbers become `float64`; an error is returned as Helm does,
/// in the value (`{"Error": ...}` or `[error]`).
pub(crate) fn from_json(text: &str, array: bool) -> Val {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) if array == json.is_array() => json_value(&json),
        Ok(_) => error_value(
            "json: cannot unmarshal into Go value of the expected type".into(),
            array,
        ),
        Err(error) => error_value(error.to_string(), array),
    }
}

fn error_value(message: String, array: bool) -> Val {
    if array {
        Val::list(vec![Val::str(message)])
    } else {
        map_of(vec![("Error", Val::str(message))])
    }
}

fn json_value(json: &serde_json::Value) -> Val {
    match json {
        serde_json::Value::Null => Val::nil(),
        serde_json::Value::Bool(flag) => Val::bool(*flag),
        serde_json::Value::Number(number) => Val::float(number.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(text) => Val::str(text.clone()),
        serde_json::Value::Array(items) => Val::list(items.iter().map(json_value).collect()),
        serde_json::Value::Object(entries) => {
            let map: Map = entries
                .iter()
                .map(|(key, value)| {
                    (
                        key.clone(),
                        Slot {
                            key: None,
                            value: json_value(value),
                        },
                    )
                })
                .collect();
            Val::map(map)
        }
    }
}

/// `url.QueryEscape`.
pub(crate) fn query_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `template.HTMLEscapeString`.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            ch => out.push(ch),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub(crate) fn js_escape(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out
}

/// Go's `path.Clean`.
fn path_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `path.Base`.
pub(crate) fn path_base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// `path.Dir`.
pub(crate) fn path_dir(path: &str) -> String {
    let directory = match path.rfind('/') {
        Some(index) => path.get(..=index).unwrap_or_default(),
        None => "",
    };
    path_clean(directory)
}

/// `path.Ext`.
pub(crate) fn path_ext(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rfind('.')
        .and_then(|index| name.get(index..))
        .unwrap_or_default()
        .to_string()
}

/// The methods of `.Files`.
pub(crate) fn files_method(
    files: &BTreeMap<String, Arc<[u8]>>,
    name: &str,
    args: &[Val],
) -> Option<Result<Val, String>> {
    let path = || super::funcs::string_arg(args, 0);
    let result = match name {
        // `GetBytes` is a `[]byte` in Go; templates use it as text too (b64enc, printing).
        "Get" | "GetBytes" => path().map(|path| {
            Val::str(
                files
                    .get(&path)
                    .map(|bytes| lossy_utf8(bytes).into_owned())
                    .unwrap_or_default(),
            )
        }),
        "Lines" => path().map(|path| {
            let Some(bytes) = files.get(&path) else {
                return Val::list(Vec::new());
            };
            let text = lossy_utf8(bytes);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            Val::list(text.split('\n').map(Val::str).collect())
        }),
        "Glob" => path().and_then(|pattern| {
            let matcher = globset::GlobBuilder::new(&pattern)
                .literal_separator(true)
                .build()
                .map_err(|error| error.to_string())?
                .compile_matcher();
            let matched = files
                .iter()
                .filter(|(path, _)| matcher.is_match(path))
                .map(|(path, bytes)| (path.clone(), Arc::clone(bytes)))
                .collect();
            Ok(files_object(matched))
        }),
        "AsConfig" => Ok(Val::traced(files_as(files, |bytes| {
            Val::str(lossy_utf8(bytes).into_owned())
        }))),
        "AsSecrets" => Ok(Val::traced(files_as(files, |bytes| {
            Val::str(base64_encode(bytes))
        }))),
        _ => return None,
    };
    Some(result)
}

fn files_as(
    files: &BTreeMap<String, Arc<[u8]>>,
    encode: impl Fn(&[u8]) -> Val,
) -> super::text::Traced {
    if files.is_empty() {
        return super::text::Traced::default();
    }
    let map: Map = files
        .iter()
        .map(|(path, bytes)| {
            (
                path_base(path),
                Slot {
                    key: None,
                    value: encode(bytes),
                },
            )
        })
        .collect();
    super::yaml_out::to_yaml(&Val::map(map))
}

/// `.Files` as templates see it.
pub(crate) fn files_object(files: BTreeMap<String, Arc<[u8]>>) -> Val {
    Val::object(Object {
        type_name: "chart.Files",
        fields: Vec::new(),
        methods: Methods::Files(files),
    })
}

/// A PEM block whose body says what it is: fake.
pub(crate) fn fake_pem(kind: &str) -> String {
    format!(
        "-----BEGIN {kind}-----\nS1VCRVBBVFJPTC1GQUtFLU5PVC1BLVJFQUwtS0VZ\n-----END {kind}-----\n"
    )
}

/// What `genCA`/`genSignedCert`/`genSelfSignedCert` return, with fake PEM blocks.
pub(crate) fn fake_certificate() -> Val {
    Val::object(Object {
        type_name: "sprig.certificate",
        fields: vec![
            ("Cert", Val::str(fake_pem("CERTIFICATE"))),
            ("Key", Val::str(fake_pem("RSA PRIVATE KEY"))),
        ],
        methods: Methods::None,
    })
}

/// Sprig's `date`: Go's reference-time layout applied to a Unix time (ints) or, for anything
/// else (`now`), the fixed fake instant.
pub(crate) fn format_date(layout: &str, when: &Val) -> String {
    let seconds = match when.kind {
        Kind::Int(number, IntType::Int | IntType::Int64) => number,
        _ => 946_684_800,
    };
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let weekday = (days + 4).rem_euclid(7) as usize;
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let month_name = MONTHS
        .get((month - 1) as usize)
        .copied()
        .unwrap_or("January");
    let day_name = DAYS.get(weekday).copied().unwrap_or("Sunday");
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let tokens: [(&str, String); 24] = [
        ("2006", format!("{year:04}")),
        ("January", month_name.to_string()),
        ("Monday", day_name.to_string()),
        ("Z07:00", "Z".into()),
        ("-07:00", "+00:00".into()),
        ("-0700", "+0000".into()),
        ("Jan", month_name.chars().take(3).collect()),
        ("Mon", day_name.chars().take(3).collect()),
        ("MST", "UTC".into()),
        ("_2", format!("{day:>2}")),
        ("01", format!("{month:02}")),
        ("02", format!("{day:02}")),
        ("03", format!("{hour12:02}")),
        ("04", format!("{minute:02}")),
        ("05", format!("{second:02}")),
        ("06", format!("{:02}", year % 100)),
        ("15", format!("{hour:02}")),
        ("PM", if hour >= 12 { "PM".into() } else { "AM".into() }),
        ("pm", if hour >= 12 { "pm".into() } else { "am".into() }),
        (".000", ".000".into()),
        ("1", month.to_string()),
        ("2", day.to_string()),
        ("3", hour12.to_string()),
        ("4", minute.to_string()),
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (token, value) in &tokens {
            if let Some(after) = rest.strip_prefix(token) {
                out.push_str(value);
                rest = after;
                continue 'outer;
            }
        }
        if let Some(after) = rest.strip_prefix('5') {
            out.push_str(&second.to_string());
            rest = after;
            continue;
        }
        let mut chars = rest.chars();
        if let Some(ch) = chars.next() {
            out.push(ch);
        }
        rest = chars.as_str();
    }
    out
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_and_base64_match_known_vectors() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(base64_encode(b"hello!?"), "aGVsbG8hPw==");
        assert_eq!(
            base64_decode("aGVsbG8hPw==").as_deref(),
            Some(&b"hello!?"[..])
        );
        assert_eq!(base64_decode("abc"), None);
    }

    #[test]
    fn json_is_written_as_go_writes_it() {
        let value = map_of(vec![
            ("b", Val::float(1e6)),
            ("a", Val::str("<x>")),
            ("c", Val::float(1e21)),
            ("d", Val::float(0.5)),
        ]);
        assert_eq!(
            to_json(&value, true, false),
            r#"{"a":"\u003cx\u003e","b":1000000,"c":1e+21,"d":0.5}"#
        );
        assert_eq!(
            to_json(&value, false, false),
            r#"{"a":"<x>","b":1000000,"c":1e+21,"d":0.5}"#
        );
    }

    #[test]
    fn dates_follow_go_layouts() {
        assert_eq!(
            format_date("2006-01-02T15:04:05Z07:00", &Val::int64(0)),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            format_date("Mon Jan _2 2006", &Val::nil()),
            "Sat Jan  1 2000"
        );
    }

    #[test]
    fn paths_follow_go() {
        assert_eq!(path_base("a/b.txt"), "b.txt");
        assert_eq!(path_dir("a/b/c"), "a/b");
        assert_eq!(path_ext("a/b.tar.gz"), ".gz");
    }
}
