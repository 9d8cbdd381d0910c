#!/usr/bin/env bash
# Step 1 of action.yml: build kubepatrol from the action's own checkout into a directory keyed by
# the crate version, so a later run on the same runner (or a restored tool cache) skips the build.
# Writes `bin=<path of the binary>` to $GITHUB_OUTPUT.
set -euo pipefail

action_dir="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
version="$(sed -n 's/^version *= *"\(.*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n 1)"
if [ -z "$version" ]; then
  echo "::error::cannot read the kubepatrol version from $action_dir/Cargo.toml" >&2
  exit 2
fi

cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:?neither RUNNER_TOOL_CACHE nor RUNNER_TEMP is set}}"
install_root="$cache_root/kubepatrol/$version"
binary="$install_root/bin/kubepatrol"

if [ -x "$binary" ]; then
  echo "kubepatrol $version is already installed at $binary"
else
  echo "Building kubepatrol $version from $action_dir"
  cargo install --locked --path "$action_dir" --root "$install_root"
fi

echo "bin=$binary" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
