#!/usr/bin/env bash
# Copy the front-end files the app serves from node_modules/ into app/static/vendor/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=app/static/vendor
mkdir -p "$dest/swagger-ui"
for f in swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css favicon-32x32.png LICENSE; do
  cp node_modules/swagger-ui-dist/$f "$dest/swagger-ui/"
done
