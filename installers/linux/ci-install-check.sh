#!/usr/bin/env bash
# CI check of the Linux package (.ci/run calls it after ./mvnw verify): build the .deb from the jars
# already built, install it as a user would (dpkg -i, then apt-get -f install for its dependencies),
# run the installed `laem --version` and a headless `laem inspect` of the shipped demo kit from
# another directory, and remove the package again. Needs root (or sudo) and apt; about a minute.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sudo=""; if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
fail() { echo "installer check FAILED: $*" >&2; exit 1; }
trap 'echo "installer check FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

# jpackage's .deb needs fakeroot and dpkg-deb
if ! command -v fakeroot >/dev/null; then
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fakeroot >/dev/null
fi
# uncompressed: dpkg-deb's default xz takes minutes on the ~400 MB of jars and runtime
DPKG_DEB_COMPRESSOR_TYPE=none "$root/installers/linux/package.sh" deb --no-build
deb="$(ls "$root"/target/installers/laem-workbench_*_amd64.deb)"
$sudo dpkg -i "$deb" || true   # missing dependencies leave it unconfigured; apt-get -f install adds them
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >/dev/null
status="$(dpkg-query -W -f='${Status}' laem-workbench 2>/dev/null || true)"
[ "$status" = "install ok installed" ] || fail "laem-workbench is '$status' after dpkg -i + apt-get -f install"

demo=/opt/laem-workbench/lib/app/resources/demo
cd /tmp
[ "$(command -v laem)" = /usr/bin/laem ] || fail "laem is not on the PATH as /usr/bin/laem ($(command -v laem || echo none))"
version="$(laem --version)"
echo "installed: $version"
[[ "$version" == "LAEM Workbench "* ]] || fail "laem --version printed '$version'"
out="$(laem inspect "$demo/adapters/mirror" --base "$demo/base" --json)" || fail "laem inspect of the demo kit exited $?"
grep -q '"r" : 8,' <<<"$out" || fail "laem inspect did not report the demo adapter's rank 8: $out"
laem inspect "$demo/base" >/dev/null || fail "laem inspect $demo/base exited $?"

$sudo dpkg -r laem-workbench >/dev/null
[ ! -e /usr/bin/laem ] || fail "/usr/bin/laem is still there after dpkg -r"
echo "installer check ok: $deb installs, runs from /tmp and removes cleanly"
