//! Polaris' templated schemas: a custom check's schema text is a Go `text/template` executed
//! with the object being checked before it is read as YAML or JSON (Polaris'
//! `TemplateForResource`). The data is the object as Kubernetes' unstructured decoding gives it
//! (integers are `int64`), with a `Polaris` map that adds `PodSpec`, `PodTemplate` and
//! `Container` for pod spec and container checks; the functions are Go's builtins and
//! Polaris' `hasPrefix`/`hasSuffix`. A missing map key prints `<no value>`, as in Go.

use std::cell::RefCell;
use std::rc::Rc;

use super::Limits;
use super::exec::Engine;
use super::funcs::Functions;
use super::parse::SourceOrigin;
use super::value::{Kind, Map, Slot, Val};
use crate::source::FileId;
use crate::yaml::{Node, Value};

/// Bounds for one schema: far above what a schema template needs, far below what would hurt.
const LIMITS: Limits = Limits {
    max_include_depth: 64,
    max_depth: 64,
    max_output: 1 << 20,
    max_list: 1 << 16,
};

/// Renders the schema template `text` of check `name` for `object`, with `polaris` the
/// entries of the `Polaris` map; the error as Go prints it.
pub(crate) fn render_schema(
    name: &str,
    text: &str,
    object: &Node,
    polaris: &[(&str, &Node)],
) -> Result<String, String> {
    let mut engine = Engine::with_functions(LIMITS, Functions::Polaris);
    engine
        .add(name, text, SourceOrigin::File(FileId(0)))
        .map_err(|error| error.to_string())?;
    let data = value_of(object);
    if let (Kind::Map(map), false) = (&data.kind, polaris.is_empty()) {
        let added: Map = polaris
            .iter()
            .map(|(key, node)| ((*key).to_owned(), slot(value_of(node))))
            .collect();
        map.borrow_mut()
            .insert("Polaris".to_owned(), slot(Val::map(added)));
    }
    engine
        .render(name, &data)
        .map(|out| out.text)
        .map_err(|error| error.to_string())
}

fn slot(value: Val) -> Slot {
    Slot { key: None, value }
}

/// A tree as `unstructured` decodes its JSON: whole numbers are `int64`, keys are strings.
fn value_of(node: &Node) -> Val {
    match &node.value {
        Value::Null => Val::nil(),
        Value::Bool(flag) => Val::bool(*flag),
        Value::Int(number) => Val::int64(*number),
        Value::Float(number) => {
            crate::yaml::whole_number(*number).map_or(Val::float(*number), Val::int64)
        }
        Value::Str(text) => Val::str(text.to_string()),
        Value::Seq(items) => Val::list(items.iter().map(value_of).collect()),
        Value::Map(entries) => {
            let map: Map = entries
                .iter()
                .filter_map(|entry| {
                    let key = crate::yaml::json_key(&entry.key)?;
                    Some((key.into_owned(), slot(value_of(&entry.value))))
                })
                .collect();
            Val::new(Kind::Map(Rc::new(RefCell::new(map))))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use crate::yaml::{Limits as YamlLimits, parse};

    fn node(text: &str) -> Node {
        parse(FileId(0), text, YamlLimits::default()).documents[0]
            .root
            .clone()
    }

    #[test]
    fn templates_see_the_object_and_polaris_data() {
        let object = node(
            "metadata:\n  name: system:web\n  labels: {app: web, tier: front}\nspec:\n  replicas: 1000000\n",
        );
        let container = node("name: app\nimage: nginx\n");
        let render =
            |text: &str| render_schema("check", text, &object, &[("Container", &container)]);
        assert_eq!(render("{{ .metadata.name }}").unwrap(), "system:web");
        // Integers print as Go prints an int64, not a float64.
        assert_eq!(render("{{ .spec.replicas }}").unwrap(), "1000000");
        assert_eq!(render("{{ .Polaris.Container.image }}").unwrap(), "nginx");
        // Go's `strings.HasPrefix(s, prefix)` order.
        assert_eq!(
            render(r#"{{ if hasPrefix .metadata.name "system:" }}yes{{ end }}"#).unwrap(),
            "yes"
        );
        assert_eq!(
            render(r#"{{ range $k, $v := .metadata.labels }}{{ $k }}={{ $v }};{{ end }}"#).unwrap(),
            "app=web;tier=front;"
        );
        assert_eq!(render("{{ .metadata.missing }}").unwrap(), "<no value>");
    }

    #[test]
    fn only_go_and_polaris_functions_exist() {
        let object = node("a: b\n");
        let error = render_schema("check", "{{ upper .a }}", &object, &[]).unwrap_err();
        assert!(error.contains("\"upper\" not defined"), "{error}");
        let nested = "{{ define \"x\" }}{{ template \"x\" . }}{{ end }}{{ template \"x\" . }}";
        let error = render_schema("check", nested, &object, &[]).unwrap_err();
        assert!(!error.is_empty());
    }
}
