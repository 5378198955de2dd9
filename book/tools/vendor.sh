#!/usr/bin/env bash
# Fetch MathJax 3 from the npm registry into book/_static/vendor/mathjax, so the built book
# renders its maths with no CDN. The tarball's checksum is verified. Idempotent.
set -euo pipefail
version=3.2.2
sha256=1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09
dest="$(cd "$(dirname "$0")/.." && pwd)/_static/vendor/mathjax"
if [ -f "$dest/tex-chtml.js" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "vendor.sh: npm is needed to fetch MathJax (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mathjax@$version" >/dev/null)
echo "$sha256  $tmp/mathjax-$version.tgz" | sha256sum --check --quiet
tar -xzf "$tmp/mathjax-$version.tgz" -C "$tmp"
rm -rf "$dest" && mkdir -p "$dest"
# Everything tex-chtml.js loads on demand, without the 15 MB speech-rule engine.
for part in tex-chtml.js input output/chtml ui a11y adaptors; do
  mkdir -p "$dest/$(dirname "$part")"
  cp -r "$tmp/package/es5/$part" "$dest/$part"
done
echo "$version" > "$dest/VERSION"
echo "vendor.sh: MathJax $version in $dest"
