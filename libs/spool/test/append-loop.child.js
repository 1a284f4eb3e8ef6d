/**
 * Test child for file-spool.crash.spec.ts: opens a FileSpool and appends in a loop from several
 * concurrent writers until it is killed, printing `ack <writer> <from> <to>` to stdout after each
 * append has resolved. The parent kills it with SIGKILL and checks that every printed record
 * survived. Loads the TypeScript sources directly (transpile only), so no build is needed.
 *
 * argv: <directory> <round> <writers> <segmentBytes>
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};

// The sources import other libs through their @lib/<name> aliases: resolve them to libs/*/src.
const path = require('node:path');
const root = path.join(__dirname, '..', '..', '..');
require('tsconfig-paths').register({
  baseUrl: root,
  paths: require(path.join(root, 'tsconfig.json')).compilerOptions.paths,
});

const { FileSpool } = require('../src/file-spool.ts');

async function main() {
  const [directory, round, writers, segmentBytes] = process.argv.slice(2);
  const spool = await FileSpool.open({ directory, segmentBytes: Number(segmentBytes) });
  process.stdout.write(`open ${spool.depth()}\n`);
  const writer = async (w) => {
    for (let n = 0; ;) {
      const size = 1 + ((n * 7 + w) % 25);
      const records = [];
      for (let i = 0; i < size; i++) {
        // `check` repeats the id so that a record spliced from two writes would be noticed.
        const id = `${round}:${w}:${n + i}`;
        records.push({
          id,
          round: Number(round),
          writer: w,
          n: n + i,
          check: id.repeat(1 + ((n + i) % 5)),
        });
      }
      await spool.append(records);
      // Pipes to the parent are synchronous on Linux: a line is out before the next append.
      process.stdout.write(`ack ${w} ${n} ${n + size - 1}\n`);
      n += size;
    }
  };
  await Promise.all(Array.from({ length: Number(writers) }, (_, w) => writer(w)));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
