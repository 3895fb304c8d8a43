# Sourced by the bin/ launchers: finds a JavaScript runtime that runs vkernel's
# TypeScript directly (Deno first, then Bun) and sets VKERNEL_HOME.
# VKERNEL_RUNTIME=deno|bun picks one explicitly.
VKERNEL_HOME=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
vkernel_exec() {
  local script="$1"; shift
  local choice="${VKERNEL_RUNTIME:-}"
  local deno bun
  deno=$(command -v deno || true); [ -z "$deno" ] && [ -x "$VKERNEL_HOME/node_modules/.bin/deno" ] && deno="$VKERNEL_HOME/node_modules/.bin/deno"
  bun=$(command -v bun || true); [ -z "$bun" ] && [ -x "$VKERNEL_HOME/node_modules/.bin/bun" ] && bun="$VKERNEL_HOME/node_modules/.bin/bun"
  if [ "$choice" != "bun" ] && [ -n "$deno" ]; then
    exec "$deno" run -A --quiet --v8-flags=--stack-size=8192 "$VKERNEL_HOME/$script" "$@"
  elif [ -n "$bun" ]; then
    exec "$bun" "$VKERNEL_HOME/$script" "$@"
  fi
  echo "vkernel: needs Deno or Bun (npm install deno bun, or put one on PATH)" >&2
  exit 127
}
