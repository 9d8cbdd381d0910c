//! The variables a policy's expressions see: `object`, `oldObject` (null: offline, every object
//! is being created), `namespaceObject`, `request`, `params` and `variables`.

use std::sync::Arc;

use cel::Value;

use super::CelField;
use crate::cel as k8s_cel;
use crate::model::object::Object;

/// What an expression sees beyond the object: the `Namespace` objects of the input, by name.
pub trait Namespaces {
    fn namespace(&self, name: &str) -> Option<Value>;
}

/// The variables an expression sees: `object`, `oldObject` (null: a creation),
/// `namespaceObject`, `request` and `variables`.
pub(super) struct Bindings {
    values: Vec<(&'static str, Value)>,
}

impl Bindings {
    /// The bindings for `object`; `default_namespace` is the namespace of an object that
    /// names none (Kyverno assumes `default`; the API server gives a cluster-scoped object a
    /// null `namespaceObject`).
    pub(super) fn new(
        object: &Object,
        namespaces: &dyn Namespaces,
        default_namespace: Option<&str>,
    ) -> Bindings {
        let value = k8s_cel::value_of(&object.root);
        let namespace = object.id.namespace.as_deref().or(default_namespace);
        let namespace_object = namespace.map_or(Value::Null, |namespace| {
            namespaces
                .namespace(namespace)
                .unwrap_or_else(|| synthesized_namespace(namespace))
        });
        let namespace = namespace.unwrap_or_default();
        let request = k8s_cel::map_of([
            ("operation".to_owned(), Value::from("CREATE")),
            ("namespace".to_owned(), Value::from(namespace)),
            (
                "name".to_owned(),
                Value::from(object.id.name.clone().unwrap_or_default()),
            ),
            ("object".to_owned(), value.clone()),
            ("oldObject".to_owned(), Value::Null),
        ]);
        Bindings {
            values: vec![
                ("object", value),
                ("oldObject", Value::Null),
                ("namespaceObject", namespace_object),
                ("request", request),
                ("variables", k8s_cel::map_of([])),
            ],
        }
    }

    pub(super) fn evaluate(&self, field: &CelField) -> Result<Value, String> {
        let bindings: Vec<(&str, &Value)> = self
            .values
            .iter()
            .map(|(name, value)| (*name, value))
            .collect();
        k8s_cel::evaluate(&field.expression, &bindings)
    }

    /// Binds `variables`, each seeing the ones before it. A variable that fails to evaluate is
    /// left out: an expression that reads it fails with that missing key.
    pub(super) fn bind_variables(&mut self, variables: &[(Arc<str>, CelField)]) {
        let mut bound: Vec<(String, Value)> = Vec::new();
        for (name, field) in variables {
            if let Ok(value) = self.evaluate(field) {
                bound.push((name.to_string(), value));
                self.set_variables(&bound);
            }
        }
    }

    fn set_variables(&mut self, bound: &[(String, Value)]) {
        self.set("variables", k8s_cel::map_of(bound.iter().cloned()));
    }

    /// Sets one of the variables (`params`, `variables`).
    pub(super) fn set(&mut self, name: &'static str, value: Value) {
        match self.values.iter_mut().find(|(known, _)| *known == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name, value)),
        }
    }
}

/// The `Namespace` an object's namespace would be, when the input does not hold it.
fn synthesized_namespace(name: &str) -> Value {
    let metadata = k8s_cel::map_of([("name".to_owned(), Value::from(name))]);
    k8s_cel::map_of([
        ("apiVersion".to_owned(), Value::from("v1")),
        ("kind".to_owned(), Value::from("Namespace")),
        ("metadata".to_owned(), metadata),
    ])
}
