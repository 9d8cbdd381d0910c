//! The values a values set gives a chart on top of its `values.yaml`, as `helm template` reads
//! `-f` files and `--set` arguments (helm v3.17.1's `pkg/cli/values`): the files merged in
//! order (a later file's map merges into an earlier one's, anything else replaces it), then
//! the `set` assignments written into the result as `pkg/strvals` writes them. Every value
//! keeps where it was written: a values file's line, or the configuration line of its `set`.

use super::chart::parse_yaml;
use super::text::{Origin, Traced};
use super::value::{Kind, Map, MapRef, Slot, Val, from_node};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::values_set::{Assignment, SetValue, Step, ValuesSet};
use crate::source::SourceMap;

/// The user values of `set`: its values files merged, then its assignments applied. Problems
/// (a values file that is not a mapping, an assignment into a value of another type) are
/// errors at the file or the configuration line.
pub(crate) fn user_values(
    set: &ValuesSet,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Val {
    let mut merged = Map::new();
    for file in &set.values_files {
        let text = sources
            .get(*file)
            .map(|source| source.text.as_str())
            .unwrap_or_default();
        let Some(node) = parse_yaml(*file, text, diagnostics) else {
            continue;
        };
        let values = from_node(&node);
        match &values.kind {
            Kind::Map(map) => merged = merge_maps(&merged, &map.borrow()),
            Kind::Nil => {}
            _ => diagnostics.push(Diagnostic::error(
                Code::HelmChartError,
                Location::Span(node.span),
                format!(
                    "values file is not a mapping but {}: helm refuses it",
                    node.describe_type()
                ),
            )),
        }
    }
    let root = Val::map(merged);
    if let Kind::Map(map) = &root.kind {
        for assignment in &set.set {
            if let Err(message) = assign(map, assignment) {
                diagnostics.push(Diagnostic::error(
                    Code::InvalidConfig,
                    Location::Span(assignment.span),
                    format!("`set`: {message}"),
                ));
            }
        }
    }
    root
}

/// Helm's `mergeMaps`: `over`'s keys win, maps on both sides merge.
fn merge_maps(under: &Map, over: &Map) -> Map {
    let mut merged = under.clone();
    for (key, slot) in over {
        let value = match (
            &slot.value.kind,
            merged.get(key).map(|slot| &slot.value.kind),
        ) {
            (Kind::Map(over_map), Some(Kind::Map(under_map))) => {
                Val::map(merge_maps(&under_map.borrow(), &over_map.borrow()))
                    .with_origin(slot.value.origin)
            }
            _ => slot.value.clone(),
        };
        merged.insert(
            key.clone(),
            Slot {
                key: slot.key,
                value,
            },
        );
    }
    merged
}

/// Write one assignment into `root` as `strvals.ParseInto` writes it.
fn assign(root: &MapRef, assignment: &Assignment) -> Result<(), String> {
    let origin = Some(Origin {
        span: assignment.span,
        exact: false,
    });
    let value = set_value(&assignment.value, origin);
    set_in_map(root, &assignment.path, value, origin)
}

fn set_value(value: &SetValue, origin: Option<Origin>) -> Val {
    match value {
        SetValue::Null => Val::nil(),
        SetValue::Bool(flag) => Val::bool(*flag),
        SetValue::Int(number) => Val::int64(*number),
        SetValue::Str(text) => Val::traced(Traced::from_origin(text.clone(), origin)),
        SetValue::List(items) => {
            Val::list(items.iter().map(|item| set_value(item, origin)).collect())
        }
    }
    .with_origin(origin)
}

/// `steps` (starting with a key) set to `value` in `map`. An empty key sets nothing, as in
/// Helm; nesting into a value that is not a map (or indexing one that is not a list) is
/// Helm's type-assertion error.
fn set_in_map(
    map: &MapRef,
    steps: &[Step],
    value: Val,
    origin: Option<Origin>,
) -> Result<(), String> {
    let Some((Step::Key(key), rest)) = steps.split_first() else {
        return Ok(());
    };
    if key.is_empty() {
        return Ok(());
    }
    let existing = map.borrow().get(key).cloned();
    let new_value = match rest.first() {
        None => value,
        Some(Step::Key(_)) => {
            let inner = match existing.as_ref().map(|slot| &slot.value.kind) {
                None => MapRef::default(),
                Some(Kind::Map(inner)) => inner.clone(),
                Some(_) => {
                    return Err(conversion_error(existing.map(|slot| slot.value), "map"));
                }
            };
            set_in_map(&inner, rest, value, origin)?;
            if inner.borrow().is_empty() {
                return Ok(());
            }
            let map_origin = existing.as_ref().and_then(|slot| slot.value.origin);
            Val::new(Kind::Map(inner)).with_origin(map_origin.or(origin))
        }
        Some(Step::Index(_)) => {
            let list = match existing.as_ref().map(|slot| &slot.value.kind) {
                None => Vec::new(),
                Some(Kind::List(items)) => items.to_vec(),
                Some(_) => {
                    return Err(conversion_error(existing.map(|slot| slot.value), "list"));
                }
            };
            Val::list(set_in_list(list, rest, value, origin)?).with_origin(origin)
        }
    };
    let key_origin = existing.and_then(|slot| slot.key).or(origin);
    map.borrow_mut().insert(
        key.clone(),
        Slot {
            key: key_origin,
            value: new_value,
        },
    );
    Ok(())
}

/// `steps` (starting with an index) set to `value` in `list`, grown with nulls to reach it.
fn set_in_list(
    mut list: Vec<Val>,
    steps: &[Step],
    value: Val,
    origin: Option<Origin>,
) -> Result<Vec<Val>, String> {
    let Some((Step::Index(index), rest)) = steps.split_first() else {
        return Ok(list);
    };
    if list.len() <= *index {
        list.resize(index + 1, Val::nil());
    }
    let current = list.get(*index).cloned().unwrap_or_else(Val::nil);
    let new_value = match rest.first() {
        None => value,
        Some(Step::Key(_)) => {
            // Helm replaces an item that is not a map ("indices out of order").
            let inner = match &current.kind {
                Kind::Map(inner) => inner.clone(),
                _ => MapRef::default(),
            };
            set_in_map(&inner, rest, value, origin)?;
            Val::new(Kind::Map(inner)).with_origin(current.origin.or(origin))
        }
        Some(Step::Index(_)) => {
            let items = match &current.kind {
                Kind::Nil => Vec::new(),
                Kind::List(items) => items.to_vec(),
                _ => return Err(conversion_error(Some(current), "list")),
            };
            Val::list(set_in_list(items, rest, value, origin)?).with_origin(origin)
        }
    };
    if let Some(slot) = list.get_mut(*index) {
        *slot = new_value;
    }
    Ok(list)
}

/// Helm's message when `strvals` asserts the wrong type of an existing value.
fn conversion_error(found: Option<Val>, wanted: &str) -> String {
    let found = found.map_or("nil", |value| match value.kind {
        Kind::Nil => "nil",
        Kind::Bool(_) => "bool",
        Kind::Int(..) => "int64",
        Kind::Float(_) => "float64",
        Kind::Str(_) => "string",
        Kind::Map(_) => "map[string]interface {}",
        Kind::List(_) => "[]interface {}",
        Kind::Object(_) => "object",
    });
    let wanted = if wanted == "map" {
        "map[string]interface {}"
    } else {
        "[]interface {}"
    };
    format!("unable to parse key: interface conversion: interface {{}} is {found}, not {wanted}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::values_set::parse_set;
    use crate::source::{FileId, SourceFile, Span};

    fn values(files: &[&str], set: &[&str]) -> (String, Vec<Diagnostic>) {
        let mut sources = SourceMap::default();
        let values_files = files
            .iter()
            .map(|text| sources.add(SourceFile::new("v.yaml".into(), (*text).into())))
            .collect();
        let span = Span::new(FileId(99), 0, 0);
        let set = ValuesSet {
            name: "test".into(),
            span,
            values_files,
            set: set
                .iter()
                .flat_map(|text| parse_set(text, span, None).unwrap_or_default())
                .collect(),
            release_name: None,
            namespace: None,
            kube_version: None,
            api_versions: Vec::new(),
        };
        let mut diagnostics = Vec::new();
        let values = user_values(&set, &sources, &mut diagnostics);
        (
            super::super::encode::to_json(&values, false, false),
            diagnostics,
        )
    }

    #[test]
    fn later_files_merge_maps_and_replace_the_rest() {
        let (json, _) = values(
            &["a: {x: 1, l: [1]}\nb: keep\n", "a: {l: [2], z: null}\n"],
            &[],
        );
        assert_eq!(json, r#"{"a":{"l":[2],"x":1,"z":null},"b":"keep"}"#);
    }

    #[test]
    fn set_writes_into_the_files_values() {
        let (json, diagnostics) = values(
            &["image: {repo: web}\nlist: [{name: a}]\n"],
            &["image.tag=v1,list[0].port=80,list[2]=x", "n=1"],
        );
        assert!(diagnostics.is_empty());
        assert_eq!(
            json,
            r#"{"image":{"repo":"web","tag":"v1"},"list":[{"name":"a","port":80},null,"x"],"n":1}"#
        );
    }

    #[test]
    fn set_into_a_value_of_another_type_is_helms_error() {
        let (_, diagnostics) = values(&["image: web\n"], &["image.tag=v1"]);
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0]
                .message
                .ends_with("interface {} is string, not map[string]interface {}"),
            "{}",
            diagnostics[0].message
        );
    }
}
