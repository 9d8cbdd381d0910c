//! The CEL libraries Kubernetes adds to cel-go's standard ones and its strings and lists
//! extensions (which cel-rust ships): the lists library (`isSorted`, `sum`, `min`, `max`,
//! `indexOf`, `lastIndexOf`), regex (`find`, `findAll`), URLs, IP addresses and CIDRs, and
//! quantities. Each function takes and returns plain [`Value`]s; `lift!` adapts it to the
//! interpreter's calling convention.

use std::cmp::Ordering;
use std::sync::Arc;

use cel::common::functions::Function;
use cel::common::types::{DYN_TYPE, LIST_TYPE, STRING_TYPE, Type};
use cel::common::value::{CowVal, Val};
use cel::objects::Opaque;
use cel::{DeclarationError, Env, ExecutionError, Value};

use super::network::{Cidr, Ip, Url};
use super::quantity::Quantity;

type Outcome = Result<Value, ExecutionError>;

/// Adapts `fn(&[Value]) -> Outcome` to an overload: arguments converted to values, the
/// receiver first.
macro_rules! lift {
    ($function:path) => {{
        fn lifted<'b, 'v>(
            arguments: Vec<CowVal<'b, 'v>>,
        ) -> Result<CowVal<'b, 'v>, ExecutionError> {
            let values = arguments
                .iter()
                .map(|argument| Value::try_from(argument.as_ref()))
                .collect::<Result<Vec<Value>, _>>()?;
            let result: Box<dyn Val> = $function(&values)?.try_into()?;
            Ok(CowVal::Owned(result))
        }
        lifted as Function
    }};
}

impl Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

impl Opaque for Ip {
    fn runtime_type_name(&self) -> &str {
        "net.IP"
    }
}

impl Opaque for Cidr {
    fn runtime_type_name(&self) -> &str {
        "net.CIDR"
    }
}

impl Opaque for Url {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

/// Registers the Kubernetes libraries on `env`.
pub(super) fn kubernetes(env: &mut Env) -> Result<(), DeclarationError> {
    let member = |env: &mut Env, name: &str, target: Type, arity: usize, op: Function| {
        let id = format!("k8s.{}.{name}.{arity}", target.name());
        env.add_member_overload(
            name,
            &id,
            target,
            (0..arity).map(|_| DYN_TYPE).collect(),
            op,
        )
    };
    let global = |env: &mut Env, name: &str, arity: usize, op: Function| {
        env.add_overload(
            name,
            &format!("k8s.{name}.{arity}"),
            (0..arity).map(|_| DYN_TYPE).collect(),
            op,
        )
    };
    // Lists.
    member(env, "isSorted", LIST_TYPE, 0, lift!(is_sorted))?;
    member(env, "sum", LIST_TYPE, 0, lift!(sum))?;
    member(env, "min", LIST_TYPE, 0, lift!(minimum))?;
    member(env, "max", LIST_TYPE, 0, lift!(maximum))?;
    member(env, "indexOf", LIST_TYPE, 1, lift!(index_of))?;
    member(env, "lastIndexOf", LIST_TYPE, 1, lift!(last_index_of))?;
    // Regex.
    member(env, "find", STRING_TYPE, 1, lift!(find))?;
    member(env, "findAll", STRING_TYPE, 1, lift!(find_all))?;
    member(env, "findAll", STRING_TYPE, 2, lift!(find_all))?;
    // Quantities.
    global(env, "quantity", 1, lift!(quantity))?;
    global(env, "isQuantity", 1, lift!(is_quantity))?;
    for (name, op) in [
        ("isLessThan", lift!(quantity_less)),
        ("isGreaterThan", lift!(quantity_greater)),
        ("compareTo", lift!(quantity_compare)),
        ("add", lift!(quantity_add)),
        ("sub", lift!(quantity_sub)),
    ] {
        member(env, name, DYN_TYPE, 1, op)?;
    }
    for (name, op) in [
        ("asInteger", lift!(quantity_as_integer)),
        ("asApproximateFloat", lift!(quantity_as_float)),
        ("isInteger", lift!(quantity_is_integer)),
        ("sign", lift!(quantity_sign)),
    ] {
        member(env, name, DYN_TYPE, 0, op)?;
    }
    // IP addresses and CIDRs.
    global(env, "ip", 1, lift!(ip))?;
    global(env, "isIP", 1, lift!(is_ip))?;
    global(env, "cidr", 1, lift!(cidr))?;
    global(env, "isCIDR", 1, lift!(is_cidr))?;
    for (name, op) in [
        ("family", lift!(ip_family)),
        ("isUnspecified", lift!(ip_is_unspecified)),
        ("isLoopback", lift!(ip_is_loopback)),
        ("isLinkLocalMulticast", lift!(ip_is_link_local_multicast)),
        ("isLinkLocalUnicast", lift!(ip_is_link_local_unicast)),
        ("isGlobalUnicast", lift!(ip_is_global_unicast)),
        ("ip", lift!(cidr_ip)),
        ("masked", lift!(cidr_masked)),
        ("prefixLength", lift!(cidr_prefix_length)),
    ] {
        member(env, name, DYN_TYPE, 0, op)?;
    }
    member(env, "containsIP", DYN_TYPE, 1, lift!(cidr_contains_ip))?;
    member(env, "containsCIDR", DYN_TYPE, 1, lift!(cidr_contains_cidr))?;
    // URLs.
    global(env, "url", 1, lift!(url))?;
    global(env, "isURL", 1, lift!(is_url))?;
    for (name, op) in [
        ("getScheme", lift!(url_scheme)),
        ("getHost", lift!(url_host)),
        ("getHostname", lift!(url_hostname)),
        ("getPort", lift!(url_port)),
        ("getEscapedPath", lift!(url_path)),
        ("getQuery", lift!(url_query)),
    ] {
        member(env, name, DYN_TYPE, 0, op)?;
    }
    // `string()` of the opaque values.
    global(env, "string", 1, lift!(string_of))?;
    Ok(())
}

fn error(function: &str, message: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

fn wrong_types(function: &str, values: &[Value]) -> ExecutionError {
    let types = values.iter().map(|v| v.type_of().to_string()).collect();
    ExecutionError::no_such_overload(function, types)
}

fn string(text: impl Into<String>) -> Value {
    Value::String(Arc::new(text.into()))
}

fn opaque(value: impl Opaque) -> Value {
    Value::Opaque(Arc::new(value))
}

// Lists.

fn list_items<'a>(function: &str, values: &'a [Value]) -> Result<&'a [Value], ExecutionError> {
    match values.first() {
        Some(Value::List(items)) => Ok(items),
        _ => Err(wrong_types(function, values)),
    }
}

fn ordering(function: &str, left: &Value, right: &Value) -> Result<Ordering, ExecutionError> {
    left.partial_cmp(right)
        .ok_or_else(|| error(function, "list elements are not comparable"))
}

fn is_sorted(values: &[Value]) -> Outcome {
    let items = list_items("isSorted", values)?;
    for pair in items.windows(2) {
        if let [left, right] = pair
            && ordering("isSorted", left, right)? == Ordering::Greater
        {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn sum(values: &[Value]) -> Outcome {
    let items = list_items("sum", values)?;
    let mut total = Value::Int(0);
    for (at, item) in items.iter().enumerate() {
        total = match (at, &total, item) {
            (0, _, first) => first.clone(),
            (_, Value::Int(a), Value::Int(b)) => {
                Value::Int(a.checked_add(*b).ok_or_else(|| error("sum", "overflow"))?)
            }
            (_, Value::UInt(a), Value::UInt(b)) => {
                Value::UInt(a.checked_add(*b).ok_or_else(|| error("sum", "overflow"))?)
            }
            (_, Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            _ => return Err(error("sum", "list elements are not numbers of one type")),
        };
    }
    Ok(total)
}

fn extreme(function: &str, values: &[Value], keep: Ordering) -> Outcome {
    let items = list_items(function, values)?;
    let mut best: Option<&Value> = None;
    for item in items {
        best = match best {
            Some(current) if ordering(function, item, current)? != keep => Some(current),
            _ => Some(item),
        };
    }
    best.cloned()
        .ok_or_else(|| error(function, "the list is empty"))
}

fn minimum(values: &[Value]) -> Outcome {
    extreme("min", values, Ordering::Less)
}

fn maximum(values: &[Value]) -> Outcome {
    extreme("max", values, Ordering::Greater)
}

fn position(function: &str, values: &[Value], last: bool) -> Outcome {
    let items = list_items(function, values)?;
    let needle = values.get(1).ok_or_else(|| wrong_types(function, values))?;
    let found = if last {
        items.iter().rposition(|item| item == needle)
    } else {
        items.iter().position(|item| item == needle)
    };
    Ok(Value::Int(
        found.map_or(-1, |at| i64::try_from(at).unwrap_or(i64::MAX)),
    ))
}

fn index_of(values: &[Value]) -> Outcome {
    position("indexOf", values, false)
}

fn last_index_of(values: &[Value]) -> Outcome {
    position("lastIndexOf", values, true)
}

// Regex.

fn text_and_pattern<'a>(
    function: &str,
    values: &'a [Value],
) -> Result<(&'a str, regex::Regex), ExecutionError> {
    match values {
        [Value::String(text), Value::String(pattern), ..] => {
            let regex = regex::Regex::new(pattern).map_err(|e| error(function, e))?;
            Ok((text, regex))
        }
        _ => Err(wrong_types(function, values)),
    }
}

fn find(values: &[Value]) -> Outcome {
    let (text, regex) = text_and_pattern("find", values)?;
    Ok(string(regex.find(text).map_or("", |found| found.as_str())))
}

fn find_all(values: &[Value]) -> Outcome {
    let (text, regex) = text_and_pattern("findAll", values)?;
    let limit = match values.get(2) {
        Some(Value::Int(limit)) if *limit >= 0 => usize::try_from(*limit).unwrap_or(usize::MAX),
        Some(Value::Int(_)) | None => usize::MAX,
        Some(_) => return Err(wrong_types("findAll", values)),
    };
    let found: Vec<Value> = regex
        .find_iter(text)
        .take(limit)
        .map(|m| string(m.as_str()))
        .collect();
    Ok(Value::List(Arc::new(found)))
}

// Parsing constructors shared by quantities, addresses and URLs.

fn parsed<T: Opaque>(
    function: &str,
    values: &[Value],
    parse: impl Fn(&str) -> Option<T>,
) -> Outcome {
    match values {
        [Value::String(text)] => parse(text)
            .map(opaque)
            .ok_or_else(|| error(function, format!("invalid {function}: {text:?}"))),
        _ => Err(wrong_types(function, values)),
    }
}

fn parses<T>(function: &str, values: &[Value], parse: impl Fn(&str) -> Option<T>) -> Outcome {
    match values {
        [Value::String(text)] => Ok(Value::Bool(parse(text).is_some())),
        _ => Err(wrong_types(function, values)),
    }
}

fn receiver<'a, T: Opaque>(function: &str, values: &'a [Value]) -> Result<&'a T, ExecutionError> {
    match values.first() {
        Some(Value::Opaque(value)) => value
            .downcast_ref::<T>()
            .ok_or_else(|| wrong_types(function, values)),
        _ => Err(wrong_types(function, values)),
    }
}

// Quantities.

fn quantity(values: &[Value]) -> Outcome {
    parsed("quantity", values, Quantity::parse)
}

fn is_quantity(values: &[Value]) -> Outcome {
    parses("isQuantity", values, Quantity::parse)
}

/// The receiver quantity and the argument, a quantity or an `int`.
fn quantity_pair(function: &str, values: &[Value]) -> Result<(Quantity, Quantity), ExecutionError> {
    let left = *receiver::<Quantity>(function, values)?;
    let right = match values.get(1) {
        Some(Value::Int(number)) => Quantity::from_int(*number),
        Some(Value::Opaque(value)) => *value
            .downcast_ref::<Quantity>()
            .ok_or_else(|| wrong_types(function, values))?,
        _ => return Err(wrong_types(function, values)),
    };
    Ok((left, right))
}

fn quantity_less(values: &[Value]) -> Outcome {
    let (left, right) = quantity_pair("isLessThan", values)?;
    Ok(Value::Bool(left.compare(right) == Ordering::Less))
}

fn quantity_greater(values: &[Value]) -> Outcome {
    let (left, right) = quantity_pair("isGreaterThan", values)?;
    Ok(Value::Bool(left.compare(right) == Ordering::Greater))
}

fn quantity_compare(values: &[Value]) -> Outcome {
    let (left, right) = quantity_pair("compareTo", values)?;
    Ok(Value::Int(left.compare(right) as i64))
}

fn quantity_add(values: &[Value]) -> Outcome {
    let (left, right) = quantity_pair("add", values)?;
    left.add(right)
        .map(opaque)
        .ok_or_else(|| error("add", "overflow"))
}

fn quantity_sub(values: &[Value]) -> Outcome {
    let (left, right) = quantity_pair("sub", values)?;
    left.add(right.negated())
        .map(opaque)
        .ok_or_else(|| error("sub", "overflow"))
}

fn quantity_as_integer(values: &[Value]) -> Outcome {
    let quantity = receiver::<Quantity>("asInteger", values)?;
    quantity
        .as_integer()
        .map(Value::Int)
        .ok_or_else(|| error("asInteger", "the quantity is not an integer in range"))
}

fn quantity_as_float(values: &[Value]) -> Outcome {
    Ok(Value::Float(
        receiver::<Quantity>("asApproximateFloat", values)?.approximate(),
    ))
}

fn quantity_is_integer(values: &[Value]) -> Outcome {
    Ok(Value::Bool(
        receiver::<Quantity>("isInteger", values)?.is_integer(),
    ))
}

fn quantity_sign(values: &[Value]) -> Outcome {
    Ok(Value::Int(receiver::<Quantity>("sign", values)?.sign()))
}

// IP addresses and CIDRs.

fn ip(values: &[Value]) -> Outcome {
    parsed("ip", values, Ip::parse)
}

fn is_ip(values: &[Value]) -> Outcome {
    parses("isIP", values, Ip::parse)
}

fn cidr(values: &[Value]) -> Outcome {
    parsed("cidr", values, Cidr::parse)
}

fn is_cidr(values: &[Value]) -> Outcome {
    parses("isCIDR", values, Cidr::parse)
}

fn ip_predicate(function: &str, values: &[Value], test: fn(Ip) -> bool) -> Outcome {
    Ok(Value::Bool(test(*receiver::<Ip>(function, values)?)))
}

fn ip_family(values: &[Value]) -> Outcome {
    Ok(Value::Int(receiver::<Ip>("family", values)?.family()))
}

fn ip_is_unspecified(values: &[Value]) -> Outcome {
    ip_predicate("isUnspecified", values, |ip| ip.0.is_unspecified())
}

fn ip_is_loopback(values: &[Value]) -> Outcome {
    ip_predicate("isLoopback", values, |ip| ip.0.is_loopback())
}

fn ip_is_link_local_multicast(values: &[Value]) -> Outcome {
    ip_predicate("isLinkLocalMulticast", values, Ip::is_link_local_multicast)
}

fn ip_is_link_local_unicast(values: &[Value]) -> Outcome {
    ip_predicate("isLinkLocalUnicast", values, Ip::is_link_local_unicast)
}

fn ip_is_global_unicast(values: &[Value]) -> Outcome {
    ip_predicate("isGlobalUnicast", values, Ip::is_global_unicast)
}

fn cidr_ip(values: &[Value]) -> Outcome {
    Ok(opaque(Ip(receiver::<Cidr>("ip", values)?.address)))
}

fn cidr_masked(values: &[Value]) -> Outcome {
    Ok(opaque(receiver::<Cidr>("masked", values)?.masked()))
}

fn cidr_prefix_length(values: &[Value]) -> Outcome {
    Ok(Value::Int(i64::from(
        receiver::<Cidr>("prefixLength", values)?.prefix,
    )))
}

fn cidr_contains_ip(values: &[Value]) -> Outcome {
    let network = *receiver::<Cidr>("containsIP", values)?;
    let address = match values.get(1) {
        Some(Value::String(text)) => Ip::parse(text),
        Some(Value::Opaque(value)) => value.downcast_ref::<Ip>().copied(),
        _ => None,
    };
    let Ip(address) = address.ok_or_else(|| wrong_types("containsIP", values))?;
    Ok(Value::Bool(network.contains(address)))
}

fn cidr_contains_cidr(values: &[Value]) -> Outcome {
    let network = *receiver::<Cidr>("containsCIDR", values)?;
    let other = match values.get(1) {
        Some(Value::String(text)) => Cidr::parse(text),
        Some(Value::Opaque(value)) => value.downcast_ref::<Cidr>().copied(),
        _ => None,
    };
    let other = other.ok_or_else(|| wrong_types("containsCIDR", values))?;
    Ok(Value::Bool(network.contains_cidr(other)))
}

// URLs.

fn url(values: &[Value]) -> Outcome {
    parsed("url", values, Url::parse)
}

fn is_url(values: &[Value]) -> Outcome {
    parses("isURL", values, Url::parse)
}

fn url_part(function: &str, values: &[Value], part: fn(&Url) -> &str) -> Outcome {
    Ok(string(part(receiver::<Url>(function, values)?)))
}

fn url_scheme(values: &[Value]) -> Outcome {
    url_part("getScheme", values, |url| &url.scheme)
}

fn url_host(values: &[Value]) -> Outcome {
    url_part("getHost", values, |url| &url.host)
}

fn url_hostname(values: &[Value]) -> Outcome {
    url_part("getHostname", values, Url::hostname)
}

fn url_port(values: &[Value]) -> Outcome {
    url_part("getPort", values, Url::port)
}

fn url_path(values: &[Value]) -> Outcome {
    url_part("getEscapedPath", values, |url| &url.path)
}

fn url_query(values: &[Value]) -> Outcome {
    let url = receiver::<Url>("getQuery", values)?;
    let mut grouped: Vec<(String, Vec<Value>)> = Vec::new();
    for (key, value) in url.query_pairs() {
        match grouped.iter_mut().find(|(existing, _)| *existing == key) {
            Some((_, list)) => list.push(string(value)),
            None => grouped.push((key, vec![string(value)])),
        }
    }
    Ok(super::map_of(
        grouped
            .into_iter()
            .map(|(key, list)| (key, Value::List(Arc::new(list)))),
    ))
}

fn string_of(values: &[Value]) -> Outcome {
    let Some(Value::Opaque(value)) = values.first() else {
        return Err(wrong_types("string", values));
    };
    if let Some(Ip(address)) = value.downcast_ref::<Ip>() {
        return Ok(string(address.to_string()));
    }
    if let Some(cidr) = value.downcast_ref::<Cidr>() {
        return Ok(string(format!("{}/{}", cidr.address, cidr.prefix)));
    }
    Err(wrong_types("string", values))
}
