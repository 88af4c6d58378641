# shellcheck shell=bash
# The self-tests' way of checking (test/engine/selftest.sh, test/k8s/selftest.sh, test/k8s/cluster-selftest.sh):
# `check DESCRIPTION CMD...` prints one line per check (ok, with CMD's last line of output, or FAIL with its last
# lines), `summary` prints "N passed, N failed" and fails if any check did. The rest are predicates for CMD.
passed=0
failed=0

# check DESCRIPTION CMD...
check() {
  local description=$1 output last
  shift
  if output=$("$@" 2>&1); then
    passed=$((passed + 1))
    last=$(tail -n 1 <<<"$output")
    printf 'ok   - %s%s\n' "$description" "${last:+: $last}"
  else
    failed=$((failed + 1))
    printf 'FAIL - %s\n' "$description"
    [[ -z $output ]] || tail -n 25 <<<"$output" | sed 's/^/       /'
  fi
}

summary() {
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0))
}

# expect WANTED CMD...: CMD succeeds and prints exactly WANTED.
expect() {
  local wanted=$1 got
  shift
  got=$("$@") || return 1
  [[ $got == "$wanted" ]] || { printf 'expected: %s\ngot:      %s\n' "$wanted" "$got"; return 1; }
}

# outputs PATTERN CMD...: CMD succeeds and its output (stdout and stderr) matches PATTERN (grep -E).
outputs() {
  local pattern=$1 output
  shift
  output=$("$@" 2>&1) || { printf 'failed:\n%s\n' "$output"; return 1; }
  grep -Eq "$pattern" <<<"$output" || { printf 'output without /%s/:\n%s\n' "$pattern" "$output"; return 1; }
}

# refused PATTERN CMD...: CMD fails and its output matches PATTERN (grep -E).
refused() {
  local pattern=$1 output
  shift
  if output=$("$@" 2>&1); then
    printf 'unexpectedly succeeded:\n%s\n' "$output"
    return 1
  fi
  grep -Eq "$pattern" <<<"$output" || { printf 'failed, but without /%s/:\n%s\n' "$pattern" "$output"; return 1; }
}

# lines_all N PATTERN CMD...: CMD succeeds with exactly N non-empty lines, each matching PATTERN.
lines_all() {
  local n=$1 pattern=$2 output count
  shift 2
  output=$("$@" 2>&1) || { printf 'failed:\n%s\n' "$output"; return 1; }
  count=$(grep -c . <<<"$output")
  [[ $count -eq $n ]] || { printf 'expected %s lines, got %s:\n%s\n' "$n" "$count" "$output"; return 1; }
  ! grep -Evq "$pattern" <<<"$output" || { printf 'a line without /%s/:\n%s\n' "$pattern" "$output"; return 1; }
}

# eventually SECONDS CMD...: CMD (often one of the predicates above) succeeds within SECONDS, polled;
# otherwise its last output.
eventually() {
  local deadline=$((SECONDS + $1)) last
  shift
  while :; do
    last=$("$@" 2>&1) && return 0
    ((SECONDS < deadline)) || break
    sleep 0.3
  done
  printf 'not within the time allowed:\n%s\n' "$last"
  return 1
}
