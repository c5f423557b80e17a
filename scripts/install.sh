#!/usr/bin/env bash
# Installs the `sift` command: publishes the CLI (framework-dependent, linux-x64) into PREFIX/lib/sift
# and writes a launcher PREFIX/bin/sift. PREFIX defaults to ~/.local; needs the .NET 10 SDK.
#   scripts/install.sh [PREFIX]        then: export PATH="$PREFIX/bin:$PATH"
set -euo pipefail
prefix="${1:-${PREFIX:-$HOME/.local}}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib="$prefix/lib/sift"

rm -rf "$lib"
dotnet publish "$repo/src/Sift.Cli" -c Release -r linux-x64 --self-contained false -o "$lib" --nologo -v quiet
# The build patches libLibTorchSharp.so for Debian 12's libstdc++ (Directory.Build.targets); check it happened.
if [ ! -f "$lib/libLibTorchSharp.so" ] && [ ! -f "$lib/runtimes/linux-x64/native/libLibTorchSharp.so" ]; then
  echo "install.sh: libLibTorchSharp.so is missing from $lib" >&2; exit 1
fi

mkdir -p "$prefix/bin"
cat > "$prefix/bin/sift" <<LAUNCHER
#!/bin/sh
exec dotnet "$lib/sift.dll" "\$@"
LAUNCHER
chmod +x "$prefix/bin/sift"
echo "installed $prefix/bin/sift ($(du -sh "$lib" | cut -f1) in $lib)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add it to PATH: export PATH=\"$prefix/bin:\$PATH\"" ;; esac
