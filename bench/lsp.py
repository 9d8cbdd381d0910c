#!/usr/bin/env python3
"""How long `kubepatrol lsp` takes to re-check a document after an edit.

Builds the release binary and, in two temporary repositories, opens a document in
`kubepatrol lsp` and then, many times: sends one incremental edit (`didChange`), then `didSave`
(which lints at once, without the 200 ms pause a change waits for), and times until the new
diagnostics arrive. The figure is the whole round trip the editor sees: protocol, configuration
search, ignore check, parse, render, checks, diagnostics. The documents:

  * a 1,000-line manifest of Deployments with findings;
  * the patch of one of many overlays of one base (300 by default): the patch is rendered
    through its overlay, and the repository's other kustomizations are read to know that they
    do not use it.

    python3 bench/lsp.py              # 200 edits each; results to bench/RESULTS-lsp.md
    python3 bench/lsp.py --edits 50 --no-write
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{n}
  namespace: bench
  labels:
    app: app-{n}
    tier: backend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-{n}
  template:
    metadata:
      labels:
        app: app-{n}
    spec:
      hostPID: false
      containers:
        - name: app
          image: registry.example.com/app-{n}:1.{n}.0
          ports:
            - containerPort: 8080
          securityContext:
            allowPrivilegeEscalation: true
            readOnlyRootFilesystem: true
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
            limits:
              cpu: 500m
              memory: 128Mi
          livenessProbe:
            httpGet: {{path: /healthz, port: 8080}}
          readinessProbe:
            httpGet: {{path: /ready, port: 8080}}
"""


def document(lines):
    parts = []
    n = 0
    while sum(part.count("\n") for part in parts) < lines:
        parts.append(DEPLOYMENT.format(n=n))
        n += 1
    return "---\n".join(parts)


class Server:
    def __init__(self, binary, cwd):
        self.process = subprocess.Popen(
            [binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd
        )
        self.next_id = 0

    def send(self, method, params, request=False):
        message = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            if line in (b"\r\n", b""):
                break
            name, value = line.decode().split(":", 1)
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def wait_for(self, method, version=None):
        while True:
            message = self.read()
            if message.get("method") == method and (
                version is None or message["params"].get("version") == version
            ):
                return message["params"]

    def close(self):
        self.send("shutdown", None, request=True)
        self.send("exit", None)
        self.process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--overlays", type=int, default=300)
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS-lsp.md")
    parser.add_argument("--binary", help="a kubepatrol binary to use instead of a release build")
    args = parser.parse_args()

    binary = args.binary and str(Path(args.binary).resolve())
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
        binary = str(ROOT / "target" / "release" / "kubepatrol")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()

    with tempfile.TemporaryDirectory() as directory:
        repository = Path(directory)
        (repository / ".git").mkdir()
        manifest = repository / "apps.yaml"
        text = document(args.lines)
        manifest.write_text(text)
        manifest_timings, findings = edit_and_time(binary, repository, manifest, args.edits)
        line_count = text.count("\n")
        deployments = text.count("kind: Deployment")

    with tempfile.TemporaryDirectory() as directory:
        repository = Path(directory)
        (repository / ".git").mkdir()
        patch = overlays(repository, args.overlays)
        patch_timings, _ = edit_and_time(binary, repository, patch, args.edits)

    cores = os.cpu_count()
    lines = [
        "# Language server benchmark",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {cores} cores, {platform.system()} {platform.release()}",
        f"- kubepatrol commit: {commit}",
        f"- Command: `python3 bench/lsp.py --edits {args.edits} --lines {args.lines}"
        f" --overlays {args.overlays}`",
        "",
        "Re-checking a document after a one-value incremental edit, from `didChange` +"
        f" `didSave` sent to the new diagnostics received, over {args.edits} edits:",
        "",
        "| document | min ms | median ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        row(
            f"{line_count:,}-line manifest ({deployments} Deployments, {findings} findings)",
            manifest_timings,
        ),
        row(f"patch of one of {args.overlays} overlays of a base", patch_timings),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        (ROOT / "bench" / "RESULTS-lsp.md").write_text(report)


def row(name, timings):
    timings = sorted(timings)
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    median = statistics.median(timings)
    return f"| {name} | {timings[0]:.2f} | {median:.2f} | {p95:.2f} | {timings[-1]:.2f} |"


def overlays(repository, count):
    """A base and `count` overlays that patch it; the first overlay's patch."""
    base = repository / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    (base / "deployment.yaml").write_text(DEPLOYMENT.format(n=0))
    for index in range(count):
        overlay = repository / "overlays" / f"o{index}"
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(
            f"namePrefix: o{index}-\nresources:\n  - ../../base\npatches:\n  - path: patch.yaml\n"
        )
        (overlay / "patch.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-0\nspec:\n"
            "  template:\n    spec:\n      hostPID: false\n"
        )
    return repository / "overlays" / "o0" / "patch.yaml"


def edit_and_time(binary, repository, path, edits):
    """Open `path`, flip each `hostPID:` value in turn `edits` times; the milliseconds each
    re-check took, and the findings when opened."""
    text = path.read_text()
    uri = path.as_uri()
    server = Server(binary, repository)
    server.send("initialize", {"capabilities": {}}, request=True)
    server.read()
    server.send("initialized", {})
    server.send(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )
    findings = len(server.wait_for("textDocument/publishDiagnostics", 1)["diagnostics"])
    # Each edit flips one `hostPID:` value: a one-word change that adds or removes a finding.
    targets = [
        (i, line.index("hostPID:") + len("hostPID: "))
        for i, line in enumerate(text.split("\n"))
        if "hostPID:" in line
    ]
    state = {line: "false" for line, _ in targets}
    timings = []
    for edit in range(edits):
        line, column = targets[edit % len(targets)]
        old, new = state[line], ("true" if state[line] == "false" else "false")
        state[line] = new
        version = edit + 2
        started = time.perf_counter()
        server.send(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": line, "character": column},
                            "end": {"line": line, "character": column + len(old)},
                        },
                        "text": new,
                    }
                ],
            },
        )
        server.send("textDocument/didSave", {"textDocument": {"uri": uri}})
        published = server.wait_for("textDocument/publishDiagnostics", version)
        timings.append((time.perf_counter() - started) * 1000)
        expected = findings + sum(1 for value in state.values() if value == "true")
        assert len(published["diagnostics"]) == expected, (published, expected)
    server.close()
    return timings, findings

if __name__ == "__main__":
    sys.exit(main())
