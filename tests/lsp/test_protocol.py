"""`kubepatrol lsp` driven by a real LSP client library (pytest-lsp, on pygls and lsprotocol).

Run by tests/lsp.rs, which makes the pinned virtualenv and sets KUBEPATROL to the binary.
"""

import asyncio
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

KUBEPATROL = os.environ["KUBEPATROL"]
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "lsp"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[KUBEPATROL, "lsp"]))
async def client(lsp_client: LanguageClient):
    lsp_client.initialized_with = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def workspace(tmp_path):
    """A copy of the fixtures in a directory of its own (no configuration above it)."""
    target = tmp_path / "workspace"
    shutil.copytree(FIXTURES, target)
    return target


def open_file(client, path, text=None, language="yaml"):
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri,
                language_id=language,
                version=1,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


async def diagnostics(client, uri, until=lambda found: True, timeout=10.0):
    """The diagnostics last published for `uri` once `until` holds for them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = client.diagnostics.get(uri)
        if found is not None and until(found):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"diagnostics of {uri}: {found}")
        await asyncio.sleep(0.02)


def summary(found):
    return sorted(
        (d.code, d.range.start.line, d.range.start.character, d.range.end.character, d.severity)
        for d in found
    )


def codes(found):
    return sorted(d.code for d in found)


def offset(text, position):
    """The offset of an LSP position (UTF-16 columns; the fixtures are ASCII)."""
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[: position.line]) + position.character


def apply(text, edits):
    for edit in sorted(edits, key=lambda e: offset(text, e.range.start), reverse=True):
        start, end = offset(text, edit.range.start), offset(text, edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


async def test_initialize_announces_incremental_sync_code_actions_and_hover(client):
    capabilities = client.initialized_with.capabilities
    assert capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert capabilities.text_document_sync.open_close
    assert capabilities.position_encoding == types.PositionEncodingKind.Utf16
    assert capabilities.hover_provider
    assert list(capabilities.code_action_provider.code_action_kinds) == [
        types.CodeActionKind.QuickFix,
        "source.fixAll.kubepatrol",
    ]
    assert client.initialized_with.server_info.name == "kubepatrol"


async def test_open_publishes_findings_at_their_labels(client, workspace):
    uri = open_file(client, workspace / "deployment.yaml")
    found = await diagnostics(client, uri, lambda found: len(found) > 0)
    assert summary(found) == [
        ("hostPIDSet", 12, 15, 19, types.DiagnosticSeverity.Error),
        ("privilegeEscalationAllowed", 17, 38, 42, types.DiagnosticSeverity.Error),
    ]
    assert {d.source for d in found} == {"kubepatrol"}
    assert found[0].message.startswith("The pod shares the node's process namespace")


async def test_secondary_labels_are_related_information(client, workspace):
    fixture = FIXTURES.parent / "checks" / "hostPortSet" / "fail_two_ports_one_finding.yaml"
    uri = open_file(client, workspace / "ports.yaml", fixture.read_text())
    found = await diagnostics(client, uri, lambda found: "hostPortSet" in codes(found))
    ports = next(d for d in found if d.code == "hostPortSet")
    assert (ports.range.start.line, ports.range.start.character) == (23, 24)
    assert [
        (r.location.uri, r.location.range.start.line, r.location.range.start.character, r.message)
        for r in ports.related_information
    ] == [(uri, 26, 24, "`hostPort` 443 binds a port of the node")]


async def test_incremental_and_full_changes_are_linted_from_the_buffer(client, workspace):
    path = workspace / "deployment.yaml"
    uri = open_file(client, path)
    await diagnostics(client, uri, lambda found: len(found) == 2)
    # `hostPID: true` -> `hostPID: false`, then a second edit in the same notification.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=12, character=15),
                        end=types.Position(line=12, character=19),
                    ),
                    text="false",
                ),
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=17, character=38),
                        end=types.Position(line=17, character=42),
                    ),
                    text="false",
                ),
            ],
        )
    )
    await diagnostics(client, uri, lambda found: len(found) == 0)
    assert path.read_text().count("hostPID: true") == 1, "the file on disk is not read"
    # A whole new text, with an error of its own.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text="apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n"
                )
            ],
        )
    )
    found = await diagnostics(client, uri, lambda found: "hostNetworkSet" in codes(found))
    assert ("hostNetworkSet", 4, 15, 19, types.DiagnosticSeverity.Error) in summary(found)


async def test_input_errors_are_diagnostics(client, workspace):
    uri = open_file(client, workspace / "broken.yaml", "kind: Pod\nkind: Service\nmetadata: [\n")
    found = await diagnostics(client, uri, lambda found: len(found) > 0)
    assert all(d.source == "kubepatrol" for d in found)
    assert any(d.severity == types.DiagnosticSeverity.Error for d in found), found
    # An ignore annotation that silences nothing is marked unnecessary.
    text = (workspace / "annotated.yaml").read_text().replace("hostPIDSet, ", "hostIPCSet, ")
    uri = open_file(client, workspace / "unused.yaml", text)
    found = await diagnostics(client, uri, lambda found: "unused-ignore" in codes(found))
    unused = next(d for d in found if d.code == "unused-ignore")
    assert list(unused.tags) == [types.DiagnosticTag.Unnecessary], unused
    assert unused.range.start.line == 5, unused


async def test_configuration_is_found_from_the_document_and_excluded_files_get_none(client, workspace):
    (workspace / ".kubepatrol.yaml").write_text(
        'checks:\n  hostPIDSet: ignore\nexclude: ["vendor/**"]\n'
    )
    (workspace / "vendor").mkdir()
    shutil.copy(workspace / "deployment.yaml", workspace / "vendor" / "upstream.yaml")
    uri = open_file(client, workspace / "deployment.yaml")
    found = await diagnostics(client, uri, lambda found: len(found) > 0)
    assert codes(found) == ["privilegeEscalationAllowed"]
    vendored = open_file(client, workspace / "vendor" / "upstream.yaml")
    assert len(await diagnostics(client, vendored)) == 0
    # An invalid configuration is shown, as `lint` stops on it.
    (workspace / ".kubepatrol.yaml").write_text("checks:\n  noSuchCheck: ignore\n")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    found = await diagnostics(client, uri, lambda found: codes(found) == ["invalid-config"])
    assert ".kubepatrol.yaml:2:3" in found[0].message


def replace(client, uri, version, line, start, end, text):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=start),
                        end=types.Position(line=line, character=end),
                    ),
                    text=text,
                )
            ],
        )
    )


async def test_a_patch_and_a_base_are_linted_through_their_overlay_from_the_buffers(
    client, workspace
):
    repository = workspace / "kustomize"
    (repository / ".git").mkdir()
    patch = open_file(client, repository / "overlay" / "patch.yaml")
    found = await diagnostics(client, patch, lambda found: len(found) > 0)
    assert summary(found) == [("hostNetworkSet", 7, 19, 23, types.DiagnosticSeverity.Error)]
    assert "(Deployment api via " in found[0].message
    # Unsaved: `hostNetwork: false` in the patch.
    replace(client, patch, 2, 7, 19, 23, "false")
    await diagnostics(client, patch, lambda found: len(found) == 0)
    # Unsaved: `hostPID: true` in the base; the overlay renders it, the base shows it.
    base = open_file(client, repository / "base" / "deployment.yaml")
    assert len(await diagnostics(client, base)) == 0
    replace(client, base, 2, 11, 6, 6, "hostPID: true\n      ")
    found = await diagnostics(client, base, lambda found: len(found) > 0)
    # Two overlays render the base: one finding each, shown once naming both.
    assert summary(found) == [("hostPIDSet", 11, 15, 19, types.DiagnosticSeverity.Error)]
    assert "overlay/kustomization.yaml, " in found[0].message, found[0].message
    assert found[0].message.endswith("staging/kustomization.yaml)"), found[0].message
    # The patch shows only what it wrote.
    replace(client, patch, 3, 7, 19, 24, "true")
    found = await diagnostics(client, patch, lambda found: len(found) > 0)
    assert codes(found) == ["hostNetworkSet"]
    assert codes(await diagnostics(client, base)) == ["hostPIDSet"]
    assert (repository / "overlay" / "patch.yaml").read_text().endswith("hostNetwork: true\n")


async def test_a_kustomization_is_rendered_from_its_buffer(client, workspace):
    repository = workspace / "kustomize"
    (repository / ".git").mkdir()
    kustomization = repository / "overlay" / "kustomization.yaml"
    text = kustomization.read_text()
    uri = open_file(client, kustomization)
    assert len(await diagnostics(client, uri)) == 0
    # Unsaved: a resource that does not exist, and an inline patch that sets `hostIPC`.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text=text.replace("  - ../base\n", "  - ../base\n  - missing.yaml\n")
                    + "  - patch: |\n"
                    "      - op: add\n"
                    "        path: /spec/template/spec/hostIPC\n"
                    "        value: true\n"
                    "    target: {kind: Deployment}\n"
                )
            ],
        )
    )
    found = await diagnostics(client, uri, lambda found: len(found) == 2)
    assert sorted(summary(found), key=lambda diagnostic: diagnostic[1]) == [
        ("missing-resource", 2, 4, 16, types.DiagnosticSeverity.Error),
        ("hostIPCSet", 8, 15, 19, types.DiagnosticSeverity.Error),
    ]


def of(found, code):
    return [d for d in found if d.code == code]


async def test_chart_values_and_templates_get_the_findings_of_their_chart_from_the_buffers(
    client, workspace
):
    chart = workspace / "chart"
    values = open_file(client, chart / "values.yaml")
    assert len(of(await diagnostics(client, values), "hostNetworkSet")) == 0
    # Unsaved: `hostNetwork: true` in values.yaml; the finding is at the values line.
    replace(client, values, 2, 0, 13, 18, "true")
    found = await diagnostics(client, values, lambda found: len(of(found, "hostNetworkSet")) > 0)
    assert summary(of(found, "hostNetworkSet")) == [
        ("hostNetworkSet", 0, 13, 17, types.DiagnosticSeverity.Error)
    ]
    assert "via " in found[0].message and "Chart.yaml" in found[0].message, found[0].message
    # A template shows what its literal text wrote, rendered with the unsaved values.
    pod = open_file(client, chart / "templates" / "pod.yaml", language="helm")
    found = await diagnostics(client, pod, lambda found: len(of(found, "hostPIDSet")) > 0)
    assert summary(of(found, "hostPIDSet")) == [
        ("hostPIDSet", 6, 11, 15, types.DiagnosticSeverity.Error)
    ]
    assert of(found, "hostNetworkSet") == []
    # A render error in an unsaved helper is shown at its template line.
    helpers = open_file(client, chart / "templates" / "_helpers.tpl", language="helm")
    replace(client, helpers, 2, 1, 16, 16, " | nosuchfunction")
    found = await diagnostics(
        client, helpers, lambda found: len(of(found, "helm-template-error")) > 0
    )
    # At the helper's line; the template that includes it fails too, named at the top.
    errors = sorted((d.range.start.line, d.message) for d in of(found, "helm-template-error"))
    assert [line for line, _ in errors] == [0, 1], errors
    assert errors[1][1].startswith('function "nosuchfunction" not defined'), errors
    assert "templates/pod.yaml:4:" in errors[0][1], errors


async def test_code_actions_fix_exempt_and_fix_all_safe(client, workspace):
    path = workspace / "deployment.yaml"
    text = path.read_text()
    uri = open_file(client, path)
    found = await diagnostics(client, uri, lambda found: len(found) == 2)
    escalation = next(d for d in found if d.code == "privilegeEscalationAllowed")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=escalation.range,
            context=types.CodeActionContext(diagnostics=[escalation]),
        )
    )
    titles = [action.title for action in actions]
    fix = next(a for a in actions if a.title.startswith("Fix privilegeEscalationAllowed"))
    assert "(unsafe: check that no process relies on setuid binaries" in fix.title
    assert fix.kind == types.CodeActionKind.QuickFix and not fix.is_preferred
    fixed = apply(text, fix.edit.changes[uri])
    assert fixed == text.replace(
        "allowPrivilegeEscalation: true", "allowPrivilegeEscalation: false"
    ), titles
    exempt = next(a for a in actions if a.title.startswith("Exempt container"))
    exempted = apply(text, exempt.edit.changes[uri])
    assert exempted == text.replace(
        "  namespace: shop\n",
        "  namespace: shop\n  annotations:\n"
        '    "kubepatrol.io/ignore.web": "privilegeEscalationAllowed"\n'
        '    "kubepatrol.io/ignore-reason": "TODO(kubepatrol): why this check does not apply"\n',
    )
    # The exemption silences the finding once applied.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=exempted)],
        )
    )
    await diagnostics(client, uri, lambda found: codes(found) == ["hostPIDSet"])

    # A container without resource requests: the safe fixes, alone and all at once.
    requests = workspace / "requests.yaml"
    uri = open_file(client, requests)
    found = await diagnostics(client, uri, lambda found: len(found) > 0)
    assert codes(found) == ["cpuRequestsMissing", "memoryRequestsMissing"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=found[0].range,
            context=types.CodeActionContext(diagnostics=found[:1]),
        )
    )
    # Both findings are on the container's name: both fixes are offered, safe, so preferred.
    preferred = [a.title for a in actions if a.is_preferred]
    assert preferred == [
        "Fix cpuRequestsMissing with a TODO placeholder to review",
        "Fix memoryRequestsMissing with a TODO placeholder to review",
    ]
    fix_all = next(a for a in actions if a.kind == "source.fixAll.kubepatrol")
    assert "(2 findings)" in fix_all.title
    all_fixed = apply(requests.read_text(), fix_all.edit.changes[uri])
    assert (
        "        requests:  # TODO(kubepatrol): placeholder, set what the container needs\n"
        "          cpu: 500m\n"
        "          memory: 256Mi\n"
    ) in all_fixed
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=all_fixed)],
        )
    )
    await diagnostics(client, uri, lambda found: len(found) == 0)


async def test_hover_explains_flagged_fields_and_annotated_checks(client, workspace):
    uri = open_file(client, workspace / "annotated.yaml")
    await diagnostics(client, uri, lambda found: len(found) > 0)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=12, character=17),
        )
    )
    assert hover.contents.value.startswith("# Host network namespace is shared"), hover
    # On `hostPIDSet` in the annotation's value.
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=5, character=30),
        )
    )
    assert hover.contents.value.startswith("`hostPIDSet` (danger): "), hover
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=0),
        )
    )
    assert nothing is None


async def test_close_clears_diagnostics_and_unknown_methods_are_errors(client, workspace):
    uri = open_file(client, workspace / "deployment.yaml")
    await diagnostics(client, uri, lambda found: len(found) == 2)
    with pytest.raises(Exception, match="unknown method"):
        await client.protocol.send_request_async("kubepatrol/nothing", {})
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await diagnostics(client, uri, lambda found: len(found) == 0)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def message(**fields):
    return frame(json.dumps({"jsonrpc": "2.0", **fields}).encode())


def test_malformed_messages_and_parameters_do_not_stop_the_server(tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostPID: true, containers: []}\n")
    uri = manifest.as_uri()
    messages = [
        frame(b"{not json"),
        b"Content-Type: nothing\r\n\r\n",
        frame(b'{"jsonrpc": "2.0", "id": 1}'),
        message(id=2, method="textDocument/hover", params={}),
        message(id=3, method="initialize", params={"capabilities": {}}),
        message(id=33, method="initialize", params={"capabilities": {}}),
        message(id=4, method="textDocument/hover", params={"bogus": 1}),
        message(method="textDocument/didOpen", params={"textDocument": 7}),
        message(
            method="textDocument/didChange",
            params={
                "textDocument": {"uri": "file:///nowhere.yaml", "version": 2},
                "contentChanges": [{"text": "x"}],
            },
        ),
        message(
            method="textDocument/didOpen",
            params={"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": manifest.read_text()}},
        ),
        # A change whose range is past the end of the text is clamped, not fatal.
        message(
            method="textDocument/didChange",
            params={
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [
                    {"range": {"start": {"line": 99, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# \u00e9\U0001f600\n"}
                ],
            },
        ),
        message(id=5, method="textDocument/codeAction", params={"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}, "context": {"diagnostics": []}}),
        message(id=6, method="shutdown"),
        message(id=7, method="textDocument/hover", params={}),
        message(method="exit"),
    ]
    done = subprocess.run(
        [KUBEPATROL, "lsp"], input=b"".join(messages), capture_output=True, timeout=30
    )
    assert done.returncode == 0, done
    out = done.stdout.decode()
    assert out.count("ignored a malformed message") == 3, out
    assert out.count("with invalid parameters") == 1, out
    assert '"id":2,"error":{"code":-32002' in out
    assert '"id":3,"result":{"capabilities"' in out
    assert '"id":33,"error":{"code":-32600,"message":"the server is already initialized"' in out
    assert '"id":4,"error":{"code":-32602,"message":"invalid parameters of `textDocument/hover`' in out
    assert '"id":5,"result":[{' in out and "hostPIDSet" in out
    assert '"id":6,"result":null' in out
    assert '"id":7,"error":{"code":-32600' in out


def test_exit_without_shutdown_or_closed_input_exits_with_1():
    exit_only = frame(b'{"jsonrpc":"2.0","method":"exit"}')
    assert subprocess.run([KUBEPATROL, "lsp"], input=exit_only, timeout=30).returncode == 1
    assert subprocess.run([KUBEPATROL, "lsp"], input=b"", timeout=30).returncode == 1
