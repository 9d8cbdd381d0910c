//! Go's `fmt` for the values templates see: `%v` printing (what `{{ x }}`, `print` and Sprig's
//! `toString` use), and `printf`'s verbs, flags, width and precision, with Go's `%!verb(...)`
//! notes for wrong or missing arguments. Floats follow `strconv.FormatFloat`: shortest digits,
//! and `%v` switches to an exponent when it is below -4 or at least 6 (`1e+06`).

use super::value::{Kind, MAX_DEPTH, Methods, Val};

/// `%v` of a value as `fmt.Sprint` prints it (`<nil>` for nil).
pub(crate) fn sprint_value(value: &Val) -> String {
    let mut out = String::new();
    write_value(&mut out, value, false, 0);
    out
}

fn write_value(out: &mut String, value: &Val, plus: bool, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match &value.kind {
        Kind::Nil => out.push_str("<nil>"),
        Kind::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Kind::Int(number, _) => out.push_str(&number.to_string()),
        Kind::Float(number) => out.push_str(&format_float_g(*number, None, false)),
        Kind::Str(text) => out.push_str(&text.text),
        Kind::Map(map) => {
            out.push_str("map[");
            for (index, (key, slot)) in map.borrow().iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_value(out, &slot.value, plus, depth + 1);
            }
            out.push(']');
        }
        Kind::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_value(out, item, plus, depth + 1);
            }
            out.push(']');
        }
        Kind::Object(object) => match &object.methods {
            Methods::KubeVersion => {
                let version = object.fields.iter().find(|(name, _)| *name == "Version");
                if let Some((_, version)) = version {
                    write_value(out, version, plus, depth + 1);
                }
            }
            Methods::ApiVersions(versions) => {
                out.push('[');
                out.push_str(&versions.join(" "));
                out.push(']');
            }
            Methods::Files(files) => {
                out.push_str("map[");
                let names: Vec<&str> = files.keys().map(String::as_str).collect();
                out.push_str(&names.join(" "));
                out.push(']');
            }
            Methods::None => {
                out.push_str("&{");
                for (index, (name, field)) in object.fields.iter().enumerate() {
                    if index > 0 {
                        out.push(' ');
                    }
                    if plus {
                        out.push_str(name);
                        out.push(':');
                    }
                    write_value(out, field, plus, depth + 1);
                }
                out.push('}');
            }
        },
    }
}

/// `fmt.Sprint(args...)`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Val]) -> String {
    let mut out = String::new();
    for (index, arg) in args.iter().enumerate() {
        let is_string = |value: &Val| matches!(value.kind, Kind::Str(_));
        let previous = index.checked_sub(1).and_then(|previous| args.get(previous));
        if previous.is_some_and(|previous| !is_string(previous) && !is_string(arg)) {
            out.push(' ');
        }
        out.push_str(&sprint_value(arg));
    }
    out
}

/// `fmt.Sprintln(args...)`: spaces between all operands and a final newline.
pub(crate) fn sprintln(args: &[Val]) -> String {
    let parts: Vec<String> = args.iter().map(sprint_value).collect();
    parts.join(" ") + "\n"
}

/// Decimal digits and exponent of `number` (positive, finite, nonzero): `d.ddd × 10^exponent`.
/// `precision` = significant digits, or `None` for the shortest that reads back.
fn digits(number: f64, precision: Option<usize>) -> (String, i32) {
    let text = match precision {
        Some(precision) => format!("{:.*e}", precision.saturating_sub(1), number),
        None => format!("{number:e}"),
    };
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// `%e` from digits: `d.ddde±XX`.
fn exponent_form(digits: &str, exponent: i32, min_fraction: usize, sharp: bool) -> String {
    let mut chars = digits.chars();
    let mut out = String::new();
    out.push(chars.next().unwrap_or('0'));
    let mut fraction: String = chars.collect();
    while fraction.len() < min_fraction {
        fraction.push('0');
    }
    if !fraction.is_empty() || sharp {
        out.push('.');
        out.push_str(&fraction);
    }
    out.push('e');
    out.push(if exponent < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exponent.unsigned_abs()));
    out
}

/// `%f` from digits: the decimal point placed by the exponent.
fn fixed_form(digits: &str, exponent: i32) -> String {
    let point = exponent + 1;
    if point <= 0 {
        let zeros = "0".repeat(point.unsigned_abs() as usize);
        return format!("0.{zeros}{digits}");
    }
    let point = point as usize;
    if digits.len() <= point {
        return format!("{digits}{}", "0".repeat(point - digits.len()));
    }
    let (whole, fraction) = digits.split_at(point);
    format!("{whole}.{fraction}")
}

fn special_float(number: f64) -> Option<String> {
    if number.is_nan() {
        return Some("NaN".into());
    }
    if number.is_infinite() {
        return Some(if number > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        });
    }
    None
}

/// `strconv.FormatFloat(number, 'g', precision, 64)` (`None`: shortest, as `%v` prints).
pub(crate) fn format_float_g(number: f64, precision: Option<usize>, sharp: bool) -> String {
    if let Some(special) = special_float(number) {
        return special;
    }
    let sign = if number.is_sign_negative() { "-" } else { "" };
    if number == 0.0 {
        let zero = match precision {
            Some(precision) if sharp => format!("0.{}", "0".repeat(precision.saturating_sub(1))),
            _ => "0".into(),
        };
        return format!("{sign}{zero}");
    }
    let precision = precision.map(|precision| precision.max(1));
    let (mut digits, exponent) = digits(number.abs(), precision);
    let limit = precision.map_or(6, |precision| precision as i32);
    let body = if exponent < -4 || exponent >= limit {
        if !sharp {
            trim_zeros(&mut digits);
        }
        let min_fraction = if sharp {
            precision.unwrap_or(6).saturating_sub(1)
        } else {
            0
        };
        exponent_form(&digits, exponent, min_fraction, sharp)
    } else {
        if !sharp {
            trim_zeros(&mut digits);
        }
        fixed_form(&digits, exponent)
    };
    format!("{sign}{body}")
}

fn trim_zeros(digits: &mut String) {
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
}

/// `%e` with `precision` fraction digits (default 6).
pub(crate) fn format_float_e(number: f64, precision: usize) -> String {
    if let Some(special) = special_float(number) {
        return special;
    }
    let sign = if number.is_sign_negative() { "-" } else { "" };
    if number == 0.0 {
        return format!("{sign}{}", exponent_form("0", 0, precision, false));
    }
    let (digits, exponent) = digits(number.abs(), Some(precision + 1));
    format!(
        "{sign}{}",
        exponent_form(&digits, exponent, precision, false)
    )
}

/// `%f` with `precision` fraction digits.
pub(crate) fn format_float_f(number: f64, precision: usize) -> String {
    if let Some(special) = special_float(number) {
        return special;
    }
    format!("{number:.precision$}")
}

/// One `printf` directive's flags, width and precision.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// `fmt.Sprintf(format, args...)`.
pub(crate) fn sprintf(format: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = number_or_star(&mut chars, args, &mut next_arg);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number_or_star(&mut chars, args, &mut next_arg).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next_arg += 1;
        let formatted = format_arg(verb, &spec, arg);
        out.push_str(&pad(&formatted, &spec, verb, arg));
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args
            .iter()
            .skip(next_arg)
            .map(|arg| format!("{}={}", arg.type_name(), sprint_value(arg)))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

fn number_or_star(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    args: &[Val],
    next_arg: &mut usize,
) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let value = args.get(*next_arg);
        *next_arg += 1;
        return match value.map(|value| &value.kind) {
            Some(Kind::Int(number, _)) => usize::try_from(*number).ok(),
            _ => None,
        };
    }
    let mut digits = String::new();
    while let Some(&digit) = chars.peek().filter(|ch| ch.is_ascii_digit()) {
        digits.push(digit);
        chars.next();
    }
    digits.parse().ok().map(|width: usize| width.min(1 << 20))
}

fn bad_verb(verb: char, arg: &Val) -> String {
    match arg.kind {
        Kind::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", arg.type_name(), sprint_value(arg)),
    }
}

fn format_arg(verb: char, spec: &Spec, arg: &Val) -> String {
    match (&arg.kind, verb) {
        (_, 'v') if spec.plus => {
            let mut out = String::new();
            write_value(&mut out, arg, true, 0);
            out
        }
        (_, 'T') => arg.type_name().to_string(),
        (Kind::Nil, 'v' | 's') => "<nil>".to_string(),
        (Kind::Str(text), 's' | 'v') => truncate(&text.text, spec.precision),
        (Kind::Str(text), 'q') => go_quote(&text.text),
        (Kind::Str(text), 'x' | 'X') => hex_bytes(text.text.as_bytes(), verb == 'X'),
        (Kind::Bool(flag), 't' | 'v') => flag.to_string(),
        (Kind::Int(number, _), 'd' | 'v') => {
            signed(*number, spec, number.unsigned_abs().to_string())
        }
        (Kind::Int(number, _), 'x') => {
            signed(*number, spec, format!("{:x}", number.unsigned_abs()))
        }
        (Kind::Int(number, _), 'X') => {
            signed(*number, spec, format!("{:X}", number.unsigned_abs()))
        }
        (Kind::Int(number, _), 'o') => {
            signed(*number, spec, format!("{:o}", number.unsigned_abs()))
        }
        (Kind::Int(number, _), 'b') => {
            signed(*number, spec, format!("{:b}", number.unsigned_abs()))
        }
        (Kind::Int(number, _), 'c') => char::from_u32(u32::try_from(*number).unwrap_or(0xFFFD))
            .unwrap_or('\u{FFFD}')
            .to_string(),
        (Kind::Int(number, _), 'q') => {
            let ch = char::from_u32(u32::try_from(*number).unwrap_or(0xFFFD)).unwrap_or('\u{FFFD}');
            format!("'{}'", ch.escape_default())
        }
        (Kind::Float(number), 'v' | 'g' | 'G') => float_sign(
            *number,
            spec,
            format_float_g(*number, spec.precision, spec.sharp),
        ),
        (Kind::Float(number), 'f' | 'F') => float_sign(
            *number,
            spec,
            format_float_f(*number, spec.precision.unwrap_or(6)),
        ),
        (Kind::Float(number), 'e' | 'E') => {
            let text = format_float_e(*number, spec.precision.unwrap_or(6));
            let text = if verb == 'E' {
                text.to_uppercase()
            } else {
                text
            };
            float_sign(*number, spec, text)
        }
        (Kind::Map(_) | Kind::List(_) | Kind::Object(_), 'v' | 's') => sprint_value(arg),
        (Kind::List(items), 'q') => {
            let parts: Vec<String> = items
                .iter()
                .map(|item| format_arg('q', spec, item))
                .collect();
            format!("[{}]", parts.join(" "))
        }
        _ => bad_verb(verb, arg),
    }
}

fn signed(number: i64, spec: &Spec, digits: String) -> String {
    let sign = if number < 0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{sign}{digits}")
}

fn float_sign(number: f64, spec: &Spec, text: String) -> String {
    if number.is_sign_negative() || number.is_nan() || text.starts_with('+') {
        return text;
    }
    if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    }
}

fn truncate(text: &str, precision: Option<usize>) -> String {
    match precision {
        Some(precision) => text.chars().take(precision).collect(),
        None => text.to_string(),
    }
}

fn hex_bytes(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|byte| {
            if upper {
                format!("{byte:02X}")
            } else {
                format!("{byte:02x}")
            }
        })
        .collect()
}

/// `strconv.Quote`: Go's double-quoted form, printable Unicode kept.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            ch if (ch as u32) < 0x20 || ch == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", ch as u32))
            }
            ch if ch.is_control() => {
                if (ch as u32) <= 0xFFFF {
                    out.push_str(&format!("\\u{:04x}", ch as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", ch as u32));
                }
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// Width padding; `0` pads numbers after their sign.
fn pad(text: &str, spec: &Spec, verb: char, arg: &Val) -> String {
    let Some(width) = spec.width else {
        return text.to_string();
    };
    let length = text.chars().count();
    if length >= width {
        return text.to_string();
    }
    let fill = width - length;
    if spec.minus {
        return format!("{text}{}", " ".repeat(fill));
    }
    let numeric = matches!(arg.kind, Kind::Int(..) | Kind::Float(_)) && verb != 'c' && verb != 'q';
    if spec.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+', ' ']) {
            Some(rest) => (text.get(..1).unwrap_or_default(), rest),
            None => ("", text),
        };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    format!("{}{text}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_float64() {
        let cases = [
            (3.0, "3"),
            (1e6, "1e+06"),
            (100000.0, "100000"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.1, "0.1"),
        ];
        for (number, printed) in cases {
            assert_eq!(sprint_value(&Val::float(number)), printed, "{number}");
        }
    }

    #[test]
    fn printf_formats_ints_floats_and_strings_like_go() {
        let args = [
            Val::int(42),
            Val::float(1.23456),
            Val::str("x"),
            Val::str("a\"b"),
        ];
        assert_eq!(sprintf("%d|%5.2f|%s|%q", &args), "42| 1.23|x|\"a\\\"b\"");
        assert_eq!(sprintf("%d", &[Val::float(3.0)]), "%!d(float64=3)");
        assert_eq!(sprintf("%s-%s", &[Val::str("a")]), "a-%!s(MISSING)");
        assert_eq!(sprintf("%v", &[Val::float(1e6)]), "1e+06");
        assert_eq!(
            sprintf("%05d|%-4d|%x", &[Val::int(-42), Val::int(7), Val::int(255)]),
            "-0042|7   |ff"
        );
        assert_eq!(
            sprintf(
                "%g|%e|%.3g",
                &[Val::float(1e21), Val::float(1234.5), Val::float(1234.5)]
            ),
            "1e+21|1.234500e+03|1.23e+03"
        );
        assert_eq!(
            sprintf("%s", &[Val::str("a"), Val::int(1)]),
            "a%!(EXTRA int=1)"
        );
        assert_eq!(sprintf("%v %s", &[Val::nil(), Val::nil()]), "<nil> <nil>");
    }

    #[test]
    fn sprint_spaces_only_between_non_strings() {
        assert_eq!(
            sprint(&[Val::int(1), Val::int(2), Val::str("a"), Val::int(3)]),
            "1 2a3"
        );
    }
}
