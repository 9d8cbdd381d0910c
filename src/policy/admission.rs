//! `ValidatingAdmissionPolicy` and `ValidatingAdmissionPolicyBinding`
//! (`admissionregistration.k8s.io/v1` and `v1beta1`) found in the input, evaluated as the API
//! server evaluates them when an object is created: the policy's `matchConstraints` and the
//! binding's `matchResources` (resource rules by group, version and resource, with a kind →
//! resource table; `namespaceSelector` against the input's `Namespace` objects, or the
//! `kubernetes.io/metadata.name` label every namespace has; `objectSelector`;
//! `excludeResourceRules`), `matchConditions`, `variables`, `paramKind` with the binding's
//! `paramRef` resolved against the input, then every validation, whose failure reports its
//! `message`, `messageExpression` or `reason`. An expression that errors fails the validation
//! under `failurePolicy: Fail` (the default) and is ignored under `Ignore`.
//!
//! What cannot be decided offline is said, never passed silently: a `paramRef` to an object not
//! in the input, and an expression that calls the `authorizer`, are [`Undecided`].

use std::sync::Arc;

use cel::Value;

use super::bindings::Namespaces;
use super::selection::LabelSelector;
use super::validation::Validation;
use super::{Bindings, ObjectBindings};
use super::{CelField, Failure, invalid_policy, named_fields, strings_at};
use crate::cel as k8s_cel;
use crate::diagnostic::Diagnostic;
use crate::model::object::{Object, group_of};
use crate::settings::Settings;
use crate::source::{SourceMap, Span};
use crate::yaml::Node;

const GROUP: &str = "admissionregistration.k8s.io";

/// Whether `api_version` is one this module reads.
pub fn is_admission_version(api_version: &str) -> bool {
    matches!(api_version.strip_prefix(GROUP), Some("/v1" | "/v1beta1"))
}

/// A policy with what the bindings of the input add.
#[derive(Debug)]
pub struct AdmissionPolicy {
    pub name: String,
    /// The policy's `kind` line.
    pub span: Span,
    constraints: Resources,
    match_conditions: Vec<(Arc<str>, CelField)>,
    variables: Vec<(Arc<str>, CelField)>,
    validations: Vec<Validation>,
    param_kind: Option<(String, String)>,
    ignore_errors: bool,
}

/// A binding of a policy to resources, with what its failures are.
#[derive(Clone, Debug)]
pub struct AdmissionBinding {
    pub name: String,
    pub policy: String,
    pub span: Span,
    resources: Resources,
    param_ref: Option<ParamRef>,
    pub actions: Actions,
}

/// The binding's `validationActions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actions {
    pub deny: bool,
    pub warn: bool,
    pub audit: bool,
}

#[derive(Clone, Debug)]
struct ParamRef {
    name: Option<String>,
    namespace: Option<String>,
    selector: Option<LabelSelector>,
    deny_when_missing: bool,
    span: Span,
}

/// `matchConstraints` or `matchResources`.
#[derive(Clone, Debug, Default)]
struct Resources {
    rules: Vec<ResourceRule>,
    exclude: Vec<ResourceRule>,
    namespace_selector: Option<LabelSelector>,
    object_selector: Option<LabelSelector>,
    /// Whether the block is there at all: a binding without `matchResources` takes the
    /// policy's constraints alone.
    given: bool,
}

#[derive(Clone, Debug)]
struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    on_create: bool,
}

/// What a policy decided about an object through one binding.
#[derive(Debug, PartialEq)]
pub enum AdmissionOutcome {
    Skip,
    Pass,
    Fail(Vec<Failure>),
    /// The object could not be judged offline: why, and what makes it so.
    Undecided {
        reason: String,
        span: Span,
    },
}

impl AdmissionPolicy {
    pub fn is_policy(object: &Object) -> bool {
        is_admission_version(&object.id.api_version)
            && object.id.kind == "ValidatingAdmissionPolicy"
    }

    pub fn parse(
        object: &Object,
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<AdmissionPolicy> {
        let root = &object.root;
        let spec = root.get("spec")?;
        let same = |text: &str| text.to_owned();
        let validations =
            Validation::parse_all(spec.get("validations"), sources, &same, diagnostics)?;
        let param_kind = spec.get("paramKind").and_then(|kind| {
            let field = |key: &str| kind.get(key).and_then(Node::as_str).map(str::to_owned);
            Some((field("apiVersion")?, field("kind")?))
        });
        Some(AdmissionPolicy {
            name: object.id.name.clone()?,
            span: root.entry("kind").map_or(root.span, |entry| entry.key.span),
            constraints: Resources::parse(spec.get("matchConstraints")),
            match_conditions: named_fields(
                spec.get("matchConditions"),
                sources,
                &same,
                diagnostics,
            )?,
            variables: named_fields(spec.get("variables"), sources, &same, diagnostics)?,
            validations,
            param_kind,
            ignore_errors: spec.get("failurePolicy").and_then(Node::as_str) == Some("Ignore"),
        })
    }

    /// Whether the policy applying to `object` through `binding` depends on its
    /// assumed resource name: a resource rule of the object's group and version names
    /// resources, and either the assumed one or the object's group explicitly.
    pub fn rests_on_assumed(
        &self,
        binding: &AdmissionBinding,
        object: &Object,
        resource: &KindResource,
    ) -> bool {
        resource.assumed
            && [&self.constraints, &binding.resources]
                .iter()
                .flat_map(|resources| resources.rules.iter().chain(&resources.exclude))
                .any(|rule| rule.names_resource_for(&object.id.api_version, &resource.name))
    }

    /// Evaluates the policy on `object` (of API resource `resource`) through `binding`;
    /// `input` is every object of the input, where parameters and namespaces are looked up.
    pub fn evaluate(
        &self,
        binding: &AdmissionBinding,
        object: &Object,
        resource: &KindResource,
        input: &[Object],
        base: &ObjectBindings<'_>,
        namespaces: &dyn Namespaces,
    ) -> AdmissionOutcome {
        let labels_of_namespace = |name: &str| namespace_labels(name, input);
        let resource = &resource.name;
        if !self
            .constraints
            .selects(object, resource, &labels_of_namespace)
            || (binding.resources.given
                && !binding
                    .resources
                    .selects(object, resource, &labels_of_namespace))
        {
            return AdmissionOutcome::Skip;
        }
        let params = match self.params(binding, object, input) {
            Ok(params) => params,
            Err(outcome) => return outcome,
        };
        let mut failures = Vec::new();
        for param in params {
            let mut bindings = base.get().rule(object, namespaces, None);
            bindings.set("params", param);
            match self.judge(&mut bindings) {
                AdmissionOutcome::Fail(mut found) => failures.append(&mut found),
                AdmissionOutcome::Pass => {}
                other => return other,
            }
        }
        if failures.is_empty() {
            AdmissionOutcome::Pass
        } else {
            AdmissionOutcome::Fail(failures)
        }
    }

    /// The `params` to evaluate with: null without `paramKind`, else every object the binding's
    /// `paramRef` names in the input.
    fn params(
        &self,
        binding: &AdmissionBinding,
        object: &Object,
        input: &[Object],
    ) -> Result<Vec<Value>, AdmissionOutcome> {
        let Some((api_version, kind)) = &self.param_kind else {
            return Ok(vec![Value::Null]);
        };
        let Some(reference) = &binding.param_ref else {
            return Err(AdmissionOutcome::Undecided {
                reason: format!(
                    "policy {} needs a {kind} parameter but binding {} has no paramRef",
                    self.name, binding.name
                ),
                span: binding.span,
            });
        };
        let namespace = reference
            .namespace
            .as_deref()
            .or(object.id.namespace.as_deref());
        let found: Vec<Value> = input
            .iter()
            .filter(|candidate| {
                candidate.id.api_version == *api_version
                    && candidate.id.kind == *kind
                    && (candidate.id.namespace.is_none()
                        || candidate.id.namespace.as_deref() == namespace)
                    && reference
                        .name
                        .as_ref()
                        .is_none_or(|name| candidate.id.name.as_ref() == Some(name))
                    && reference
                        .selector
                        .as_ref()
                        .is_none_or(|selector| selector.selects(candidate.root.get("metadata")))
            })
            .map(|candidate| k8s_cel::value_of(&candidate.root))
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
        if reference.deny_when_missing {
            return Err(AdmissionOutcome::Undecided {
                reason: format!(
                    "the {kind} parameter binding {} refers to is not in the input",
                    binding.name
                ),
                span: reference.span,
            });
        }
        Ok(Vec::new())
    }

    fn judge(&self, bindings: &mut Bindings<'_>) -> AdmissionOutcome {
        for (name, condition) in &self.match_conditions {
            match bindings.evaluate(condition) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return AdmissionOutcome::Skip,
                _ if self.ignore_errors => return AdmissionOutcome::Skip,
                Ok(_) | Err(_) => {
                    return AdmissionOutcome::Fail(vec![Failure {
                        index: 0,
                        message: format!("match condition {name} could not be evaluated"),
                        expression: condition.span,
                        reads: Vec::new(),
                    }]);
                }
            }
        }
        bindings.bind_variables(&self.variables);
        let mut failures = Vec::new();
        for (index, validation) in self.validations.iter().enumerate() {
            if validation.needs_authorizer {
                return AdmissionOutcome::Undecided {
                    reason: format!(
                        "validation {index} of policy {} calls the authorizer, which only the API server can answer",
                        self.name
                    ),
                    span: validation.expression.span,
                };
            }
            failures.extend(validation.failure(
                index,
                bindings,
                &self.variables,
                self.ignore_errors,
            ));
        }
        if failures.is_empty() {
            AdmissionOutcome::Pass
        } else {
            AdmissionOutcome::Fail(failures)
        }
    }
}

impl AdmissionBinding {
    pub fn is_binding(object: &Object) -> bool {
        is_admission_version(&object.id.api_version)
            && object.id.kind == "ValidatingAdmissionPolicyBinding"
    }

    pub fn parse(object: &Object, diagnostics: &mut Vec<Diagnostic>) -> Option<AdmissionBinding> {
        let root = &object.root;
        let spec = root.get("spec")?;
        let Some(policy) = spec.get("policyName").and_then(Node::as_str) else {
            diagnostics.push(invalid_policy(spec.span, "a binding needs a `policyName`"));
            return None;
        };
        let actions: Vec<&str> = spec
            .get("validationActions")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let param_ref = spec.get("paramRef").map(|reference| ParamRef {
            name: reference
                .get("name")
                .and_then(Node::as_str)
                .map(str::to_owned),
            namespace: reference
                .get("namespace")
                .and_then(Node::as_str)
                .map(str::to_owned),
            selector: reference.get("selector").map(LabelSelector::parse),
            deny_when_missing: reference
                .get("parameterNotFoundAction")
                .and_then(Node::as_str)
                != Some("Allow"),
            span: reference.span,
        });
        Some(AdmissionBinding {
            name: object.id.name.clone().unwrap_or_default(),
            policy: policy.to_owned(),
            span: root.entry("kind").map_or(root.span, |entry| entry.key.span),
            resources: Resources::parse(spec.get("matchResources")),
            param_ref,
            actions: Actions {
                deny: actions.contains(&"Deny"),
                warn: actions.contains(&"Warn"),
                audit: actions.contains(&"Audit"),
            },
        })
    }
}

impl Resources {
    fn parse(node: Option<&Node>) -> Resources {
        let Some(node) = node else {
            return Resources::default();
        };
        let rules = |key: &str| -> Vec<ResourceRule> {
            node.get(key)
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .map(ResourceRule::parse)
                .collect()
        };
        Resources {
            rules: rules("resourceRules"),
            exclude: rules("excludeResourceRules"),
            namespace_selector: node.get("namespaceSelector").map(LabelSelector::parse),
            object_selector: node.get("objectSelector").map(LabelSelector::parse),
            given: true,
        }
    }

    /// Whether the object is selected: by a resource rule (every object when there are none,
    /// for a binding's `matchResources`), not excluded, in a selected namespace, with selected
    /// labels.
    fn selects(
        &self,
        object: &Object,
        resource: &str,
        namespace_labels: &dyn Fn(&str) -> Node,
    ) -> bool {
        let matched = |rule: &ResourceRule| rule.matches(&object.id.api_version, resource);
        let namespace_selected = match (&self.namespace_selector, &object.id.namespace) {
            (Some(selector), Some(namespace)) => {
                selector.selects(Some(&namespace_labels(namespace)))
            }
            _ => true,
        };
        (self.rules.is_empty() || self.rules.iter().any(matched))
            && !self.exclude.iter().any(matched)
            && namespace_selected
            && self
                .object_selector
                .as_ref()
                .is_none_or(|selector| selector.selects(object.root.get("metadata")))
    }
}

impl ResourceRule {
    fn parse(node: &Node) -> ResourceRule {
        let strings = |key: &str| strings_at(node, key);
        let operations = strings("operations");
        ResourceRule {
            groups: strings("apiGroups"),
            versions: strings("apiVersions"),
            resources: strings("resources"),
            on_create: operations.iter().any(|op| op == "CREATE" || op == "*"),
        }
    }

    /// Whether the rule would select an object of `api_version` by its resource name alone:
    /// it lists resources (not `*`), and either `resource` or the object's group by name.
    fn names_resource_for(&self, api_version: &str, resource: &str) -> bool {
        let group = group_of(api_version);
        self.on_create
            && !self.resources.iter().any(|listed| listed == "*")
            && (self.resources.iter().any(|listed| listed == resource)
                || self.groups.iter().any(|listed| listed == group))
            && self.matches_version(api_version)
    }

    fn matches_version(&self, api_version: &str) -> bool {
        let version = api_version.rsplit('/').next().unwrap_or(api_version);
        let listed = |values: &[String], value: &str| values.iter().any(|v| v == "*" || v == value);
        listed(&self.groups, group_of(api_version)) && listed(&self.versions, version)
    }

    fn matches(&self, api_version: &str, resource: &str) -> bool {
        self.on_create
            && self.matches_version(api_version)
            && self.resources.iter().any(|listed| {
                // `pods/status` names a subresource, which creation does not touch.
                listed == "*" || listed == resource
            })
    }
}

/// The API resource of an object's kind, as resource rules name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindResource {
    /// Lower case and plural: `deployments`.
    pub name: String,
    /// Whether it was assumed by English plural rules: a kind neither built into Kubernetes nor
    /// given a `resource` by a `workloads:` entry.
    pub assumed: bool,
}

/// The built-in kinds of Kubernetes and their resources: those whose resource is not the
/// regular plural of the kind are why the table exists, the others make the answer exact.
const BUILT_IN_RESOURCES: &[(&str, &str)] = &[
    ("APIService", "apiservices"),
    ("Binding", "bindings"),
    ("CSIDriver", "csidrivers"),
    ("CSINode", "csinodes"),
    ("CSIStorageCapacity", "csistoragecapacities"),
    ("CertificateSigningRequest", "certificatesigningrequests"),
    ("ClusterRole", "clusterroles"),
    ("ClusterRoleBinding", "clusterrolebindings"),
    ("ClusterTrustBundle", "clustertrustbundles"),
    ("ComponentStatus", "componentstatuses"),
    ("ConfigMap", "configmaps"),
    ("ControllerRevision", "controllerrevisions"),
    ("CronJob", "cronjobs"),
    ("CustomResourceDefinition", "customresourcedefinitions"),
    ("DaemonSet", "daemonsets"),
    ("Deployment", "deployments"),
    ("DeviceClass", "deviceclasses"),
    ("EndpointSlice", "endpointslices"),
    ("Endpoints", "endpoints"),
    ("Event", "events"),
    ("FlowSchema", "flowschemas"),
    ("HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    ("IPAddress", "ipaddresses"),
    ("Ingress", "ingresses"),
    ("IngressClass", "ingressclasses"),
    ("Job", "jobs"),
    ("Lease", "leases"),
    ("LimitRange", "limitranges"),
    ("MutatingAdmissionPolicy", "mutatingadmissionpolicies"),
    (
        "MutatingAdmissionPolicyBinding",
        "mutatingadmissionpolicybindings",
    ),
    (
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
    ),
    ("Namespace", "namespaces"),
    ("NetworkPolicy", "networkpolicies"),
    ("Node", "nodes"),
    ("PersistentVolume", "persistentvolumes"),
    ("PersistentVolumeClaim", "persistentvolumeclaims"),
    ("Pod", "pods"),
    ("PodDisruptionBudget", "poddisruptionbudgets"),
    ("PodSecurityPolicy", "podsecuritypolicies"),
    ("PodTemplate", "podtemplates"),
    ("PriorityClass", "priorityclasses"),
    ("PriorityLevelConfiguration", "prioritylevelconfigurations"),
    ("ReplicaSet", "replicasets"),
    ("ReplicationController", "replicationcontrollers"),
    ("ResourceClaim", "resourceclaims"),
    ("ResourceClaimTemplate", "resourceclaimtemplates"),
    ("ResourceQuota", "resourcequotas"),
    ("ResourceSlice", "resourceslices"),
    ("Role", "roles"),
    ("RoleBinding", "rolebindings"),
    ("RuntimeClass", "runtimeclasses"),
    ("Secret", "secrets"),
    ("Service", "services"),
    ("ServiceAccount", "serviceaccounts"),
    ("ServiceCIDR", "servicecidrs"),
    ("StatefulSet", "statefulsets"),
    ("StorageClass", "storageclasses"),
    ("ValidatingAdmissionPolicy", "validatingadmissionpolicies"),
    (
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
    ),
    (
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
    ),
    ("VolumeAttachment", "volumeattachments"),
    ("VolumeAttributesClass", "volumeattributesclasses"),
];

/// Whether `group` is one of Kubernetes' own API groups (the core group is `""`): only there
/// does the built-in table name the kind; a custom resource may reuse a built-in kind's name
/// (Knative's `Service`).
fn is_built_in_group(group: &str) -> bool {
    matches!(
        group,
        "" | "apps" | "batch" | "autoscaling" | "policy" | "extensions"
    ) || group.ends_with(".k8s.io")
}

/// The resource of the kind: the `workloads:` entry's `resource`, the built-in table, then
/// the kind's English plural, which is how the API server's resources are named (assumed).
pub fn resource_of(api_version: &str, kind: &str, settings: &Settings) -> KindResource {
    let known = |name: &str| KindResource {
        name: name.to_owned(),
        assumed: false,
    };
    if let Some(configured) = settings.resource_of(api_version, kind) {
        return known(configured);
    }
    let built_in = BUILT_IN_RESOURCES
        .iter()
        .find(|(known, _)| *known == kind)
        .filter(|_| is_built_in_group(group_of(api_version)));
    if let Some((_, resource)) = built_in {
        return known(resource);
    }
    KindResource {
        name: english_plural(kind),
        assumed: true,
    }
}

/// The lower-case English plural of a kind.
fn english_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|stem| !stem.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if lower.ends_with('s')
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
    {
        format!("{lower}es")
    } else {
        format!("{lower}s")
    }
}

/// The labels of the input's `Namespace` named `name`, always with the
/// `kubernetes.io/metadata.name` label the API server sets on every namespace.
fn namespace_labels(name: &str, input: &[Object]) -> Node {
    use crate::yaml::{Entry, Value as Yaml};
    let span = Span::new(crate::source::FileId(0), 0, 0);
    let scalar = |text: &str| Node {
        span,
        value: Yaml::Str(Arc::from(text)),
    };
    let mut entries: Vec<Entry> = input
        .iter()
        .find(|object| object.id.kind == "Namespace" && object.id.name.as_deref() == Some(name))
        .and_then(|object| object.root.get("metadata")?.get("labels")?.as_map())
        .unwrap_or_default()
        .to_vec();
    entries.push(Entry {
        key: scalar("kubernetes.io/metadata.name"),
        value: scalar(name),
    });
    let labels = Node {
        span,
        value: Yaml::Map(entries.into()),
    };
    Node {
        span,
        value: Yaml::Map(
            vec![Entry {
                key: scalar("labels"),
                value: labels,
            }]
            .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ExtraWorkload;

    #[test]
    fn kinds_become_resources() {
        let settings = Settings::default();
        for (api_version, kind, resource, assumed) in [
            ("v1", "Pod", "pods", false),
            ("apps/v1", "Deployment", "deployments", false),
            (
                "networking.k8s.io/v1",
                "NetworkPolicy",
                "networkpolicies",
                false,
            ),
            ("networking.k8s.io/v1", "Ingress", "ingresses", false),
            ("v1", "Endpoints", "endpoints", false),
            (
                "policy/v1",
                "PodDisruptionBudget",
                "poddisruptionbudgets",
                false,
            ),
            ("batch/v1", "CronJob", "cronjobs", false),
            // Custom resources: assumed, even where a built-in kind has the name.
            ("gateway.networking.k8s.io/v1", "Gateway", "gateways", true),
            ("serving.knative.dev/v1", "Service", "services", true),
            ("example.com/v1", "Proxy", "proxies", true),
            ("example.com/v1", "Mesh", "meshes", true),
        ] {
            let found = resource_of(api_version, kind, &settings);
            assert_eq!(
                (found.name.as_str(), found.assumed),
                (resource, assumed),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_workload_entry_names_the_resource_of_its_kind() {
        let mut settings = Settings::default();
        settings.extra_workloads.push(ExtraWorkload {
            api_version: Some("chaos-mesh.org".into()),
            kind: "PodChaos".into(),
            pod: None,
            resource: Some("podchaos".into()),
        });
        let found = resource_of("chaos-mesh.org/v1alpha1", "PodChaos", &settings);
        assert_eq!((found.name.as_str(), found.assumed), ("podchaos", false));
        let elsewhere = resource_of("example.com/v1", "PodChaos", &settings);
        assert_eq!(
            (elsewhere.name.as_str(), elsewhere.assumed),
            ("podchaoses", true)
        );
    }
}
