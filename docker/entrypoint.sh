#!/bin/sh
# Runs one app: the one named as the first argument, else $APP (set at build time).
# Any other command runs as given, e.g. `docker run <image> node -e '...'`.
set -e
[ $# -eq 0 ] && set -- "${APP:-ingest}"
case "$1" in
  ingest|aggregator|log-collector|pv-counter)
    app="$1"; shift
    # exec: node becomes PID 1 and receives SIGTERM itself, so the shutdown order runs.
    exec node -r ./scripts/register-paths.js "dist/apps/$app/src/main.js" "$@"
    ;;
esac
exec "$@"
