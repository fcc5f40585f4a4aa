#!/usr/bin/env bash
# Packages LAEM Workbench for macOS with jpackage (JDK 25): a .dmg with LAEM Workbench.app.
#   installers/macos/package.sh [--no-build]
# UNTESTED: written with the Linux script's options (installers/linux/package.sh) but never run
# here (no Mac). Run on a Mac with a JDK 25 for macOS; the jars of app/target/lib must be the macOS
# ones (JavaFX and the native libraries are per platform), so build on the Mac itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build=1
for a in "$@"; do case "$a" in --no-build) build=0 ;; *) echo "usage: $0 [--no-build]" >&2; exit 2 ;; esac; done

jdk="${JAVA_HOME:-$(/usr/libexec/java_home -v 25 2>/dev/null || true)}"
[ -x "$jdk/bin/jpackage" ] || { echo "package.sh: no JDK 25 with jpackage found; set JAVA_HOME to one" >&2; exit 1; }
export JAVA_HOME="$jdk"

version="$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$root/pom.xml" | head -n1)"
app_version="${version%-SNAPSHOT}"
if [ "$build" = 1 ]; then (cd "$root" && ./mvnw -q -DskipTests package); fi

work="$root/target/jpackage"
rm -rf "$work" && mkdir -p "$work/input" "$root/target/installers"
cp "$root/app/target/laem-app-$version.jar" "$root/app/target/lib/"*.jar "$work/input/"
cp -r "$root/resources" "$work/input/resources"
icon=()
if [ -f "$root/resources/icons/laem.icns" ]; then icon=(--icon "$root/resources/icons/laem.icns"); fi

# The same launcher options as on Linux: JVM flags, DJL offline without telemetry, laem.home = the app folder.
"$JAVA_HOME/bin/jpackage" --type dmg --name "LAEM Workbench" --app-version "$app_version" --vendor "LAEM Workbench" \
  --description "Layer-wise adaptive merging of LoRA adapters: workbench and command line" \
  --input "$work/input" --main-jar "laem-app-$version.jar" --main-class io.laem.app.Main \
  --java-options "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector" \
  --java-options "-Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dlaem.home=\$APPDIR" \
  --mac-package-identifier io.laem.workbench --mac-app-category public.app-category.developer-tools \
  --dest "$root/target/installers" "${icon[@]}"
ls -l "$root/target/installers"
# The command line: "/Applications/LAEM Workbench.app/Contents/MacOS/LAEM Workbench" inspect DIR
# (link it as /usr/local/bin/laem to have `laem` on the PATH).
