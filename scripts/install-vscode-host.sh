#!/usr/bin/env bash
# Installs a real VS Code (code-server 4.100.3 = VS Code 1.100.3) and headless Chromium for the
# integration suite and the demo, and Neovim (Debian 12: 0.7.2) for test/lsp/neovim.test.ts, the
# second real LSP client. Idempotent: a finished install is marked and skipped.
# Why code-server: this machine cannot download desktop VS Code; code-server ships from npm.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HOST="$ROOT/.vscode-test/code-server"
MARK="$HOST/.installed-4.100.3"
if [ -f "$MARK" ] && [ -x /usr/bin/chromium ] && command -v nvim >/dev/null; then exit 0; fi

# kerberos (a VS Code native module) needs the krb5 headers: libkrb5-dev provides both paths.
has_krb5_headers() { [ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ]; }
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! command -v nvim >/dev/null || ! has_krb5_headers; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium libkrb5-dev ripgrep neovim >/dev/null
fi

mkdir -p "$HOST"
cd "$HOST"
[ -f package.json ] || npm init -y >/dev/null
npm_config_unsafe_perm=true npm install --no-audit --no-fund --ignore-scripts --loglevel=error code-server@4.100.3
npm rebuild argon2 --loglevel=error
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
mkdir -p node_modules/@vscode/ripgrep/bin && cp /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm rebuild --loglevel=error
ln -sfn node_modules node_modules.asar
cd extensions && npm install --omit=dev --no-audit --no-fund --loglevel=error
touch "$MARK"
echo "code-server 4.100.3 installed in $HOST"
