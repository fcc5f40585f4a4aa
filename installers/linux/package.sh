#!/usr/bin/env bash
# Packages LAEM Workbench for Linux with jpackage (JDK 25): an app image and a .deb.
#   installers/linux/package.sh [app-image|deb|all]     (default: all)
# Output: target/installers/. Needs a JDK 25 (JAVA_HOME, else /usr/lib/jvm/*25*); the .deb also
# needs dpkg-deb and fakeroot. Not run in CI (see installers/README.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/installers/linux"
types="${1:-all}"
case "$types" in app-image|deb) ;; all) types="app-image deb" ;; *) echo "usage: $0 [app-image|deb|all]" >&2; exit 2 ;; esac

jdk="${JAVA_HOME:-}"
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/jpackage" ] || ! "$jdk/bin/java" -version 2>&1 | grep -q '"25'; then
  jdk="$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -n1 || true)"
fi
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/jpackage" ]; then
  echo "package.sh: no JDK 25 with jpackage found; set JAVA_HOME to one" >&2
  exit 1
fi
export JAVA_HOME="$jdk"

version="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$root/pom.xml" | head -n1)"
app_version="${version%-SNAPSHOT}"
(cd "$root" && ./mvnw -q -DskipTests package)

# One flat input folder: the app jar, its runtime jars, and the resources (demo kit) under laem.home.
work="$root/target/jpackage"
rm -rf "$work" && mkdir -p "$work/input" "$work/resources" "$root/target/installers"
cp "$root/app/target/laem-app-$version.jar" "$root/app/target/lib/"*.jar "$work/input/"
if [ -d "$root/resources" ]; then cp -r "$root/resources" "$work/input/resources"; fi
# Our desktop entry replaces jpackage's default one (same file name as the launcher).
cp "$here/laem.desktop" "$work/resources/laem.desktop"
icon=()
if [ -f "$root/resources/icons/laem.png" ]; then icon=(--icon "$root/resources/icons/laem.png"); fi

# The launcher's JVM flags; DJL offline and without telemetry (system properties work as the env vars do).
java_opts=(--java-options "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector"
           --java-options "-Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dlaem.home=\$APPDIR")

for t in $types; do
  args=(--type "$t" --name laem --app-version "$app_version" --vendor "LAEM Workbench"
        --description "Layer-wise adaptive merging of LoRA adapters: workbench and command line"
        --input "$work/input" --main-jar "laem-app-$version.jar" --main-class io.laem.app.Main
        --dest "$root/target/installers" "${java_opts[@]}" "${icon[@]}")
  if [ "$t" = deb ]; then
    args+=(--resource-dir "$work/resources" --linux-package-name laem-workbench --linux-package-deps libgtk-3-0
           --linux-shortcut --linux-menu-group "Development" --linux-app-category science
           --linux-deb-maintainer "laem@localhost")
    rm -f "$root/target/installers/"laem-workbench_*.deb
  else
    rm -rf "$root/target/installers/laem"
  fi
  "$JAVA_HOME/bin/jpackage" "${args[@]}"
done
ls -l "$root/target/installers"
