#!/usr/bin/env node
/**
 * `npm run bench -- <name> [args…]`: runs the compiled benchmark dist/bench/<name>.bench.js (built
 * by `npm run build` from bench/<name>.bench.ts) by calling its exported `main(args)`. A benchmark
 * prints its figures and, as its last line, `<name>: ours=<x> baseline=<y> ratio=<x/y>`.
 * Adding one needs no change here: write bench/<name>.bench.ts exporting `main`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const DIST = path.join(__dirname, '..', 'dist', 'bench');

function available() {
  if (!fs.existsSync(DIST)) return [];
  return fs
    .readdirSync(DIST)
    .filter((f) => f.endsWith('.bench.js'))
    .map((f) => f.slice(0, -'.bench.js'.length))
    .sort();
}

async function run(argv) {
  const [name, ...args] = argv;
  if (!name || !/^[a-z0-9-]+$/.test(name)) {
    console.error(
      `usage: npm run bench -- <name>   (available: ${available().join(', ') || 'none built'})`,
    );
    return 2;
  }
  const file = path.join(DIST, `${name}.bench.js`);
  if (!fs.existsSync(file)) {
    console.error(
      `no benchmark "${name}" in ${DIST} (available: ${available().join(', ') || 'none'}); did the build run?`,
    );
    return 2;
  }
  const bench = require(file);
  if (typeof bench.main !== 'function') {
    console.error(`${file} does not export main()`);
    return 2;
  }
  await bench.main(args);
  return 0;
}

run(process.argv.slice(2)).then(
  // Benchmarks may leave client sockets or timers behind; the figures are printed, so exit.
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
