#!/usr/bin/env python3
"""Step 2 of action.yml, after the lint: turn kubepatrol's JSON report into the job summary
($GITHUB_STEP_SUMMARY) and the step outputs ($GITHUB_OUTPUT).

Usage: action-summary.py JSON_REPORT SARIF_FILE EXIT_STATUS
"""

import json
import os
import posixpath
import sys

TOP_FINDINGS = 10
SEVERITY_ORDER = {"danger": 0, "warning": 1}


def cell(text):
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def repository_path(file):
    """The path of a reported file relative to the repository root, or None for standard input."""
    if file == "<stdin>":
        return None
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        # Reported paths are relative to the working directory, which may be below the root.
        file = os.path.relpath(os.path.abspath(file), os.path.realpath(workspace))
    file = posixpath.normpath(file.replace(os.sep, "/"))
    return None if file.startswith("../") or os.path.isabs(file) else file


def workspace_path(file):
    """A file written in the working directory, as upload-sarif (which runs in the workspace) finds it."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace or os.path.isabs(file):
        return file
    return os.path.relpath(os.path.abspath(file), os.path.realpath(workspace))


def finding_link(finding):
    """`file:line`, linked to that line of the commit being linted."""
    line = finding["start"]["line"]
    place = f"{finding['file']}:{line}"
    path = repository_path(finding["file"])
    repository = os.environ.get("GITHUB_REPOSITORY")
    sha = os.environ.get("GITHUB_SHA")
    if path is None or not repository or not sha:
        return cell(place)
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    return f"[{cell(place)}]({server}/{repository}/blob/{sha}/{path}#L{line})"


def object_name(finding):
    target = finding["object"]
    namespace = f"{target['namespace']}/" if target.get("namespace") else ""
    name = f"{target['kind']} {namespace}{target.get('name') or '?'}"
    container = finding.get("container")
    return f"{name} ({container['name']})" if container else name


def summary_markdown(report, status):
    summary = report["summary"]
    findings = report["findings"]
    counts = report.get("counts", {})
    lines = [
        "## kubepatrol",
        "",
        f"**Score {summary['score']}/100, grade {summary['grade']}**: "
        f"{len(findings)} findings ({counts.get('danger', 0)} danger, "
        f"{counts.get('warning', 0)} warning) in {counts.get('objects', 0)} objects "
        f"from {counts.get('files', 0)} files; {counts.get('suppressed', 0)} suppressed, "
        f"{counts.get('errors', 0)} input errors. Exit code {status}.",
        "",
        f"Result: {verdict_text(report)}",
        "",
    ]
    new_since = report.get("newSince")
    if new_since:
        lines += [
            f"Only findings new since {new_since['reference']} are listed: "
            f"{new_since['before']} findings were there before, "
            f"{new_since['fixed']} of them fixed by this change.",
            "",
        ]
    lines += [
        "| Category | Score | Passed | Warning | Danger |",
        "|---|---:|---:|---:|---:|",
    ]
    for category in summary["categories"]:
        lines.append(
            f"| {cell(category['category'])} | {category['score']} | {category['passed']} "
            f"| {category['warning']} | {category['danger']} |"
        )
    if findings:
        ranked = sorted(
            enumerate(findings),
            key=lambda pair: (SEVERITY_ORDER.get(pair[1]["severity"], 2), pair[0]),
        )
        shown = [finding for _, finding in ranked[:TOP_FINDINGS]]
        lines += [
            "",
            f"### Top findings ({len(shown)} of {len(findings)})",
            "",
            "| Severity | Check | Object | Where | Message |",
            "|---|---|---|---|---|",
        ]
        for finding in shown:
            lines.append(
                f"| {finding['severity']} | `{cell(finding['check'])}` | {cell(object_name(finding))} "
                f"| {finding_link(finding)} | {cell(finding['message'])} |"
            )
    return "\n".join(lines) + "\n"


def verdict_text(report):
    """Why the run fails, as kubepatrol says it, or that it passes."""
    reasons = report.get("verdict", {}).get("reasons", [])
    if not reasons:
        return "passes"
    return "fails: " + "; ".join(cell(reason["message"]) for reason in reasons)


def failure_markdown(status):
    return (
        "## kubepatrol\n\n"
        f"kubepatrol exited with code {status} without a report; see the step log.\n"
    )


def append(variable, text):
    path = os.environ.get(variable)
    if not path:
        print(f"{variable} is not set; skipped writing it", file=sys.stderr)
        return
    with open(path, "a", encoding="utf-8") as out:
        out.write(text)


def main(json_path, sarif, status):
    try:
        with open(json_path, encoding="utf-8") as source:
            report = json.load(source)
    except (OSError, ValueError):
        report = None
    if report is None:
        append("GITHUB_STEP_SUMMARY", failure_markdown(status))
        score, findings = "", ""
    else:
        append("GITHUB_STEP_SUMMARY", summary_markdown(report, status))
        score, findings = report["summary"]["score"], len(report["findings"])
    sarif_file = workspace_path(sarif) if os.path.exists(sarif) else ""
    append("GITHUB_OUTPUT", f"score={score}\nfindings={findings}\nsarif-file={sarif_file}\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3])
