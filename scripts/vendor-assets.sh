#!/bin/sh
# Re-fetch the browser assets Renkei serves itself (no CDN: the console and GraphiQL must work on
# a closed network such as LGWAN) with `npm pack` at pinned versions, copy only the files served
# and their licences, and print their sha256 for static/vendor/README.md.
# Usage: scripts/vendor-assets.sh   (needs npm and network access to the npm registry)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENDOR="$ROOT/graphql/renkei/graphql/console/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

DESIGN_TOKENS=1.1.9
HTMX=2.0.4
GRAPHIQL=3.8.3
REACT=18.3.1

unpack() {  # unpack <package@version> <folder>: the package's files under $WORK/<folder>
    (cd "$WORK" && npm pack --silent "$1" >/dev/null)
    mkdir -p "$WORK/$2"
    tar -xzf "$WORK"/"$(echo "$1" | sed -e 's/^@//' -e 's/\//-/' -e 's/@/-/')".tgz -C "$WORK/$2" --strip-components=1
}

take() {  # take <folder> <vendor subfolder> <file>...: copy files as they are
    from=$1; to="$VENDOR/$2"; shift 2
    mkdir -p "$to"
    for file in "$@"; do cp "$WORK/$from/$file" "$to/$(basename "$file")"; done
}

unpack "@digital-go-jp/design-tokens@$DESIGN_TOKENS" design-tokens
take design-tokens design-tokens dist/tokens.css LICENSE
unpack "htmx.org@$HTMX" htmx
take htmx htmx dist/htmx.min.js LICENSE
unpack "graphiql@$GRAPHIQL" graphiql
take graphiql graphiql graphiql.min.js graphiql.min.css LICENSE
unpack "react@$REACT" react
take react react umd/react.production.min.js LICENSE
unpack "react-dom@$REACT" react-dom
take react-dom react-dom umd/react-dom.production.min.js LICENSE

cd "$VENDOR" && find . -type f ! -name README.md | sort | xargs sha256sum
