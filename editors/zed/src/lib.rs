//! Zed extension for kubepatrol.
//!
//! Zed starts a language server only through an extension, so this crate's one job is to tell
//! Zed how to run `kubepatrol lsp`: the executable the user configured, else the `kubepatrol` on
//! the worktree's `PATH`. It never downloads anything; kubepatrol is installed by the user.

use zed_extension_api::{self as zed, LanguageServerId, Result, Worktree, settings::LspSettings};

/// The language server id of `extension.toml`, also the key of its settings in Zed's `lsp`.
const SERVER_ID: &str = "kubepatrol";

struct Kubepatrol;

impl zed::Extension for Kubepatrol {
    fn new() -> Self {
        Kubepatrol
    }

    fn language_server_command(
        &mut self,
        _language_server_id: &LanguageServerId,
        worktree: &Worktree,
    ) -> Result<zed::Command> {
        // `"lsp": {"kubepatrol": {"binary": {"path": …, "arguments": […], "env": {…}}}}`;
        // unreadable settings are treated as absent, as other Zed extensions do.
        let binary = LspSettings::for_worktree(SERVER_ID, worktree)
            .ok()
            .and_then(|settings| settings.binary);
        let (path, arguments, env) = match binary {
            Some(binary) => (binary.path, binary.arguments, binary.env),
            None => (None, None, None),
        };
        let command = match path {
            Some(path) => path,
            None => worktree.which("kubepatrol").ok_or_else(|| {
                "kubepatrol is not on the PATH Zed sees for this project: install it (see \
                 kubepatrol's README) or set lsp.kubepatrol.binary.path in Zed's settings"
                    .to_owned()
            })?,
        };
        Ok(zed::Command {
            command,
            args: arguments.unwrap_or_else(|| vec!["lsp".to_owned()]),
            env: env.map(|env| env.into_iter().collect()).unwrap_or_default(),
        })
    }
}

zed::register_extension!(Kubepatrol);
