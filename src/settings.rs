//! What configuration changes about what the checks see: the dangerous capability set and extra
//! workload kinds. One immutable value, built once per run and passed to `evaluate`.

/// The default dangerous set of capabilitiesAdded (spec §2).
const DEFAULT_DANGEROUS_CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "DAC_READ_SEARCH",
    "BPF",
];

/// A workload kind declared by configuration: a CRD that carries a pod spec, or one that
/// replaces a row of the built-in table, or a kind declared as carrying nothing to inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraWorkload {
    /// `group/version` or just `group`; any apiVersion when `None`.
    pub api_version: Option<String>,
    pub kind: String,
    /// Where its pod spec is; `None` when the kind is not to be inspected (`inspect: false`).
    pub pod: Option<ExtraPod>,
    /// Its API resource (`rollouts`), which ValidatingAdmissionPolicies' resource rules name.
    pub resource: Option<String>,
}

/// The pod spec of a configured workload kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraPod {
    /// The mapping keys from the object root to the pod spec (a decoded JSON pointer).
    pub pod_spec: Vec<String>,
    /// Whether the pods may keep running (their `restartPolicy` still decides).
    pub long_running: bool,
}

impl ExtraWorkload {
    pub fn matches(&self, api_version: &str, group: &str, kind: &str) -> bool {
        self.kind == kind
            && self
                .api_version
                .as_deref()
                .is_none_or(|wanted| wanted == api_version || wanted == group)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Normalised capability names (upper case, no `CAP_` prefix).
    dangerous_capabilities: Vec<String>,
    pub extra_workloads: Vec<ExtraWorkload>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dangerous_capabilities: DEFAULT_DANGEROUS_CAPABILITIES
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
            extra_workloads: Vec::new(),
        }
    }
}

impl Settings {
    /// The API resource a `workloads:` entry gives the kind, if one does.
    pub fn resource_of(&self, api_version: &str, kind: &str) -> Option<&str> {
        let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
        self.extra_workloads
            .iter()
            .find(|workload| workload.matches(api_version, group, kind))
            .and_then(|workload| workload.resource.as_deref())
    }

    /// Replace the dangerous capability set; names are normalised like the container's.
    pub fn with_dangerous_capabilities<'a>(
        mut self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        self.dangerous_capabilities = names.into_iter().map(normalize_capability).collect();
        self
    }

    pub fn is_dangerous_capability(&self, name: &str) -> bool {
        let normalized = normalize_capability(name);
        self.dangerous_capabilities.contains(&normalized)
    }
}

/// Container runtimes accept `sys_admin`, `SYS_ADMIN` and `CAP_SYS_ADMIN` alike; nothing else
/// is folded, so `" ALL"` (with a space) names no capability a runtime knows.
pub fn normalize_capability(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(bare) => bare.to_owned(),
        None => upper,
    }
}

// The lowest severity of a finding that makes the exit code 1 (`--fail-on`, `failOn:`). A
// plain comment: a doc comment would change the generated schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename_all = "lowercase"))]
pub enum FailOn {
    Warning,
    Danger,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_are_normalised() {
        let settings = Settings::default();
        for spelling in [
            "SYS_ADMIN",
            "sys_admin",
            "CAP_SYS_ADMIN",
            "cap_sys_admin",
            "Cap_Sys_Admin",
        ] {
            assert!(settings.is_dangerous_capability(spelling), "{spelling}");
        }
        assert!(settings.is_dangerous_capability("all"));
        // Only case and a leading `CAP_` are folded: no runtime knows " ALL".
        assert!(!settings.is_dangerous_capability(" ALL"));
        assert!(!settings.is_dangerous_capability("ALL "));
        assert!(!settings.is_dangerous_capability("NET_BIND_SERVICE"));
        assert!(!settings.is_dangerous_capability("CAP_CHOWN"));
    }

    #[test]
    fn the_dangerous_set_can_be_replaced() {
        let settings = Settings::default().with_dangerous_capabilities(["cap_chown"]);
        assert!(settings.is_dangerous_capability("CHOWN"));
        assert!(!settings.is_dangerous_capability("SYS_ADMIN"));
    }

    #[test]
    fn extra_workloads_match_by_api_version_or_group() {
        let rollout = ExtraWorkload {
            api_version: Some("serving.knative.dev".into()),
            kind: "Service".into(),
            pod: None,
            resource: None,
        };
        assert!(rollout.matches("serving.knative.dev/v1", "serving.knative.dev", "Service"));
        assert!(!rollout.matches("v1", "", "Service"));
    }
}
