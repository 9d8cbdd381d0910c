//! Findings of one base object rendered through several overlays are one finding that names
//! every overlay. Merged only after exemption: an annotation one overlay's patch adds silences
//! that overlay's objects alone, so each overlay that still fails must have had its finding.

use std::collections::HashMap;

use crate::evaluate::finding::Finding;

/// A base rendered through several overlays yields the same finding once per overlay: keep
/// the first (findings are sorted) and list every overlay on it. Two findings are the same
/// when they have the same check, message, container and labels, whatever the namespace or
/// name prefix each overlay gave the object.
pub(super) fn merge_overlay_duplicates(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for finding in findings {
        if finding.via.is_empty() {
            merged.push(finding);
            continue;
        }
        let key = format!(
            "{}|{}|{}|{:?}|{:?}",
            finding.rule.meta.id,
            finding.object.kind,
            finding.message,
            finding.container,
            finding.labels
        );
        match index.get(&key).and_then(|&at| merged.get_mut(at)) {
            Some(first) => {
                for overlay in finding.via {
                    if !first.via.contains(&overlay) {
                        first.via.push(overlay);
                    }
                }
                first.via.sort();
            }
            None => {
                index.insert(key, merged.len());
                merged.push(finding);
            }
        }
    }
    merged
}
