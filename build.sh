#!/usr/bin/env bash
# One entry point for newcomers and CI.
#   ./build.sh sample   runs the console sample (every plane, embedded defaults); arguments after it go to the sample
#   ./build.sh quickstart  runs the QuickStart sample, the smallest host
#   ./build.sh sample-redis  runs the RedisHost sample against a throwaway redis-server
#   ./build.sh test     installs what the tests need (if missing), then runs every test project
#   ./build.sh reliability [--long]  runs the reliability and security suite alone (--long: the deeper budgets)
#   ./build.sh bench    runs the benchmarks (Release, alone on the machine)
#   ./build.sh api      refreshes every package's PublicAPI.Unshipped.txt after a deliberate public API change
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests need; installed when missing (root, or sudo).
APT_PACKAGES=(redis-server chromium)  # the Redis provider's tests start a real redis-server, the console page's tests drive chromium; they never skip

need_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required: https://dotnet.microsoft.com/download" >&2
    exit 1
  fi
}

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing test prerequisites: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Sums the TRX files of one run: prints "N passed, N failed, N skipped".
summarize() {
  local dir=$1 passed=0 failed=0 skipped=0 total=0 files=0
  for trx in "$dir"/*.trx; do
    [ -f "$trx" ] || continue
    files=$((files + 1))
    local counters
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
    # xUnit's TRX leaves skipped tests out of "executed" (its notExecuted stays 0).
    skipped=$((skipped + $(get total) - $(get executed)))
    total=$((total + $(get total)))
  done
  echo "$files test projects reported" >&2
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$files" -gt 0 ] && [ "$failed" -eq 0 ] && [ "$total" -gt 0 ]
}

# Prints the reliability suite's summary table from the lines its tests recorded (ReliabilitySuite.Record).
reliability_table() {
  local file=$1
  [ -f "$file" ] || return 0
  echo
  echo "Reliability and security suite"
  printf '%-22s %-44s %12s %10s\n' area measure count violations
  sed -E 's/.*"Area":"([^"]*)","Measure":"([^"]*)","Count":([0-9]+),"Violations":([0-9]+).*/\1\t\2\t\3\t\4/' "$file" |
    awk -F'\t' '{ key=$1 "\t" $2; if (!(key in c)) order[n++]=key; c[key]+=$3; v[key]+=$4 }
      END { for (i=0;i<n;i++) { split(order[i], k, "\t"); printf "%-22s %-44s %12d %10d\n", k[1], k[2], c[order[i]], v[order[i]]; tv+=v[order[i]] }
            printf "violations found: %d\n\n", tv }'
}

cmd=${1:-test}
case "$cmd" in
  sample)
    need_dotnet
    dotnet run --project samples/Symphainy.Samples.Console -c Release -- "${@:2}"
    ;;
  quickstart)
    need_dotnet
    dotnet run --project samples/QuickStart -c Release
    ;;
  sample-redis)
    need_dotnet
    samples/RedisHost/run.sh
    ;;
  test)
    need_dotnet
    install_apt_packages
    results="$PWD/TestResults"
    rm -rf "$results"
    export SYMPHAINY_RELIABILITY_SUMMARY="$results/reliability-summary.jsonl"
    status=0
    dotnet build Symphainy.sln -c Release -m:1 -nologo -clp:ErrorsOnly || exit 1
    # One project at a time: the crash and durability tests want the machine's cores to themselves,
    # and each project gets its own TRX file to sum.
    for project in $(find tests -name '*.Tests.csproj' | sort); do
      name=$(basename "$project" .csproj)
      echo "== $name"
      dotnet test "$project" -c Release --no-build --nologo \
        --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
        --results-directory "$results" || status=$?
    done
    reliability_table "$SYMPHAINY_RELIABILITY_SUMMARY"
    summarize "$results" || status=1
    exit $status
    ;;
  reliability)
    need_dotnet
    install_apt_packages
    [ "${2:-}" = "--long" ] && export SYMPHAINY_RELIABILITY_LONG=1
    results="$PWD/TestResults/reliability"
    rm -rf "$results"
    export SYMPHAINY_RELIABILITY_SUMMARY="$results/reliability-summary.jsonl"
    status=0
    dotnet build tests/Symphainy.Reliability.Tests -c Release -nologo -clp:ErrorsOnly || exit 1
    dotnet test tests/Symphainy.Reliability.Tests -c Release --no-build --nologo \
      --logger "trx;LogFileName=Symphainy.Reliability.Tests.trx" --logger "console;verbosity=minimal" \
      --results-directory "$results" || status=$?
    reliability_table "$SYMPHAINY_RELIABILITY_SUMMARY"
    summarize "$results" || status=1
    exit $status
    ;;
  bench)
    need_dotnet
    shift
    dotnet run --project benchmarks/Symphainy.Benchmarks -c Release -- "$@"
    ;;
  api)
    need_dotnet
    # Each package's PublicAPI.Unshipped.txt is listed anew by the analyzer's own code fix (RS0016): what is public
    # now and not in PublicAPI.Shipped.txt. Starting from an empty list drops members that are gone, which the
    # fix alone leaves behind; *REMOVED* lines (shipped members taken out on purpose) are kept. Shipped.txt is
    # left alone: a shipped member that is gone without a *REMOVED* line still fails the build below (RS0017).
    for project in $(find src -name '*.csproj' | sort); do
      dir=$(dirname "$project")
      echo "== $(basename "$project" .csproj)"
      [ -f "$dir/PublicAPI.Shipped.txt" ] || echo '#nullable enable' > "$dir/PublicAPI.Shipped.txt"
      removed=$(grep '^\*REMOVED\*' "$dir/PublicAPI.Unshipped.txt" 2>/dev/null || true)
      { echo '#nullable enable'; [ -z "$removed" ] || echo "$removed"; } > "$dir/PublicAPI.Unshipped.txt"
      dotnet format analyzers "$project" --diagnostics RS0016 --severity warn
    done
    for project in $(find src -name '*.csproj' | sort); do
      dotnet build "$project" -c Release -m:1 -nologo -clp:ErrorsOnly || exit 1
    done
    git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt' || true
    echo "Review the diff: every line in it is a change to what the packages promise."
    ;;
  *)
    echo "usage: ./build.sh [sample|quickstart|sample-redis|test|reliability [--long]|bench|api]" >&2
    exit 2
    ;;
esac
