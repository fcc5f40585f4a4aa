# Packages LAEM Workbench for Windows with jpackage (JDK 25): an .msi installer.
#   powershell -ExecutionPolicy Bypass -File installers\windows\package.ps1 [-NoBuild]
# UNTESTED: written with the Linux script's options (installers/linux/package.sh) but never run
# here (no Windows). Needs a JDK 25 for Windows (JAVA_HOME) and the WiX Toolset (jpackage builds the
# .msi with it); build on Windows itself, since app\target\lib must hold the Windows native jars.
param([switch]$NoBuild)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path "$PSScriptRoot\..\..").Path
if (-not $env:JAVA_HOME -or -not (Test-Path "$env:JAVA_HOME\bin\jpackage.exe")) {
  Write-Error "package.ps1: no JDK 25 with jpackage found; set JAVA_HOME to one"; exit 1
}
$version = ([xml](Get-Content "$root\pom.xml")).project.version
$appVersion = $version -replace '-SNAPSHOT$', ''
if (-not $NoBuild) { Push-Location $root; & .\mvnw.cmd -q -DskipTests package; if ($LASTEXITCODE) { exit 1 }; Pop-Location }

$work = "$root\target\jpackage"
if (Test-Path $work) { Remove-Item -Recurse -Force $work }
New-Item -ItemType Directory -Force "$work\input", "$root\target\installers" | Out-Null
Copy-Item "$root\app\target\laem-app-$version.jar", "$root\app\target\lib\*.jar" "$work\input\"
Copy-Item -Recurse "$root\resources" "$work\input\resources"
$icon = @(); if (Test-Path "$root\resources\icons\laem.ico") { $icon = @('--icon', "$root\resources\icons\laem.ico") }

# The same launcher options as on Linux. --win-console gives the command line its output in a terminal;
# --win-dir-chooser/--win-menu/--win-shortcut as a desktop install expects.
& "$env:JAVA_HOME\bin\jpackage.exe" --type msi --name laem --app-version $appVersion --vendor 'LAEM Workbench' `
  --description 'Layer-wise adaptive merging of LoRA adapters: workbench and command line' `
  --input "$work\input" --main-jar "laem-app-$version.jar" --main-class io.laem.app.Main `
  --java-options '--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector' `
  --java-options '-Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Dlaem.home=$APPDIR' `
  --win-console --win-dir-chooser --win-menu --win-menu-group 'LAEM Workbench' --win-shortcut `
  --win-upgrade-uuid 5b0e8a4e-7f0c-4d6f-9a51-3c2f1d7e6a10 `
  --dest "$root\target\installers" @icon
if ($LASTEXITCODE) { exit 1 }
Get-ChildItem "$root\target\installers"
# The command line: "C:\Program Files\laem\laem.exe" inspect DIR (add that folder to PATH).
