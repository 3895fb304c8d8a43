#!/usr/bin/env bash
# shellcheck disable=SC2317 # parsers and the trap are called indirectly
# The vkernel test command: quality gates, then every *_test.ts under Deno and
# under Bun, then one closing line "N passed, M failed" (", K skipped" when
# K > 0). README, `deno task test` and .ci/run all call this script.
# Run `bash tests/run.sh --help` for the options.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

usage() {
  cat <<'EOF'
Usage: bash tests/run.sh [options] [PATH...] [-- RUNNER_ARGS...]

Runs the quality gates (dprint check, deno lint, deno check), then every
*_test.ts file with `deno test -A --no-check` and with `bun test`, and ends
with the line "N passed, M failed" (", K skipped" when K > 0). Each gate
counts as one test; a runner that dies without a summary counts as 1 failed.
Exits 0 only when nothing failed and at least one test ran.

  PATH...            only test files whose repository path starts with PATH
                     (a folder like fs/memory, a file, or a prefix like
                     kernel/path); the gates are skipped
  --filter PATTERN   only tests whose name matches PATTERN (deno --filter,
                     bun --test-name-pattern); the gates are skipped
  --gates            run the gates even with PATH or --filter
  --no-gates         skip the gates
  --gates-only       run only the gates
  --no-deno          skip the Deno test run (gates still use deno)
  --no-bun           skip the Bun test run
  -- RUNNER_ARGS     passed as they are to both `deno test` and `bun test`
  -h, --help         this text

Environment:
  VKERNEL_PROPERTY_RUNS        runs per fast-check property, exported to the
                               tests (default 1000 when CI is set, else 200)
  VKERNEL_RUNNER_TIMEOUT       seconds one runner or gate invocation may
                               take (default 1200)
  VKERNEL_FILE_TIMEOUT         seconds per file when a runner that ended
                               without a summary is rerun file by file
                               (default 300)
  VKERNEL_TOTAL_TIMEOUT        seconds for the whole script, time limits are
                               cut to fit (default 1500, under CI's 30 min)
  VKERNEL_BUN_TEST_TIMEOUT_MS  Bun's per-test timeout (default 120000; Deno
                               has none)
  VKERNEL_REQUIRE_BUN          1: no Bun is a failure; 0: it is a skip
                               (default 1 when CI is set, else 0)
  VKERNEL_DENO, VKERNEL_BUN, VKERNEL_DPRINT
                               binaries to use instead of PATH, then
                               node_modules/.bin
  VKERNEL_KEEP_LOGS=1          keep the runners' logs (path printed at the end)

If node_modules is missing it is installed first: `npm ci || npm install`,
or `deno install` on a machine without npm.
EOF
}

# ---------------------------------------------------------------- arguments

prefixes=()
name_filter=""
gates="auto"
run_deno=1
run_bun=1
runner_args=()
while (($# > 0)); do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --filter)
      if (($# < 2)); then
        echo "tests/run.sh: --filter needs a pattern" >&2
        exit 2
      fi
      name_filter="$2"
      shift
      ;;
    --filter=*) name_filter="${1#--filter=}" ;;
    --gates) gates=1 ;;
    --no-gates) gates=0 ;;
    --gates-only)
      gates=1
      run_deno=0
      run_bun=0
      ;;
    --no-deno) run_deno=0 ;;
    --no-bun) run_bun=0 ;;
    --)
      shift
      runner_args=("$@")
      break
      ;;
    -*)
      echo "tests/run.sh: unknown option $1 (see --help)" >&2
      exit 2
      ;;
    *)
      prefix="${1#./}"
      while [[ "$prefix" == */ ]]; do prefix="${prefix%/}"; done
      prefixes+=("$prefix")
      ;;
  esac
  shift
done
if [[ "$gates" == auto ]]; then
  if ((${#prefixes[@]} > 0)) || [[ -n "$name_filter" ]]; then gates=0; else gates=1; fi
fi

in_ci=0
if [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; then in_ci=1; fi

if [[ -z "${VKERNEL_PROPERTY_RUNS:-}" ]]; then
  if ((in_ci)); then VKERNEL_PROPERTY_RUNS=1000; else VKERNEL_PROPERTY_RUNS=200; fi
fi
export VKERNEL_PROPERTY_RUNS
export NO_COLOR=1
runner_timeout="${VKERNEL_RUNNER_TIMEOUT:-1200}"
file_timeout="${VKERNEL_FILE_TIMEOUT:-300}"
total_budget="${VKERNEL_TOTAL_TIMEOUT:-1500}"
bun_test_timeout_ms="${VKERNEL_BUN_TEST_TIMEOUT_MS:-120000}"
require_bun="${VKERNEL_REQUIRE_BUN:-$in_ci}"

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vkernel-tests.XXXXXX")"
cleanup() {
  if [[ "${VKERNEL_KEEP_LOGS:-0}" == 1 ]]; then
    echo "tests/run.sh: logs kept in $LOG_DIR" >&2
  else
    rm -rf "$LOG_DIR"
  fi
}
trap cleanup EXIT

say() { printf '\n=== %s\n' "$*"; }

# ---------------------------------------------------------------- set-up

# Whether every devDependency of package.json is in node_modules.
node_modules_complete() {
  [[ -d node_modules ]] || return 1
  command -v node >/dev/null 2>&1 || return 0 # cannot tell without node: trust it
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const fs = require("fs");
    const deps = Object.keys({ ...require("./package.json").dependencies, ...require("./package.json").devDependencies });
    const missing = deps.filter((name) => !fs.existsSync(`node_modules/${name}/package.json`));
    if (missing.length > 0) { console.error(`missing from node_modules: ${missing.join(", ")}`); process.exit(1); }
  '
}

install_node_modules() {
  if [[ -d node_modules ]] && node_modules_complete; then return 0; fi
  if command -v npm >/dev/null 2>&1; then
    if [[ -d node_modules ]]; then
      say "node_modules is incomplete: npm install"
      npm install --no-audit --no-fund
    elif [[ -f package-lock.json ]]; then
      say "node_modules is missing: npm ci"
      npm ci --no-audit --no-fund || npm install --no-audit --no-fund
    else
      say "node_modules is missing: npm install"
      npm install --no-audit --no-fund
    fi
  elif command -v deno >/dev/null 2>&1; then
    say "node_modules is missing and there is no npm: deno install"
    # Deno seeds deno.lock from package-lock.json (without it, resolving every
    # platform's optional packages can fail); a lock it creates is removed.
    local had_lock=0
    [[ -f deno.lock ]] && had_lock=1
    deno install
    ((had_lock)) || rm -f deno.lock
  else
    say "node_modules is missing and neither npm nor deno is on PATH: cannot install the dev dependencies"
  fi
  [[ -d node_modules ]] || echo "tests/run.sh: node_modules is still missing; the runs below will fail" >&2
}

# find_bin NAME [PATH...]: the first that runs `--version` of $VKERNEL_<NAME>,
# NAME on PATH, node_modules/.bin/NAME and the given paths (the platform
# packages' own binaries: what works when .bin holds a Node shim but there is
# no Node, or the package's postinstall did not run, as after `deno install`).
find_bin() {
  local name="$1" override candidate
  shift
  override="VKERNEL_$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')"
  if [[ -n "${!override:-}" ]]; then
    printf '%s\n' "${!override}"
    return 0
  fi
  for candidate in "$(command -v "$name" 2>/dev/null)" "$ROOT/node_modules/.bin/$name" "$@"; do
    [[ -n "$candidate" && -f "$candidate" && -x "$candidate" ]] || continue
    [[ "$candidate" == /* ]] || candidate="$ROOT/$candidate"
    if "$candidate" --version </dev/null >/dev/null 2>&1; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

install_node_modules
shopt -s nullglob
DENO="$(find_bin deno node_modules/@deno/*/deno node_modules/.deno/@deno+*/node_modules/@deno/*/deno)" ||
  DENO=""
BUN="$(find_bin bun node_modules/@oven/bun-*/bin/bun node_modules/.deno/@oven+bun-*/node_modules/@oven/bun-*/bin/bun)" ||
  BUN=""
DPRINT="$(find_bin dprint node_modules/@dprint/*/dprint \
  node_modules/.deno/@dprint+*/node_modules/@dprint/*/dprint)" || DPRINT=""
shopt -u nullglob

# ---------------------------------------------------------------- file lists

# Repository files matching a glob: tracked plus untracked-but-not-ignored
# (git), or everything outside node_modules, build and dot-folders (find).
list_files() {
  local pattern="$1"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- "$pattern"
  else
    find . \( -name node_modules -o -name build -o -name '.?*' \) -prune -o -type f -name "$pattern" -print0 |
      sed -z 's|^\./||'
  fi | sort -zu | while IFS= read -r -d '' file; do
    case "$file" in node_modules/* | */node_modules/* | build/*) continue ;; esac
    [[ -f "$file" ]] && printf '%s\n' "$file"
  done
}

matches_prefixes() {
  local file="$1" prefix
  ((${#prefixes[@]} == 0)) && return 0
  for prefix in "${prefixes[@]}"; do
    [[ "$file" == "$prefix"* ]] && return 0
  done
  return 1
}

test_files=()
while IFS= read -r file; do
  if matches_prefixes "$file"; then test_files+=("$file"); fi
done < <(list_files '*_test.ts')

if ((${#prefixes[@]} > 0 && ${#test_files[@]} == 0)); then
  echo "tests/run.sh: no *_test.ts file matches ${prefixes[*]}" >&2
  exit 2
fi

# ---------------------------------------------------------------- counting

total_passed=0
total_failed=0
total_skipped=0
report=()

record() { # record LABEL PASSED FAILED SKIPPED
  total_passed=$((total_passed + $2))
  total_failed=$((total_failed + $3))
  total_skipped=$((total_skipped + $4))
  report+=("$(printf '%-14s %s passed, %s failed, %s skipped' "$1" "$2" "$3" "$4")")
}

strip_ansi() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }

# Parsers print "PASSED FAILED SKIPPED" from a log, or nothing if it has no
# summary; a fourth word "exit-status-expected" says a non-zero exit is no failure.
# Deno: "ok | 12 passed (3 steps) | 0 failed | 1 ignored (10ms)"; steps are not counted.
parse_deno() {
  local line passed failed ignored
  line="$(strip_ansi "$1" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n 1)"
  [[ -n "$line" ]] || return 0
  passed="$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$line")"
  failed="$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$line")"
  ignored="$(sed -nE 's/.*\| ([0-9]+) ignored.*/\1/p' <<<"$line")"
  echo "${passed:-0} ${failed:-0} ${ignored:-0}"
}

bun_count() { grep -E "^ *[0-9]+ $1\$" | tail -n 1 | tr -dc '0-9'; }

# Bun: " 4 pass", " 1 skip", " 1 todo", " 5 fail" (fail includes errors between tests).
parse_bun() {
  local text passed failed skip todo
  text="$(strip_ansi "$1")"
  if grep -qE 'matched 0 tests\.' <<<"$text"; then
    echo "0 0 0 exit-status-expected" # a --test-name-pattern that matched nothing exits 1
    return 0
  fi
  grep -qE '^Ran [0-9]+ tests? across' <<<"$text" || return 0
  passed="$(bun_count pass <<<"$text")"
  failed="$(bun_count fail <<<"$text")"
  skip="$(bun_count skip <<<"$text")"
  todo="$(bun_count todo <<<"$text")"
  echo "${passed:-0} ${failed:-0} $((${skip:-0} + ${todo:-0}))"
}

# run_logged LOG SECONDS CMD...: runs CMD with a time limit (cut to what is
# left of the total budget), output to the terminal and LOG.
run_logged() {
  local log="$1" limit="$2" left
  shift 2
  left=$((total_budget - SECONDS))
  if ((left < limit)); then limit=$((left > 10 ? left : 10)); fi
  if command -v timeout >/dev/null 2>&1; then
    timeout --kill-after=30 "$limit" "$@" </dev/null 2>&1 | tee "$log"
  else
    "$@" </dev/null 2>&1 | tee "$log"
  fi
  local rc="${PIPESTATUS[0]}"
  if ((rc == 124 || rc == 137)); then
    printf '\ntests/run.sh: timed out after %ss: %s\n' "$limit" "$*" | tee -a "$log"
  fi
  return "$rc"
}

# run_suite LABEL PARSER CMD... -- FILE...: one run over all files; if it ends
# without a summary (a module failed to load, a crash), each file again alone,
# and each file that still has no summary counts as 1 failed.
run_suite() {
  local label="$1" parser="$2"
  shift 2
  local cmd=() files=() log rc counts passed failed skipped file
  while [[ "$1" != "--" ]]; do
    cmd+=("$1")
    shift
  done
  shift
  files=("$@")
  log="$LOG_DIR/$label.log"
  run_logged "$log" "$runner_timeout" "${cmd[@]}" "${files[@]}"
  rc=$?
  counts="$($parser "$log")"
  if [[ -n "$counts" ]]; then
    local expected=""
    read -r passed failed skipped expected <<<"$counts"
    if ((rc != 0 && failed == 0)) && [[ -z "$expected" ]]; then
      echo "tests/run.sh: $label exited with $rc after a summary with no failure: counted as 1 failed"
      failed=1
    fi
    record "$label" "$passed" "$failed" "$skipped"
    return
  fi
  if ((${#files[@]} <= 1)); then
    echo "tests/run.sh: $label exited with $rc and no summary: counted as 1 failed"
    record "$label" 0 1 0
    return
  fi
  say "$label ended with no summary (exit $rc): running each file on its own"
  passed=0 failed=0 skipped=0
  local i=0
  for file in "${files[@]}"; do
    i=$((i + 1))
    log="$LOG_DIR/$label.$i.log"
    if ((SECONDS >= total_budget)); then
      echo "tests/run.sh: $label $file not run: the ${total_budget}s budget is spent: counted as 1 failed"
      failed=$((failed + 1))
      continue
    fi
    run_logged "$log" "$file_timeout" "${cmd[@]}" "$file"
    rc=$?
    counts="$($parser "$log")"
    local p f s expected=""
    if [[ -z "$counts" ]]; then
      echo "tests/run.sh: $label $file exited with $rc and no summary: counted as 1 failed"
      p=0 f=1 s=0
    else
      read -r p f s expected <<<"$counts"
      if ((rc != 0 && f == 0)) && [[ -z "$expected" ]]; then
        echo "tests/run.sh: $label $file exited with $rc after a summary with no failure: counted as 1 failed"
        f=1
      fi
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  done
  record "$label" "$passed" "$failed" "$skipped"
}

# run_gate LABEL CMD...: one gate, one test. Output is shown only on failure.
run_gate() {
  local label="$1"
  shift
  local log="$LOG_DIR/gate.${label// /_}.log"
  if [[ -z "$1" ]]; then
    echo "FAILED gate: $label (binary not found)"
    record "$label" 0 1 0
    return
  fi
  if run_logged "$log" "$runner_timeout" "$@" >/dev/null; then
    echo "ok gate: $label"
    record "$label" 1 0 0
  else
    strip_ansi "$log" | tail -n 60
    echo "FAILED gate: $label"
    record "$label" 0 1 0
  fi
}

# ---------------------------------------------------------------- the runs

say "vkernel tests: deno ${DENO:-missing}, bun ${BUN:-missing}, dprint ${DPRINT:-missing}"
echo "VKERNEL_PROPERTY_RUNS=$VKERNEL_PROPERTY_RUNS, ${#test_files[@]} test files${prefixes[*]:+ under ${prefixes[*]}}${name_filter:+, names matching $name_filter}"

if ((gates)); then
  say "gates"
  # Files typed with bun-types are checked on their own: bun-types redefines
  # globals (fetch, URL, node:fs), which would leak into every other file.
  ts_files=()
  bun_typed=()
  while IFS= read -r file; do
    if grep -q 'reference types="bun-types"' "$file"; then bun_typed+=("$file"); else ts_files+=("$file"); fi
  done < <(list_files '*.ts')
  run_gate "dprint check" "$DPRINT" check --list-different
  run_gate "deno lint" "$DENO" lint
  if ((${#ts_files[@]} > 0)); then
    run_gate "deno check" "$DENO" check "${ts_files[@]}"
  fi
  if ((${#bun_typed[@]} > 0)); then
    run_gate "deno check (bun-types)" "$DENO" check "${bun_typed[@]}"
  fi
fi

if ((run_deno)) && ((${#test_files[@]} > 0)); then
  say "deno test"
  if [[ -z "$DENO" ]]; then
    echo "tests/run.sh: deno not found (PATH, node_modules/.bin): counted as 1 failed"
    record "deno test" 0 1 0
  else
    deno_cmd=("$DENO" test -A --no-check)
    [[ -n "$name_filter" ]] && deno_cmd+=(--filter "$name_filter")
    run_suite "deno test" parse_deno "${deno_cmd[@]}" "${runner_args[@]}" -- "${test_files[@]}"
  fi
fi

if ((run_bun)) && ((${#test_files[@]} > 0)); then
  say "bun test"
  if [[ -z "$BUN" ]]; then
    if [[ "$require_bun" == 1 ]]; then
      echo "tests/run.sh: bun not found (PATH, node_modules/.bin) and VKERNEL_REQUIRE_BUN=1: counted as 1 failed"
      record "bun test" 0 1 0
    else
      echo "tests/run.sh: bun not found (PATH, node_modules/.bin): skipping the Bun run (counted as 1 skipped)"
      record "bun test" 0 0 1
    fi
  else
    bun_cmd=("$BUN" test --timeout "$bun_test_timeout_ms")
    [[ -n "$name_filter" ]] && bun_cmd+=(--test-name-pattern "$name_filter")
    # Bun takes an argument as a file path only when it starts with ./ or /.
    bun_files=()
    for file in "${test_files[@]}"; do bun_files+=("./$file"); done
    run_suite "bun test" parse_bun "${bun_cmd[@]}" "${runner_args[@]}" -- "${bun_files[@]}"
  fi
fi

say "summary"
for line in "${report[@]}"; do echo "  $line"; done
status=0
if ((total_failed > 0)); then status=1; fi
if ((total_passed + total_failed == 0)); then
  echo "tests/run.sh: no test ran"
  status=1
fi
if ((total_skipped > 0)); then
  echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
  echo "$total_passed passed, $total_failed failed"
fi
exit "$status"
