// Starts `kubepatrol lsp` for YAML and JSON files: diagnostics as you type, quick fixes,
// exemptions and hover come from the server; this extension only launches it.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const command = vscode.workspace.getConfiguration("kubepatrol").get<string>("path") || "kubepatrol";
  return { command, args: ["lsp"] };
}

async function start(): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "file", language: "helm" },
    ],
  };
  client = new LanguageClient("kubepatrol", "kubepatrol", serverOptions(), clientOptions);
  await client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("kubepatrol.restart", async () => {
      await client?.stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("kubepatrol.path")) {
        await client?.stop();
        await start();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
