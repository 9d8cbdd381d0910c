//! The functions templates can call: Go's builtins, Helm's own (`include` and `tpl` live in the
//! executor, which they re-enter), and the Sprig functions Helm registers that real charts use:
//! every one `../shared/charts/FUNCTIONS.md` counts, and their close relatives. Sprig functions
//! not listed in [`FUNCTIONS`] (`camelcase`, `sha512sum`, `dateModify`, ...) are not
//! implemented: a template using one fails to parse with Go's "function not defined", reported
//! at its line. Arguments are checked as Go's reflection checks a typed parameter: a `string`
//! parameter refuses a number ("wrong type for value; expected string; got float64"), and a
//! function is called with the number of arguments it declares.
//!
//! Functions that would be random or read the clock give fixed, recognisably fake output:
//! `randAlphaNum 5` is `xxxxx`-shaped text of the asked length, `now` is 2000-01-01T00:00:00Z,
//! `uuidv4` is all zeros, `getHostByName` is empty (what `helm template` gives without
//! `--enable-dns`: Helm swaps Sprig's DNS lookup out), and certificates and keys are PEM blocks whose body decodes to
//! `KUBEPATROL-FAKE-NOT-A-REAL-KEY` (never a real key).

use std::cell::RefCell;
// Template and function names are hashed on every call: foldhash, not SipHash.
use foldhash::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use super::Limits;
use super::encode;
use super::format::{go_quote, sprint, sprint_value, sprintf, sprintln};
use super::semver;
use super::text::Traced;
use super::toml;
use super::value::{Kind, Map, Methods, Object, Slot, Val};
use super::yaml_out;

/// Every function name with its minimum and maximum argument count (`None`: variadic).
const FUNCTIONS: &[(&str, usize, Option<usize>)] = &[
    // Go builtins.
    ("and", 1, None),
    ("or", 1, None),
    ("not", 1, Some(1)),
    ("len", 1, Some(1)),
    ("index", 1, None),
    ("slice", 1, None),
    ("print", 0, None),
    ("printf", 1, None),
    ("println", 0, None),
    ("urlquery", 0, None),
    ("html", 0, None),
    ("js", 0, None),
    ("call", 1, None),
    ("eq", 1, None),
    ("ne", 2, Some(2)),
    ("lt", 2, Some(2)),
    ("le", 2, Some(2)),
    ("gt", 2, Some(2)),
    ("ge", 2, Some(2)),
    // Helm.
    ("include", 2, Some(2)),
    ("tpl", 2, Some(2)),
    ("required", 2, Some(2)),
    ("fail", 1, Some(1)),
    ("toYaml", 1, Some(1)),
    ("mustToYaml", 1, Some(1)),
    ("fromYaml", 1, Some(1)),
    ("fromYamlArray", 1, Some(1)),
    ("toJson", 1, Some(1)),
    ("mustToJson", 1, Some(1)),
    ("toPrettyJson", 1, Some(1)),
    ("toRawJson", 1, Some(1)),
    ("fromJson", 1, Some(1)),
    ("fromJsonArray", 1, Some(1)),
    ("lookup", 4, Some(4)),
    ("toToml", 1, Some(1)),
    ("fromToml", 1, Some(1)),
    ("toYamlPretty", 1, Some(1)),
    // Sprig: strings.
    ("quote", 0, None),
    ("squote", 0, None),
    ("cat", 0, None),
    ("indent", 2, Some(2)),
    ("nindent", 2, Some(2)),
    ("trim", 1, Some(1)),
    ("trimAll", 2, Some(2)),
    ("trimPrefix", 2, Some(2)),
    ("trimSuffix", 2, Some(2)),
    ("trunc", 2, Some(2)),
    ("upper", 1, Some(1)),
    ("lower", 1, Some(1)),
    ("title", 1, Some(1)),
    ("replace", 3, Some(3)),
    ("repeat", 2, Some(2)),
    ("substr", 3, Some(3)),
    ("contains", 2, Some(2)),
    ("hasPrefix", 2, Some(2)),
    ("hasSuffix", 2, Some(2)),
    ("split", 2, Some(2)),
    ("splitList", 2, Some(2)),
    ("join", 2, Some(2)),
    ("toString", 1, Some(1)),
    ("toStrings", 1, Some(1)),
    ("b64enc", 1, Some(1)),
    ("b64dec", 1, Some(1)),
    ("sha256sum", 1, Some(1)),
    ("sha1sum", 1, Some(1)),
    ("base", 1, Some(1)),
    ("dir", 1, Some(1)),
    ("ext", 1, Some(1)),
    ("regexMatch", 2, Some(2)),
    ("mustRegexMatch", 2, Some(2)),
    ("regexFind", 2, Some(2)),
    ("mustRegexFind", 2, Some(2)),
    ("regexFindAll", 3, Some(3)),
    ("regexReplaceAll", 3, Some(3)),
    ("mustRegexReplaceAll", 3, Some(3)),
    ("regexReplaceAllLiteral", 3, Some(3)),
    ("mustRegexReplaceAllLiteral", 3, Some(3)),
    ("regexSplit", 3, Some(3)),
    ("randAlphaNum", 1, Some(1)),
    ("randAlpha", 1, Some(1)),
    ("randAscii", 1, Some(1)),
    ("randNumeric", 1, Some(1)),
    ("shuffle", 1, Some(1)),
    ("uuidv4", 0, Some(0)),
    ("getHostByName", 1, Some(1)),
    // Sprig: defaults and types.
    ("default", 1, None),
    ("empty", 1, Some(1)),
    ("coalesce", 0, None),
    ("ternary", 3, Some(3)),
    ("typeOf", 1, Some(1)),
    ("typeIs", 2, Some(2)),
    ("kindOf", 1, Some(1)),
    ("kindIs", 2, Some(2)),
    ("deepEqual", 2, Some(2)),
    // Sprig: numbers.
    ("int", 1, Some(1)),
    ("int64", 1, Some(1)),
    ("float64", 1, Some(1)),
    ("atoi", 1, Some(1)),
    ("add", 0, None),
    ("add1", 1, Some(1)),
    ("sub", 2, Some(2)),
    ("mul", 1, None),
    ("div", 2, Some(2)),
    ("mod", 2, Some(2)),
    ("max", 1, None),
    ("min", 1, None),
    ("floor", 1, Some(1)),
    ("ceil", 1, Some(1)),
    ("round", 2, Some(3)),
    ("until", 1, Some(1)),
    ("untilStep", 3, Some(3)),
    ("seq", 0, None),
    // Sprig: lists.
    ("list", 0, None),
    ("tuple", 0, None),
    ("append", 2, Some(2)),
    ("mustAppend", 2, Some(2)),
    ("prepend", 2, Some(2)),
    ("concat", 0, None),
    ("first", 1, Some(1)),
    ("mustFirst", 1, Some(1)),
    ("last", 1, Some(1)),
    ("mustLast", 1, Some(1)),
    ("rest", 1, Some(1)),
    ("initial", 1, Some(1)),
    ("has", 2, Some(2)),
    ("mustHas", 2, Some(2)),
    ("uniq", 1, Some(1)),
    ("mustUniq", 1, Some(1)),
    ("without", 1, None),
    ("compact", 1, Some(1)),
    ("reverse", 1, Some(1)),
    ("sortAlpha", 1, Some(1)),
    // Sprig: dicts.
    ("dict", 0, None),
    ("get", 2, Some(2)),
    ("set", 3, Some(3)),
    ("unset", 2, Some(2)),
    ("hasKey", 2, Some(2)),
    ("keys", 0, None),
    ("values", 1, Some(1)),
    ("pick", 1, None),
    ("omit", 1, None),
    ("pluck", 1, None),
    ("dig", 2, None),
    ("merge", 1, None),
    ("mustMerge", 1, None),
    ("mergeOverwrite", 1, None),
    ("mustMergeOverwrite", 1, None),
    ("deepCopy", 1, Some(1)),
    ("mustDeepCopy", 1, Some(1)),
    // Sprig: versions, dates, crypto.
    ("semverCompare", 2, Some(2)),
    ("semver", 1, Some(1)),
    ("now", 0, Some(0)),
    ("date", 2, Some(2)),
    ("dateInZone", 3, Some(3)),
    ("genCA", 2, Some(2)),
    ("genSelfSignedCert", 4, Some(4)),
    ("genSignedCert", 5, Some(5)),
    ("genPrivateKey", 1, Some(1)),
];

/// [`FUNCTIONS`] by name: every call checks its arity, and charts make tens of thousands of
/// calls per render, too many for a scan of two hundred names.
static SIGNATURES: LazyLock<HashMap<&'static str, (usize, Option<usize>)>> = LazyLock::new(|| {
    (FUNCTIONS.iter())
        .map(|&(name, min, max)| (name, (min, max)))
        .collect()
});

/// Whether `name` is a function (the parser refuses unknown ones, as Go's does).
pub(crate) fn is_function(name: &str) -> bool {
    SIGNATURES.contains_key(name)
}

/// Go's check of the argument count against the function's signature.
pub(crate) fn check_arity(name: &str, count: usize) -> Result<(), String> {
    let Some(&(min, max)) = SIGNATURES.get(name) else {
        return Err(format!("function {name:?} not defined"));
    };
    match max {
        Some(max) if min == max && count != min => Err(format!(
            "wrong number of args for {name}: want {min} got {count}"
        )),
        Some(max) if count > max || count < min => Err(format!(
            "wrong number of args for {name}: want {min} got {count}"
        )),
        None if count < min => Err(format!(
            "wrong number of args for {name}: want at least {min} got {count}"
        )),
        _ => Ok(()),
    }
}

fn arg(args: &[Val], index: usize) -> Val {
    args.get(index).cloned().unwrap_or_else(Val::nil)
}

fn wrong_type(expected: &str, value: &Val) -> String {
    match value.kind {
        Kind::Nil => format!("invalid value; expected {expected}"),
        _ => format!(
            "wrong type for value; expected {expected}; got {}",
            value.type_name()
        ),
    }
}

/// A `string` parameter, with its origins.
pub(crate) fn traced_arg(args: &[Val], index: usize) -> Result<Traced, String> {
    let value = arg(args, index);
    match &value.kind {
        Kind::Str(text) => {
            let mut traced = Traced::default();
            traced.push_traced(text, value.origin);
            Ok(traced)
        }
        _ => Err(wrong_type("string", &value)),
    }
}

/// A `string` parameter.
pub(crate) fn string_arg(args: &[Val], index: usize) -> Result<String, String> {
    let value = arg(args, index);
    match &value.kind {
        Kind::Str(text) => Ok(text.text.clone()),
        _ => Err(wrong_type("string", &value)),
    }
}

/// An `int` parameter.
fn int_arg(args: &[Val], index: usize) -> Result<i64, String> {
    let value = arg(args, index);
    match value.kind {
        Kind::Int(number, _) => Ok(number),
        _ => Err(wrong_type("int", &value)),
    }
}

fn bool_arg(args: &[Val], index: usize) -> Result<bool, String> {
    let value = arg(args, index);
    match value.kind {
        Kind::Bool(flag) => Ok(flag),
        _ => Err(wrong_type("bool", &value)),
    }
}

/// A `map[string]interface{}` parameter: nil is an empty map, as Go passes a nil map.
fn map_arg(args: &[Val], index: usize) -> Result<Rc<RefCell<Map>>, String> {
    let value = arg(args, index);
    match &value.kind {
        Kind::Map(map) => Ok(Rc::clone(map)),
        Kind::Nil => Ok(Rc::new(RefCell::new(Map::new()))),
        _ => Err(wrong_type("map[string]interface {}", &value)),
    }
}

/// Sprig's `strval`: a string as is, anything else as `%v` prints it.
fn strval(value: &Val) -> String {
    match &value.kind {
        Kind::Str(text) => text.text.clone(),
        _ => sprint_value(value),
    }
}

/// Sprig's `strval` keeping a string's origins.
fn traced_strval(value: &Val) -> Traced {
    match &value.kind {
        Kind::Str(text) => {
            let mut traced = Traced::default();
            traced.push_traced(text, value.origin);
            traced
        }
        _ => Traced::from_origin(
            sprint_value(value),
            value.origin.map(|origin| super::text::Origin {
                exact: false,
                ..origin
            }),
        ),
    }
}

/// A list argument as Sprig reads one (any slice; nil is empty where Sprig allows it).
fn list_items(value: &Val, name: &str) -> Result<Vec<Val>, String> {
    match &value.kind {
        Kind::List(items) => Ok(items.as_ref().clone()),
        Kind::Object(object) => match &object.methods {
            Methods::ApiVersions(versions) => Ok(versions
                .iter()
                .map(|version| Val::str(version.clone()))
                .collect()),
            _ => Err(format!("Cannot {name} on type {}", value.type_name())),
        },
        _ => Err(format!("Cannot {name} on type {}", value.type_name())),
    }
}

/// Call `name` (not `include`/`tpl`) with evaluated arguments.
pub(crate) fn call(name: &str, args: Vec<Val>, limits: &Limits) -> Result<Val, String> {
    if let Some(value) = go_builtin(name, &args)? {
        return Ok(value);
    }
    if let Some(value) = helm(name, &args)? {
        return Ok(value);
    }
    if let Some(value) = strings(name, &args, limits)? {
        return Ok(value);
    }
    if let Some(value) = numbers(name, &args, limits)? {
        return Ok(value);
    }
    if let Some(value) = lists(name, &args)? {
        return Ok(value);
    }
    if let Some(value) = dicts(name, &args)? {
        return Ok(value);
    }
    if let Some(value) = misc(name, &args)? {
        return Ok(value);
    }
    Err(format!("function {name:?} not defined"))
}

fn go_builtin(name: &str, args: &[Val]) -> Result<Option<Val>, String> {
    let value = match name {
        "not" => Val::bool(!arg(args, 0).truthy()),
        "len" => Val::int(length(&arg(args, 0))?),
        "index" => index(args)?,
        "slice" => slice(args)?,
        "print" => Val::str(sprint(args)),
        "printf" => Val::str(sprintf(
            &string_arg(args, 0)?,
            args.get(1..).unwrap_or_default(),
        )),
        "println" => Val::str(sprintln(args)),
        "urlquery" => Val::str(encode::query_escape(&sprint(args))),
        "html" => Val::str(encode::html_escape(&sprint(args))),
        "js" => Val::str(encode::js_escape(&sprint(args))),
        "call" => return Err("can't call a non-function value".into()),
        "eq" => Val::bool(equal_any(args)?),
        "ne" => Val::bool(!equal(&arg(args, 0), &arg(args, 1))?),
        "lt" => Val::bool(less(&arg(args, 0), &arg(args, 1))?),
        "le" => {
            Val::bool(less(&arg(args, 0), &arg(args, 1))? || equal(&arg(args, 0), &arg(args, 1))?)
        }
        "gt" => {
            Val::bool(!less(&arg(args, 0), &arg(args, 1))? && !equal(&arg(args, 0), &arg(args, 1))?)
        }
        "ge" => Val::bool(!less(&arg(args, 0), &arg(args, 1))?),
        _ => return Ok(None),
    };
    Ok(Some(value))
}

fn length(value: &Val) -> Result<i64, String> {
    Ok(match &value.kind {
        Kind::Str(text) => text.text.len() as i64,
        Kind::Map(map) => map.borrow().len() as i64,
        Kind::List(items) => items.len() as i64,
        Kind::Object(object) => match &object.methods {
            Methods::Files(files) => files.len() as i64,
            Methods::ApiVersions(versions) => versions.len() as i64,
            _ => {
                return Err(format!(
                    "error calling len: len of type {}",
                    value.type_name()
                ));
            }
        },
        Kind::Nil => return Err("error calling len: len of nil pointer".into()),
        _ => {
            return Err(format!(
                "error calling len: len of type {}",
                value.type_name()
            ));
        }
    })
}

fn index_int(value: &Val, kind: &str) -> Result<i64, String> {
    match value.kind {
        Kind::Int(number, _) => Ok(number),
        Kind::Nil => Err(format!("cannot index {kind} with nil")),
        _ => Err(format!(
            "cannot index {kind} with type {}",
            value.type_name()
        )),
    }
}

fn index(args: &[Val]) -> Result<Val, String> {
    let mut value = arg(args, 0);
    for key in args.get(1..).unwrap_or_default() {
        value = match &value.kind {
            Kind::List(items) => {
                let position = index_int(key, "slice/array")?;
                usize::try_from(position)
                    .ok()
                    .and_then(|position| items.get(position))
                    .cloned()
                    .ok_or_else(|| format!("error calling index: index out of range: {position}"))?
            }
            Kind::Map(map) => {
                let Kind::Str(name) = &key.kind else {
                    return Err(format!(
                        "error calling index: value has type {}; should be string",
                        key.type_name()
                    ));
                };
                map.borrow()
                    .get(&name.text)
                    .map(|slot| slot.value.clone())
                    .unwrap_or_else(Val::nil)
            }
            Kind::Str(text) => {
                let position = index_int(key, "string")?;
                usize::try_from(position)
                    .ok()
                    .and_then(|position| text.text.as_bytes().get(position))
                    .map(|byte| Val::new(Kind::Int(i64::from(*byte), super::value::IntType::Int)))
                    .ok_or_else(|| format!("error calling index: index out of range: {position}"))?
            }
            Kind::Nil => return Err("error calling index: index of untyped nil".into()),
            _ => {
                return Err(format!(
                    "error calling index: can't index item of type {}",
                    value.type_name()
                ));
            }
        };
    }
    Ok(value)
}

fn slice(args: &[Val]) -> Result<Val, String> {
    let value = arg(args, 0);
    let bounds: Vec<i64> = args
        .get(1..)
        .unwrap_or_default()
        .iter()
        .map(|bound| index_int(bound, "slice"))
        .collect::<Result<_, _>>()?;
    let length = match &value.kind {
        Kind::List(items) => items.len(),
        Kind::Str(text) => text.text.len(),
        Kind::Nil => return Err("error calling slice: slice of untyped nil".into()),
        _ => {
            return Err(format!(
                "error calling slice: can't slice item of type {}",
                value.type_name()
            ));
        }
    };
    let to_index = |bound: i64| usize::try_from(bound).ok().filter(|bound| *bound <= length);
    let start = bounds.first().map_or(Some(0), |bound| to_index(*bound));
    let end = bounds.get(1).map_or(Some(length), |bound| to_index(*bound));
    let (Some(start), Some(end)) = (start, end) else {
        return Err(format!(
            "error calling slice: index out of range: {bounds:?}"
        ));
    };
    if start > end || bounds.len() > 2 {
        return Err(format!(
            "error calling slice: invalid slice index: {start} > {end}"
        ));
    }
    Ok(match &value.kind {
        Kind::List(items) => Val::list(items.get(start..end).unwrap_or_default().to_vec()),
        Kind::Str(text) => Val::traced(text.slice(start, end)),
        _ => Val::nil(),
    })
}

/// Go's basic kinds for comparison; integers of any size compare with each other.
#[derive(PartialEq)]
enum Basic {
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn basic(value: &Val) -> Option<Basic> {
    Some(match value.kind {
        Kind::Nil => return None,
        Kind::Bool(_) => Basic::Bool,
        Kind::Int(..) => Basic::Int,
        Kind::Float(_) => Basic::Float,
        Kind::Str(_) => Basic::Str,
        _ => Basic::Other,
    })
}

fn equal_any(args: &[Val]) -> Result<bool, String> {
    let first = arg(args, 0);
    if args.len() < 2 {
        return Err("error calling eq: missing argument for comparison".into());
    }
    for other in args.get(1..).unwrap_or_default() {
        if equal(&first, other)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `eq` for two values: different basic kinds are an error unless one is nil.
fn equal(left: &Val, right: &Val) -> Result<bool, String> {
    match (basic(left), basic(right)) {
        (None, None) => Ok(true),
        (None, _) | (_, None) => Ok(false),
        (Some(a), Some(b)) if a != b => {
            Err("error calling eq: incompatible types for comparison".into())
        }
        (Some(Basic::Other), _) => Err(format!(
            "error calling eq: non-comparable type {}: {}",
            sprint_value(left),
            left.type_name()
        )),
        _ => Ok(match (&left.kind, &right.kind) {
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            (Kind::Int(a, _), Kind::Int(b, _)) => a == b,
            (Kind::Float(a), Kind::Float(b)) => a == b,
            (Kind::Str(a), Kind::Str(b)) => a.text == b.text,
            _ => false,
        }),
    }
}

fn less(left: &Val, right: &Val) -> Result<bool, String> {
    let (Some(a), Some(b)) = (basic(left), basic(right)) else {
        return Err("error calling lt: invalid type for comparison".into());
    };
    if a != b {
        return Err("error calling lt: incompatible types for comparison".into());
    }
    match (&left.kind, &right.kind) {
        (Kind::Int(a, _), Kind::Int(b, _)) => Ok(a < b),
        (Kind::Float(a), Kind::Float(b)) => Ok(a < b),
        (Kind::Str(a), Kind::Str(b)) => Ok(a.text < b.text),
        _ => Err("error calling lt: invalid type for comparison".into()),
    }
}

fn helm(name: &str, args: &[Val]) -> Result<Option<Val>, String> {
    let value = match name {
        "required" => {
            let value = arg(args, 1);
            let missing = match &value.kind {
                Kind::Nil => true,
                Kind::Str(text) => text.is_empty(),
                _ => false,
            };
            if missing {
                return Err(format!("error calling required: {}", string_arg(args, 0)?));
            }
            value
        }
        "fail" => return Err(format!("error calling fail: {}", string_arg(args, 0)?)),
        "toYaml" | "mustToYaml" => Val::traced(yaml_out::to_yaml(&arg(args, 0))),
        "fromYaml" => yaml_out::from_yaml(&traced_arg(args, 0)?, false),
        "fromYamlArray" => yaml_out::from_yaml(&traced_arg(args, 0)?, true),
        "toJson" | "mustToJson" => Val::str(encode::to_json(&arg(args, 0), true, false)),
        "toRawJson" => Val::str(encode::to_json(&arg(args, 0), false, false)),
        "toPrettyJson" => Val::str(encode::to_json(&arg(args, 0), true, true)),
        "fromJson" => encode::from_json(&string_arg(args, 0)?, false),
        "fromJsonArray" => encode::from_json(&string_arg(args, 0)?, true),
        "toToml" => Val::str(toml::to_toml(&arg(args, 0))),
        "fromToml" => toml::from_toml(&string_arg(args, 0)?),
        "toYamlPretty" => Val::traced(yaml_out::to_yaml_pretty(&arg(args, 0))),
        "lookup" => {
            for position in 0..4 {
                string_arg(args, position)?;
            }
            Val::map(Map::new())
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// `indent`: every line of `text` prefixed by `count` spaces, origins kept.
/// `indent`/`nindent` (`name`): every line of `text` after `count` spaces; an error when that
/// would pass the render's output limit (a huge count must not exhaust memory).
fn indent(name: &str, text: &Traced, count: i64, limits: &Limits) -> Result<Traced, String> {
    let count = usize::try_from(count).unwrap_or(0);
    let pads = text.text.matches('\n').count() + 1;
    if count.saturating_mul(pads).saturating_add(text.len()) > limits.max_output {
        return Err(format!(
            "error calling {name}: result exceeds {} bytes",
            limits.max_output
        ));
    }
    let pad = " ".repeat(count);
    let mut out = Traced::default();
    let lines = text.lines();
    if lines.is_empty() {
        out.push(&pad, None);
    }
    for line in lines {
        out.push(&pad, None);
        out.push_traced(&line, None);
    }
    if text.text.ends_with('\n') {
        out.push(&pad, None);
    }
    Ok(out)
}

fn strings(name: &str, args: &[Val], limits: &Limits) -> Result<Option<Val>, String> {
    let value = match name {
        "quote" | "squote" => {
            let mark = if name == "quote" { "\"" } else { "'" };
            let mut out = Traced::default();
            for (index, item) in args.iter().filter(|item| !item.is_nil()).enumerate() {
                if index > 0 {
                    out.push(" ", None);
                }
                let text = traced_strval(item);
                // The quotes belong to the value: a finding at the quoted scalar points at it.
                let origin = text.first_origin().map(|origin| super::text::Origin {
                    exact: false,
                    ..origin
                });
                let quoted = if name == "quote" {
                    go_quote(&text.text)
                } else {
                    format!("'{}'", text.text)
                };
                if quoted.len() == text.len() + 2 {
                    out.push(mark, origin);
                    out.push_traced(&text, None);
                    out.push(mark, origin);
                } else {
                    out.push(&quoted, origin);
                }
            }
            Val::traced(out)
        }
        "cat" => {
            let parts: Vec<String> = args
                .iter()
                .filter(|item| !item.is_nil())
                .map(strval)
                .collect();
            Val::str(parts.join(" "))
        }
        "indent" => Val::traced(indent(
            name,
            &traced_arg(args, 1)?,
            int_arg(args, 0)?,
            limits,
        )?),
        "nindent" => {
            let mut out = Traced::plain("\n");
            let indented = indent(name, &traced_arg(args, 1)?, int_arg(args, 0)?, limits)?;
            out.push_traced(&indented, None);
            Val::traced(out)
        }
        "trim" => trim_with(
            &traced_arg(args, 0)?,
            |ch: char| ch.is_whitespace(),
            true,
            true,
        ),
        "trimAll" => {
            let cutset = string_arg(args, 0)?;
            trim_with(&traced_arg(args, 1)?, |ch| cutset.contains(ch), true, true)
        }
        "trimPrefix" => {
            let prefix = string_arg(args, 0)?;
            let text = traced_arg(args, 1)?;
            let start = if text.text.starts_with(&prefix) {
                prefix.len()
            } else {
                0
            };
            Val::traced(text.slice(start, text.len()))
        }
        "trimSuffix" => {
            let suffix = string_arg(args, 0)?;
            let text = traced_arg(args, 1)?;
            let end = if text.text.ends_with(&suffix) {
                text.len() - suffix.len()
            } else {
                text.len()
            };
            Val::traced(text.slice(0, end))
        }
        "trunc" => {
            let count = int_arg(args, 0)?;
            let text = traced_arg(args, 1)?;
            let length = text.len() as i64;
            let (start, end) = if count < 0 {
                ((length + count).max(0), length)
            } else {
                (0, count.min(length))
            };
            let (start, end) = (
                char_floor(&text.text, start as usize),
                char_floor(&text.text, end as usize),
            );
            Val::traced(text.slice(start, end))
        }
        "upper" => Val::str(string_arg(args, 0)?.to_uppercase()),
        "lower" => Val::str(string_arg(args, 0)?.to_lowercase()),
        "title" => Val::str(title(&string_arg(args, 0)?)),
        "replace" => {
            let (old, new, text) = (
                string_arg(args, 0)?,
                string_arg(args, 1)?,
                string_arg(args, 2)?,
            );
            Val::str(go_replace(&text, &old, &new))
        }
        "repeat" => {
            let count = usize::try_from(int_arg(args, 0)?).unwrap_or(0);
            let text = string_arg(args, 1)?;
            if text.len().saturating_mul(count) > limits.max_output {
                return Err(format!(
                    "error calling repeat: result exceeds {} bytes",
                    limits.max_output
                ));
            }
            Val::str(text.repeat(count))
        }
        "substr" => {
            let (start, end) = (int_arg(args, 0)?, int_arg(args, 1)?);
            let text = traced_arg(args, 2)?;
            let length = text.len() as i64;
            let start = if start < 0 { 0 } else { start.min(length) };
            let end = if end < 0 || end > length { length } else { end };
            let (start, end) = (
                char_floor(&text.text, start as usize),
                char_floor(&text.text, end as usize),
            );
            Val::traced(text.slice(start, end.max(start)))
        }
        "contains" => Val::bool(string_arg(args, 1)?.contains(&string_arg(args, 0)?)),
        "hasPrefix" => Val::bool(string_arg(args, 1)?.starts_with(&string_arg(args, 0)?)),
        "hasSuffix" => Val::bool(string_arg(args, 1)?.ends_with(&string_arg(args, 0)?)),
        "split" => {
            let parts = split(&string_arg(args, 0)?, &string_arg(args, 1)?);
            let map = parts
                .into_iter()
                .enumerate()
                .map(|(index, part)| {
                    (
                        format!("_{index}"),
                        Slot {
                            key: None,
                            value: Val::str(part),
                        },
                    )
                })
                .collect();
            Val::map(map)
        }
        "splitList" => Val::list(
            split(&string_arg(args, 0)?, &string_arg(args, 1)?)
                .into_iter()
                .map(Val::str)
                .collect(),
        ),
        "join" => {
            let separator = string_arg(args, 0)?;
            let items = match &arg(args, 1).kind {
                Kind::List(items) => items.iter().map(strval).collect::<Vec<_>>(),
                Kind::Nil => Vec::new(),
                _ => vec![strval(&arg(args, 1))],
            };
            Val::str(items.join(&separator))
        }
        "toString" => Val::traced(traced_strval(&arg(args, 0))),
        "toStrings" => {
            let items = match &arg(args, 0).kind {
                Kind::List(items) => items.iter().map(|item| Val::str(strval(item))).collect(),
                Kind::Nil => Vec::new(),
                _ => vec![Val::str(strval(&arg(args, 0)))],
            };
            Val::list(items)
        }
        "b64enc" => Val::str(encode::base64_encode(string_arg(args, 0)?.as_bytes())),
        "b64dec" => Val::str(match encode::base64_decode(&string_arg(args, 0)?) {
            Some(bytes) => crate::source::lossy_utf8_owned(bytes),
            None => "illegal base64 data at input byte 0".to_string(),
        }),
        "sha256sum" => Val::str(encode::hex(&encode::sha256(
            string_arg(args, 0)?.as_bytes(),
        ))),
        "sha1sum" => Val::str(encode::hex(&encode::sha1(string_arg(args, 0)?.as_bytes()))),
        "base" => Val::str(encode::path_base(&string_arg(args, 0)?)),
        "dir" => Val::str(encode::path_dir(&string_arg(args, 0)?)),
        "ext" => Val::str(encode::path_ext(&string_arg(args, 0)?)),
        "regexMatch" | "mustRegexMatch" => {
            Val::bool(regex(&string_arg(args, 0)?)?.is_match(&string_arg(args, 1)?))
        }
        "regexFind" | "mustRegexFind" => {
            let text = string_arg(args, 1)?;
            Val::str(
                regex(&string_arg(args, 0)?)?
                    .find(&text)
                    .map(|found| found.as_str().to_string())
                    .unwrap_or_default(),
            )
        }
        "regexFindAll" => {
            let text = string_arg(args, 1)?;
            let limit = int_arg(args, 2)?;
            let found = regex(&string_arg(args, 0)?)?
                .find_iter(&text)
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|found| Val::str(found.as_str()))
                .collect();
            Val::list(found)
        }
        "regexReplaceAll" | "mustRegexReplaceAll" => {
            let pattern = regex(&string_arg(args, 0)?)?;
            let (text, replacement) = (string_arg(args, 1)?, string_arg(args, 2)?);
            Val::str(
                pattern
                    .replace_all(&text, replacement.as_str())
                    .into_owned(),
            )
        }
        "regexReplaceAllLiteral" | "mustRegexReplaceAllLiteral" => {
            let pattern = regex(&string_arg(args, 0)?)?;
            let (text, replacement) = (string_arg(args, 1)?, string_arg(args, 2)?);
            Val::str(
                pattern
                    .replace_all(&text, regex::NoExpand(&replacement))
                    .into_owned(),
            )
        }
        "regexSplit" => {
            let pattern = regex(&string_arg(args, 0)?)?;
            let text = string_arg(args, 1)?;
            let limit = int_arg(args, 2)?;
            let parts: Vec<Val> = if limit < 0 {
                pattern.split(&text).map(Val::str).collect()
            } else {
                pattern
                    .splitn(&text, usize::try_from(limit).unwrap_or(0))
                    .map(Val::str)
                    .collect()
            };
            Val::list(parts)
        }
        "randAlphaNum" | "randAlpha" | "randAscii" | "randNumeric" => {
            let count = usize::try_from(int_arg(args, 0)?).unwrap_or(0);
            if count > limits.max_list {
                return Err(format!(
                    "error calling {name}: length {count} exceeds {}",
                    limits.max_list
                ));
            }
            let fill = if name == "randNumeric" { "0" } else { "x" };
            Val::str(fill.repeat(count))
        }
        "shuffle" => Val::str(string_arg(args, 0)?),
        "uuidv4" => Val::str("00000000-0000-4000-8000-000000000000"),
        // Helm replaces Sprig's DNS lookup unless `--enable-dns` is given, which kubepatrol
        // never does: the name resolves to nothing, on every machine, online or not.
        "getHostByName" => {
            string_arg(args, 0)?;
            Val::str("")
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

fn char_floor(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn trim_with(text: &Traced, cut: impl Fn(char) -> bool, left: bool, right: bool) -> Val {
    let mut start = 0;
    let mut end = text.len();
    if left {
        start = text.text.len() - text.text.trim_start_matches(&cut).len();
    }
    if right {
        end = text.text.trim_end_matches(&cut).len();
    }
    Val::traced(text.slice(start, end.max(start)))
}

fn title(text: &str) -> String {
    let mut out = String::new();
    let mut previous_letter = false;
    for ch in text.chars() {
        if !previous_letter {
            out.extend(ch.to_uppercase());
        } else {
            out.push(ch);
        }
        previous_letter = ch.is_alphanumeric() || ch == '_' || ch == '\'';
    }
    out
}

/// Go's `strings.Replace(s, old, new, -1)`: an empty `old` matches between every character.
fn go_replace(text: &str, old: &str, new: &str) -> String {
    if !old.is_empty() {
        return text.replace(old, new);
    }
    let mut out = String::from(new);
    for ch in text.chars() {
        out.push(ch);
        out.push_str(new);
    }
    out
}

/// Go's `strings.Split`: an empty separator splits into characters.
fn split(separator: &str, text: &str) -> Vec<String> {
    if separator.is_empty() {
        return text.chars().map(String::from).collect();
    }
    text.split(separator).map(str::to_string).collect()
}

/// RE2 reads a `-` right after a class escape inside brackets (`[\w-.]`) as a literal
/// hyphen; Rust's regex refuses it, so such a hyphen is escaped first.
fn re2_compatible(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut after_class_escape = false;
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                out.push(ch);
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                    after_class_escape =
                        in_class && matches!(escaped, 'w' | 'W' | 'd' | 'D' | 's' | 'S');
                }
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '-' if after_class_escape => {
                out.push_str("\\-");
                after_class_escape = false;
                continue;
            }
            _ => {}
        }
        after_class_escape = false;
        out.push(ch);
    }
    out
}

/// Patterns compiled on this thread (a chart renders on one), by their Go text: charts call
/// `regexMatch` and friends with the same few patterns for every value (Bitnami's common
/// library validates each one), and compiling costs far more than matching.
const REGEX_CACHE_SIZE: usize = 256;

thread_local! {
    // Shared, not cloned: a cloned `Regex` starts a new pool of search caches, and warming
    // one up costs more than the search.
    static COMPILED: RefCell<HashMap<String, Rc<regex::Regex>>> =
        RefCell::new(HashMap::default());
}

fn regex(pattern: &str) -> Result<Rc<regex::Regex>, String> {
    if let Some(compiled) = COMPILED.with(|cache| cache.borrow().get(pattern).cloned()) {
        return Ok(compiled);
    }
    let compiled = regex::RegexBuilder::new(&re2_compatible(pattern))
        .size_limit(1 << 20)
        .build()
        .map_err(|error| format!("error parsing regexp: {error}"))?;
    let compiled = Rc::new(compiled);
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() < REGEX_CACHE_SIZE {
            cache.insert(pattern.to_string(), Rc::clone(&compiled));
        }
    });
    Ok(compiled)
}

/// `cast.ToInt64` as Sprig's arithmetic uses it: numbers truncate, strings parse (with Go's
/// base prefixes), booleans are 0/1, anything else 0.
fn to_int64(value: &Val) -> i64 {
    match &value.kind {
        Kind::Int(number, _) => *number,
        Kind::Float(number) => *number as i64,
        Kind::Bool(flag) => i64::from(*flag),
        Kind::Str(text) => parse_go_int(text.text.trim_end_matches(".0")).unwrap_or(0),
        _ => 0,
    }
}

fn parse_go_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let lower = body.to_ascii_lowercase();
    let number = if let Some(hex) = lower.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(binary) = lower.strip_prefix("0b") {
        i64::from_str_radix(binary, 2).ok()?
    } else if let Some(octal) = lower.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else if lower.len() > 1 && lower.starts_with('0') {
        i64::from_str_radix(&lower, 8).ok()?
    } else {
        lower.parse().ok()?
    };
    Some(if negative { -number } else { number })
}

fn to_float64(value: &Val) -> f64 {
    match &value.kind {
        Kind::Int(number, _) => *number as f64,
        Kind::Float(number) => *number,
        Kind::Bool(flag) => f64::from(u8::from(*flag)),
        Kind::Str(text) => text.text.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn numbers(name: &str, args: &[Val], limits: &Limits) -> Result<Option<Val>, String> {
    let int_of = |index: usize| to_int64(&arg(args, index));
    let value = match name {
        "int" | "atoi" => Val::int(int_of(0)),
        "int64" => Val::int64(int_of(0)),
        "float64" => Val::float(to_float64(&arg(args, 0))),
        "add" => Val::int64(args.iter().map(to_int64).fold(0i64, i64::wrapping_add)),
        "add1" => Val::int64(int_of(0).wrapping_add(1)),
        "sub" => Val::int64(int_of(0).wrapping_sub(int_of(1))),
        "mul" => Val::int64(args.iter().map(to_int64).fold(1i64, i64::wrapping_mul)),
        "div" | "mod" => {
            let divisor = int_of(1);
            if divisor == 0 {
                return Err(format!(
                    "error calling {name}: runtime error: integer divide by zero"
                ));
            }
            let result = if name == "div" {
                int_of(0).wrapping_div(divisor)
            } else {
                int_of(0).wrapping_rem(divisor)
            };
            Val::int64(result)
        }
        "max" => Val::int64(args.iter().map(to_int64).max().unwrap_or(0)),
        "min" => Val::int64(args.iter().map(to_int64).min().unwrap_or(0)),
        "floor" => Val::float(to_float64(&arg(args, 0)).floor()),
        "ceil" => Val::float(to_float64(&arg(args, 0)).ceil()),
        "round" => {
            let precision = to_int64(&arg(args, 1)).clamp(0, 15) as i32;
            let scale = 10f64.powi(precision);
            Val::float((to_float64(&arg(args, 0)) * scale).round() / scale)
        }
        "until" => steps(0, int_arg(args, 0)?, 1, limits)?,
        "untilStep" => steps(
            int_arg(args, 0)?,
            int_arg(args, 1)?,
            int_arg(args, 2)?,
            limits,
        )?,
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// Sprig's `untilStep`: `start`, `start+step`, ... before `stop`; bounded by the list limit.
fn steps(start: i64, stop: i64, step: i64, limits: &Limits) -> Result<Val, String> {
    let step_count = if step == 0 || (step > 0) != (stop > start) || stop == start {
        0
    } else {
        let span = (i128::from(stop) - i128::from(start)).unsigned_abs();
        span.div_ceil(i128::from(step).unsigned_abs())
    };
    if step_count > limits.max_list as u128 {
        return Err(format!(
            "error calling until: {step_count} items exceed the limit of {}",
            limits.max_list
        ));
    }
    let items = (0..step_count as i64)
        .map(|index| Val::int(start + index * step))
        .collect();
    Ok(Val::list(items))
}

fn lists(name: &str, args: &[Val]) -> Result<Option<Val>, String> {
    let value = match name {
        "list" | "tuple" => Val::list(args.to_vec()),
        "append" | "mustAppend" => {
            let mut items = list_items(&arg(args, 0), "append")?;
            items.push(arg(args, 1));
            Val::list(items)
        }
        "prepend" => {
            let mut items = list_items(&arg(args, 0), "prepend")?;
            items.insert(0, arg(args, 1));
            Val::list(items)
        }
        "concat" => {
            let mut items = Vec::new();
            for list in args {
                items.extend(list_items(list, "concat")?);
            }
            Val::list(items)
        }
        "first" | "mustFirst" | "last" | "mustLast" => {
            let value = arg(args, 0);
            if value.is_nil() {
                return Ok(Some(Val::nil()));
            }
            let items = list_items(&value, "find first")?;
            let item = if name.ends_with("irst") {
                items.first()
            } else {
                items.last()
            };
            item.cloned().unwrap_or_else(Val::nil)
        }
        "rest" => Val::list(
            list_items(&arg(args, 0), "find rest")?
                .into_iter()
                .skip(1)
                .collect(),
        ),
        "initial" => {
            let mut items = list_items(&arg(args, 0), "find initial")?;
            items.pop();
            Val::list(items)
        }
        "has" | "mustHas" => {
            let haystack = arg(args, 1);
            if haystack.is_nil() {
                return Ok(Some(Val::bool(false)));
            }
            let items = list_items(&haystack, "find has")?;
            Val::bool(items.iter().any(|item| deep_equal(item, &arg(args, 0))))
        }
        "uniq" | "mustUniq" => {
            let mut unique: Vec<Val> = Vec::new();
            for item in list_items(&arg(args, 0), "find uniq")? {
                if !unique.iter().any(|seen| deep_equal(seen, &item)) {
                    unique.push(item);
                }
            }
            Val::list(unique)
        }
        "without" => {
            let excluded = args.get(1..).unwrap_or_default();
            let items = list_items(&arg(args, 0), "find without")?;
            Val::list(
                items
                    .into_iter()
                    .filter(|item| !excluded.iter().any(|gone| deep_equal(gone, item)))
                    .collect(),
            )
        }
        "compact" => Val::list(
            list_items(&arg(args, 0), "compact")?
                .into_iter()
                .filter(Val::truthy)
                .collect(),
        ),
        "reverse" => {
            let mut items = list_items(&arg(args, 0), "find reverse")?;
            items.reverse();
            Val::list(items)
        }
        "sortAlpha" => {
            let mut items: Vec<String> = match &arg(args, 0).kind {
                Kind::List(items) => items.iter().map(strval).collect(),
                _ => vec![strval(&arg(args, 0))],
            };
            items.sort();
            Val::list(items.into_iter().map(Val::str).collect())
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// `reflect.DeepEqual` over values (types must match too).
pub(crate) fn deep_equal(left: &Val, right: &Val) -> bool {
    deep_equal_at(left, right, 0)
}

fn deep_equal_at(left: &Val, right: &Val, depth: usize) -> bool {
    if depth > super::value::MAX_DEPTH {
        return false;
    }
    match (&left.kind, &right.kind) {
        (Kind::Nil, Kind::Nil) => true,
        (Kind::Bool(a), Kind::Bool(b)) => a == b,
        (Kind::Int(a, type_a), Kind::Int(b, type_b)) => a == b && type_a == type_b,
        (Kind::Float(a), Kind::Float(b)) => a == b,
        (Kind::Str(a), Kind::Str(b)) => a.text == b.text,
        (Kind::List(a), Kind::List(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|(a, b)| deep_equal_at(a, b, depth + 1))
        }
        (Kind::Map(a), Kind::Map(b)) => {
            if Rc::ptr_eq(a, b) {
                return true;
            }
            let (a, b) = (a.borrow(), b.borrow());
            a.len() == b.len()
                && a.iter().all(|(key, slot)| {
                    b.get(key)
                        .is_some_and(|other| deep_equal_at(&slot.value, &other.value, depth + 1))
                })
        }
        (Kind::Object(a), Kind::Object(b)) => Rc::ptr_eq(a, b),
        _ => false,
    }
}

fn dicts(name: &str, args: &[Val]) -> Result<Option<Val>, String> {
    let value = match name {
        "dict" => {
            let mut map = Map::new();
            for pair in args.chunks(2) {
                let key = pair.first().map(strval).unwrap_or_default();
                let value = pair.get(1).cloned().unwrap_or_else(Val::str_empty);
                map.insert(key, Slot { key: None, value });
            }
            Val::map(map)
        }
        "get" => {
            let map = map_arg(args, 0)?;
            let key = string_arg(args, 1)?;
            let found = map.borrow().get(&key).map(|slot| slot.value.clone());
            found.unwrap_or_else(Val::str_empty)
        }
        "set" => {
            let map = map_arg(args, 0)?;
            let key = string_arg(args, 1)?;
            map.borrow_mut().insert(
                key,
                Slot {
                    key: None,
                    value: arg(args, 2),
                },
            );
            Val::new(Kind::Map(map))
        }
        "unset" => {
            let map = map_arg(args, 0)?;
            map.borrow_mut().remove(&string_arg(args, 1)?);
            Val::new(Kind::Map(map))
        }
        "hasKey" => Val::bool(
            map_arg(args, 0)?
                .borrow()
                .contains_key(&string_arg(args, 1)?),
        ),
        "keys" => {
            let mut keys = Vec::new();
            for index in 0..args.len() {
                keys.extend(map_arg(args, index)?.borrow().keys().cloned().map(Val::str));
            }
            Val::list(keys)
        }
        "values" => Val::list(
            map_arg(args, 0)?
                .borrow()
                .values()
                .map(|slot| slot.value.clone())
                .collect(),
        ),
        "pick" | "omit" => {
            let map = map_arg(args, 0)?;
            let names: Vec<String> = (1..args.len())
                .map(|index| string_arg(args, index))
                .collect::<Result<_, _>>()?;
            let keep = name == "pick";
            let picked = map
                .borrow()
                .iter()
                .filter(|(key, _)| names.contains(key) == keep)
                .map(|(key, slot)| (key.clone(), slot.clone()))
                .collect();
            Val::map(picked)
        }
        "pluck" => {
            let key = string_arg(args, 0)?;
            let mut found = Vec::new();
            for index in 1..args.len() {
                if let Some(slot) = map_arg(args, index)?.borrow().get(&key) {
                    found.push(slot.value.clone());
                }
            }
            Val::list(found)
        }
        "dig" => {
            let count = args.len();
            let map = map_arg(args, count - 1)?;
            let default = arg(args, count - 2);
            let keys: Vec<String> = (0..count - 2)
                .map(|index| string_arg(args, index))
                .collect::<Result<_, _>>()?;
            dig(&map, &keys).unwrap_or(default)
        }
        "merge" | "mustMerge" | "mergeOverwrite" | "mustMergeOverwrite" => {
            let destination = map_arg(args, 0)?;
            let overwrite = name.contains("Overwrite");
            for index in 1..args.len() {
                let source = map_arg(args, index)?;
                if !Rc::ptr_eq(&source, &destination) {
                    merge_into(&destination, &source.borrow(), overwrite);
                }
            }
            Val::new(Kind::Map(destination))
        }
        "deepCopy" | "mustDeepCopy" => arg(args, 0).deep_copy(),
        _ => return Ok(None),
    };
    Ok(Some(value))
}

fn dig(map: &Rc<RefCell<Map>>, keys: &[String]) -> Option<Val> {
    let (first, rest) = keys.split_first()?;
    let value = map.borrow().get(first)?.value.clone();
    if rest.is_empty() {
        return Some(value);
    }
    match &value.kind {
        Kind::Map(inner) => dig(inner, rest),
        _ => None,
    }
}

/// mergo's `Merge` (`WithOverride` for `mergeOverwrite`) on `map[string]interface{}`: maps
/// merge recursively in place; a source value fills a key that is missing or empty (Go's
/// empty: `false` and `0` too), or with override replaces it, and a nil source value erases it.
/// A non-empty list or map in the destination is kept unless overriding a list.
fn merge_into(destination: &Rc<RefCell<Map>>, source: &Map, overwrite: bool) {
    for (key, slot) in source {
        let existing = destination.borrow().get(key).map(|slot| slot.value.clone());
        if slot.value.is_nil() {
            if overwrite {
                destination.borrow_mut().insert(key.clone(), slot.clone());
            }
            continue;
        }
        if let (Some(Kind::Map(inner)), Kind::Map(source_inner)) =
            (existing.as_ref().map(|value| &value.kind), &slot.value.kind)
            && !Rc::ptr_eq(inner, source_inner)
        {
            merge_into(inner, &source_inner.borrow(), overwrite);
        }
        let existing_full = existing.as_ref().is_some_and(Val::truthy);
        if existing_full {
            let both_maps = matches!(slot.value.kind, Kind::Map(_))
                && matches!(
                    existing.as_ref().map(|value| &value.kind),
                    Some(Kind::Map(_))
                );
            if both_maps || (matches!(slot.value.kind, Kind::List(_)) && !overwrite) {
                continue;
            }
        }
        if overwrite || !existing_full {
            destination.borrow_mut().insert(key.clone(), slot.clone());
        }
    }
}

fn misc(name: &str, args: &[Val]) -> Result<Option<Val>, String> {
    let value = match name {
        "default" => {
            let given = args.get(1..).and_then(|rest| rest.first());
            match given {
                Some(value) if value.truthy() => value.clone(),
                _ => arg(args, 0),
            }
        }
        "empty" => Val::bool(!arg(args, 0).truthy()),
        "coalesce" => args
            .iter()
            .find(|value| value.truthy())
            .cloned()
            .unwrap_or_else(Val::nil),
        "ternary" => {
            if bool_arg(args, 2)? {
                arg(args, 0)
            } else {
                arg(args, 1)
            }
        }
        "typeOf" => Val::str(arg(args, 0).type_name()),
        "typeIs" => Val::bool(string_arg(args, 0)? == arg(args, 1).type_name()),
        "kindOf" => Val::str(arg(args, 0).kind_name()),
        "kindIs" => Val::bool(string_arg(args, 0)? == arg(args, 1).kind_name()),
        "deepEqual" => Val::bool(deep_equal(&arg(args, 0), &arg(args, 1))),
        "semverCompare" => Val::bool(semver::compare(
            &string_arg(args, 0)?,
            &string_arg(args, 1)?,
        )?),
        "semver" => semver::object(&string_arg(args, 0)?)?,
        "now" => Val::str(encode::FAKE_NOW),
        "date" => Val::str(encode::format_date(&string_arg(args, 0)?, &arg(args, 1))),
        "dateInZone" => Val::str(encode::format_date(&string_arg(args, 0)?, &arg(args, 1))),
        "genCA" => encode::fake_certificate(),
        "genSelfSignedCert" | "genSignedCert" => encode::fake_certificate(),
        "genPrivateKey" => Val::str(encode::fake_pem("PRIVATE KEY")),
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// The methods of Helm's objects: `.Files.Get`, `.Capabilities.APIVersions.Has`, ...
pub(crate) fn method(object: &Object, name: &str, args: &[Val]) -> Option<Result<Val, String>> {
    match (&object.methods, name) {
        (Methods::ApiVersions(versions), "Has") => {
            Some(string_arg(args, 0).map(|wanted| Val::bool(versions.contains(&wanted))))
        }
        (Methods::KubeVersion, "String" | "GitVersion") => {
            let version = object
                .fields
                .iter()
                .find(|(field, _)| *field == "Version")
                .map(|(_, value)| value.clone());
            Some(Ok(version.unwrap_or_else(Val::nil)))
        }
        (Methods::Files(files), _) => encode::files_method(files, name, args),
        _ => None,
    }
}

impl Val {
    fn str_empty() -> Val {
        Val::str("")
    }
}

/// The functions a template may call: Helm's (Go's builtins, Sprig's and Helm's own), or
/// Polaris' (Go's builtins, and `hasPrefix`/`hasSuffix` with the argument order of Go's
/// `strings` package, the reverse of Sprig's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Functions {
    #[default]
    Helm,
    Polaris,
}

/// Go's `text/template` builtins: every function a plain Go template knows.
const GO_BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "urlquery", "html",
    "js", "call", "eq", "ne", "lt", "le", "gt", "ge",
];

impl Functions {
    /// Whether `name` is a function of this set.
    pub(crate) fn defines(self, name: &str) -> bool {
        match self {
            Functions::Helm => is_function(name),
            Functions::Polaris => {
                is_function(name)
                    && (GO_BUILTINS.contains(&name) || matches!(name, "hasPrefix" | "hasSuffix"))
            }
        }
    }

    /// The arguments in the order [`call`] takes them: Polaris' `hasPrefix s prefix` is
    /// Sprig's `hasPrefix prefix s`.
    pub(crate) fn arguments(self, name: &str, mut args: Vec<Val>) -> Vec<Val> {
        if self == Functions::Polaris && matches!(name, "hasPrefix" | "hasSuffix") {
            args.reverse();
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn re2_hyphens_after_class_escapes_are_literal() {
        assert_eq!(re2_compatible(r"^[\w-\.]+$"), r"^[\w\-\.]+$");
        assert!(regex(r"^[\w-\.]+$").is_ok_and(|pattern| pattern.is_match("a-b.c")));
        assert_eq!(re2_compatible(r"a-b[x-z]"), r"a-b[x-z]");
    }
}
