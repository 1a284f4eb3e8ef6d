// Docker HEALTHCHECK: exit 0 when GET /health/ready answers 2xx on the app's port.
// The port is $PORT, else the docs/contract.md default of the app PID 1 runs (it may have been
// chosen by the container's command rather than by $APP).
'use strict';
const fs = require('node:fs');

/** docs/contract.md default port of each app. */
const DEFAULT_PORTS = { ingest: 3000, aggregator: 3001, 'log-collector': 3002, 'pv-counter': 3003 };

/** The app named in PID 1's command line (`dist/apps/<app>/src/main.js`), else $APP. */
function runningApp() {
  try {
    for (const arg of fs.readFileSync('/proc/1/cmdline', 'utf8').split('\0')) {
      const m = /^dist\/apps\/([^/]+)\/src\/main\.js$/.exec(arg);
      if (m) return m[1];
    }
  } catch {
    // no /proc (not Linux): fall back to $APP
  }
  return process.env.APP;
}

function check() {
  const port = process.env.PORT || DEFAULT_PORTS[runningApp()] || 3000;
  fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2500) })
    .then((res) => process.exit(res.ok ? 0 : 1))
    .catch(() => process.exit(1));
}

module.exports = { DEFAULT_PORTS };

if (require.main === module) check();
