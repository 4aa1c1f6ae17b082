#!/usr/bin/env bash
# Copy the pinned npm packages Cairn serves (Leaflet; Swagger UI for /v1/docs) and tests
# with (axe-core) into the tree, with their licences and a SHA256SUMS file the tests
# check. `--check` (CI) rebuilds into a scratch directory and fails if the committed files
# differ from the lockfile's.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --silent
out_static=../server/web/static/vendor
out_tests=../tests/browser/vendor
if [ "${1:-}" = "--check" ]; then
    scratch=$(mktemp -d)
    out_static=$scratch/static
    out_tests=$scratch/tests
fi
mkdir -p "$out_static/leaflet/images" "$out_static/swagger-ui" "$out_tests"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out_static/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out_static/leaflet/images/"
cp node_modules/leaflet/LICENSE "$out_static/leaflet/LICENSE"
# Swagger UI's self-contained bundle and stylesheet (the page and its start-up script are
# Cairn's own: server/web/templates/api_docs.html, server/web/static/api-docs.js).
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
    cp "node_modules/swagger-ui-dist/$f" "$out_static/swagger-ui/$f"
done
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$out_tests/"
(cd "$out_static" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
(cd "$out_tests" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
if [ "${1:-}" = "--check" ]; then
    diff -r "$out_static" ../server/web/static/vendor
    diff -r "$out_tests" ../tests/browser/vendor
    echo "vendored files match web/package-lock.json"
fi
