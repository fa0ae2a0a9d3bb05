#!/usr/bin/env bash
# Copy the front-end files the app serves from node_modules/ into app/static/vendor/ (git-ignored).
# Nothing is loaded from a CDN at run time: DSFR, Leaflet and Swagger UI are served by the app.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=app/static/vendor

# Swagger UI (the API's interactive documentation, /api/docs)
mkdir -p "$dest/swagger-ui"
for f in swagger-ui-bundle.js swagger-ui-standalone-preset.js swagger-ui.css favicon-32x32.png LICENSE; do
  cp node_modules/swagger-ui-dist/$f "$dest/swagger-ui/"
done

# DSFR, the État's design system: CSS (with its print rules), JS, fonts, favicons, icon utility + its SVGs
dsfr=node_modules/@gouvfr/dsfr/dist
rm -rf "$dest/dsfr"
mkdir -p "$dest/dsfr/utility/icons"
cp "$dsfr"/dsfr.min.css "$dsfr"/dsfr.module.min.js "$dsfr"/dsfr.nomodule.min.js "$dest/dsfr/"
cp -r "$dsfr/fonts" "$dsfr/favicon" "$dsfr/icons" "$dest/dsfr/"
cp "$dsfr/utility/icons/icons.min.css" "$dest/dsfr/utility/icons/"
cp node_modules/@gouvfr/dsfr/LICENSE.md "$dest/dsfr/"

# Leaflet (maps; the base layer is drawn from our own outlines, no tile server needed)
rm -rf "$dest/leaflet"
mkdir -p "$dest/leaflet"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$dest/leaflet/"
cp -r node_modules/leaflet/dist/images "$dest/leaflet/"
cp node_modules/leaflet/LICENSE "$dest/leaflet/"
