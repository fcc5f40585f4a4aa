#!/usr/bin/env bash
# Packages LAEM Workbench for Linux with jpackage (JDK 25): an app image and a .deb.
#   installers/linux/package.sh [app-image|deb|all] [--no-build]     (default: all, building first)
# Output: target/installers/. Needs a JDK 25 (JAVA_HOME, else /usr/lib/jvm/*25*); the .deb also
# needs dpkg-deb and fakeroot. --no-build packages the jars already in app/target (CI, after
# ./mvnw verify). dpkg-deb's compression: DPKG_DEB_COMPRESSOR_TYPE (xz by default; CI uses none).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/installers/linux"
types=all build=1
for a in "$@"; do
  case "$a" in
    app-image|deb) types="$a" ;;
    all) types=all ;;
    --no-build) build=0 ;;
    *) echo "usage: $0 [app-image|deb|all] [--no-build]" >&2; exit 2 ;;
  esac
done
if [ "$types" = all ]; then types="app-image deb"; fi

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
if [ "$build" = 1 ]; then (cd "$root" && ./mvnw -q -DskipTests package); fi
if [ ! -f "$root/app/target/laem-app-$version.jar" ]; then
  echo "package.sh: app/target/laem-app-$version.jar is missing; build first (./mvnw -DskipTests package)" >&2
  exit 1
fi

# One flat input folder: the app jar, its runtime jars, and the resources (demo kit) under laem.home.
work="$root/target/jpackage"
rm -rf "$work" && mkdir -p "$work/input" "$work/resources" "$root/target/installers"
cp "$root/app/target/laem-app-$version.jar" "$root/app/target/lib/"*.jar "$work/input/"
if [ -d "$root/resources" ]; then cp -r "$root/resources" "$work/input/resources"; fi
# Our desktop entry replaces jpackage's default one (same file name as the launcher); our postinst and
# prerm are jpackage's templates plus the /usr/bin/laem link.
cp "$here/laem.desktop" "$here/postinst" "$here/prerm" "$work/resources/"
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
