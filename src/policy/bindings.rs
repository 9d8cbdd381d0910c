//! The variables a policy's expressions see: `object`, `oldObject` (null: offline, every object
//! is being created), `request`, then per policy `namespaceObject`, `params` and `variables`.
//! The object's are converted once per object ([`Bindings::object`]); each rule adds its own
//! in a child set.

use std::sync::{Arc, OnceLock};

use cel::Value;

use super::CelField;
use crate::cel as k8s_cel;
use crate::model::object::Object;

/// What an expression sees beyond the object: the `Namespace` objects of the input, by name.
pub trait Namespaces: Sync {
    fn namespace(&self, name: &str) -> Option<Value>;
}

/// The variables of an object, converted on first use: most objects no rule selects.
#[derive(Debug)]
pub struct ObjectBindings<'o> {
    object: &'o Object,
    made: OnceLock<Bindings<'static>>,
}

impl<'o> ObjectBindings<'o> {
    pub fn new(object: &'o Object) -> ObjectBindings<'o> {
        ObjectBindings {
            object,
            made: OnceLock::new(),
        }
    }

    pub(super) fn get(&self) -> &Bindings<'static> {
        self.made.get_or_init(|| Bindings::object(self.object))
    }
}

/// The variables of one evaluation.
#[derive(Debug)]
pub(super) struct Bindings<'p> {
    variables: k8s_cel::Variables<'p>,
}

impl Bindings<'static> {
    /// The variables every policy's expressions see for `object`.
    fn object(object: &Object) -> Bindings<'static> {
        let mut variables = k8s_cel::Variables::default();
        let request = k8s_cel::map_of([
            ("operation".to_owned(), Value::from("CREATE")),
            (
                "namespace".to_owned(),
                Value::from(object.id.namespace.clone().unwrap_or_default()),
            ),
            (
                "name".to_owned(),
                Value::from(object.id.name.clone().unwrap_or_default()),
            ),
        ]);
        variables.set("object", k8s_cel::value_of(&object.root));
        variables.set("oldObject", Value::Null);
        variables.set("request", request);
        Bindings { variables }
    }
}

impl<'p> Bindings<'p> {
    /// A rule's variables over the object's: `namespaceObject` for the object's namespace, or
    /// `default_namespace` when it names none (Kyverno assumes `default`; the API server gives
    /// a cluster-scoped object a null `namespaceObject`), and no `variables` yet.
    pub(super) fn rule(
        &'p self,
        object: &Object,
        namespaces: &dyn Namespaces,
        default_namespace: Option<&str>,
    ) -> Bindings<'p> {
        let namespace = object.id.namespace.as_deref().or(default_namespace);
        let namespace_object = namespace.map_or(Value::Null, |namespace| {
            namespaces
                .namespace(namespace)
                .unwrap_or_else(|| synthesized_namespace(namespace))
        });
        let mut variables = self.variables.child();
        variables.set("namespaceObject", namespace_object);
        variables.set("variables", k8s_cel::map_of([]));
        Bindings { variables }
    }

    pub(super) fn evaluate(&self, field: &CelField) -> Result<Value, String> {
        k8s_cel::evaluate(&field.expression, &self.variables)
    }

    /// Binds `variables`, each seeing the ones before it. A variable that fails to evaluate is
    /// left out: an expression that reads it fails with that missing key.
    pub(super) fn bind_variables(&mut self, variables: &[(Arc<str>, CelField)]) {
        let mut bound: Vec<(String, Value)> = Vec::new();
        for (name, field) in variables {
            if let Ok(value) = self.evaluate(field) {
                bound.push((name.to_string(), value));
                self.set("variables", k8s_cel::map_of(bound.iter().cloned()));
            }
        }
    }

    /// Sets one of the variables (`params`, `variables`).
    pub(super) fn set(&mut self, name: &str, value: Value) {
        self.variables.set(name, value);
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
