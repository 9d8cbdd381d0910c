//! `--events FILE`: the inspection's events as a Kubernetes `v1` `List` of `Event` objects that
//! `kubectl create -f FILE` posts against the object named by `--events-for`, so a scheduled
//! in-cluster run leaves the same trail as the managed inspection: started, finished and, when
//! danger findings exist, a warning.

use std::io::{self, Write};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::Report;

/// The object the events are about: `KIND/NAMESPACE/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventTarget {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl FromStr for EventTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.split('/').collect();
        let [kind, namespace, name] = parts.as_slice() else {
            return Err(format!("`{text}` is not KIND/NAMESPACE/NAME"));
        };
        if kind.is_empty() || namespace.is_empty() || name.is_empty() {
            return Err(format!(
                "`{text}` needs a kind, a namespace and a name (Events live in a namespace)"
            ));
        }
        Ok(EventTarget {
            kind: (*kind).to_owned(),
            namespace: (*namespace).to_owned(),
            name: (*name).to_owned(),
        })
    }
}

/// When the run started and finished.
#[derive(Clone, Copy, Debug)]
pub struct RunTimes {
    pub started: SystemTime,
    pub finished: SystemTime,
}

pub const REASON_START: &str = "SecurityInspectorConfigAuditStart";
pub const REASON_FINISHED: &str = "SecurityInspectorConfigAuditFinished";
pub const REASON_HIGH_RISK: &str = "SecurityInspectorConfigAuditHighRiskFound";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List {
    api_version: &'static str,
    kind: &'static str,
    items: Vec<Event>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    involved_object: InvolvedObject,
    reason: &'static str,
    message: String,
    #[serde(rename = "type")]
    event_type: &'static str,
    source: Source,
    reporting_component: &'static str,
    reporting_instance: &'static str,
    first_timestamp: String,
    last_timestamp: String,
    count: u32,
}

#[derive(Serialize)]
struct Metadata {
    name: String,
    namespace: String,
}

#[derive(Serialize)]
struct InvolvedObject {
    kind: String,
    namespace: String,
    name: String,
}

#[derive(Serialize)]
struct Source {
    component: &'static str,
}

pub fn write(
    report: &Report<'_>,
    target: &EventTarget,
    times: RunTimes,
    out: &mut dyn Write,
) -> io::Result<()> {
    let outcome = report.outcome;
    let health = &report.health;
    // Unique per run and target, and a valid name: the target's name is one already.
    let stamp = times
        .started
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let event = |suffix: &str, reason, event_type, message: String, at: SystemTime| Event {
        api_version: "v1",
        kind: "Event",
        metadata: Metadata {
            name: format!("{}.kubepatrol-{stamp:x}-{suffix}", target.name),
            namespace: target.namespace.clone(),
        },
        involved_object: InvolvedObject {
            kind: target.kind.clone(),
            namespace: target.namespace.clone(),
            name: target.name.clone(),
        },
        reason,
        message,
        event_type,
        source: Source {
            component: "kubepatrol",
        },
        reporting_component: "kubepatrol",
        reporting_instance: "kubepatrol",
        first_timestamp: humantime::format_rfc3339_seconds(at).to_string(),
        last_timestamp: humantime::format_rfc3339_seconds(at).to_string(),
        count: 1,
    };
    let mut items = vec![
        event(
            "start",
            REASON_START,
            "Normal",
            format!("Config audit started on {} files", outcome.files),
            times.started,
        ),
        event(
            "finished",
            REASON_FINISHED,
            "Normal",
            format!(
                "Config audit finished: {} objects, {} checks evaluated, health score {}/100 ({})",
                outcome.objects, outcome.evaluated, health.score, health.grade
            ),
            times.finished,
        ),
    ];
    let high_risks = health.high_risks();
    if high_risks > 0 {
        items.push(event(
            "high-risk",
            REASON_HIGH_RISK,
            "Warning",
            format!("{high_risks} high risks have been found after running config audit"),
            times.finished,
        ));
    }
    let list = List {
        api_version: "v1",
        kind: "List",
        items,
    };
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_needs_three_non_empty_parts() {
        assert_eq!(
            "CronJob/ops/kubepatrol".parse::<EventTarget>(),
            Ok(EventTarget {
                kind: "CronJob".into(),
                namespace: "ops".into(),
                name: "kubepatrol".into(),
            })
        );
        assert!("CronJob/kubepatrol".parse::<EventTarget>().is_err());
        assert!("CronJob//kubepatrol".parse::<EventTarget>().is_err());
        assert!("a/b/c/d".parse::<EventTarget>().is_err());
    }
}
