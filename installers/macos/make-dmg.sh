#!/usr/bin/env bash
# Wrap Riddlewire.app in a compressed dmg with an Applications shortcut. Usage: make-dmg.sh PATH.app
set -euo pipefail
app=${1:?path to Riddlewire.app}
version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
out=build/installer/Riddlewire-$version-macos.dmg
hdiutil create -volname "Riddlewire" -srcfolder "$staging" -ov -format UDZO "$out"
rm -rf "$staging"
echo "$out"
