import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');
const CLI = 'dist/apps/ingest/src/spool-drain.js';
/** Variables of the outer environment that would change what the drain does. */
const OUTER_VARIABLES = ['BROKER', 'KAFKA_BROKERS', 'RABBITMQ_URL', 'DATA_DIR', 'LOG_LEVEL'];

/** How the drain command ended. */
export interface DrainExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `npm run spool:drain` command with `env` and resolves when it exits. */
export function runSpoolDrain(env: Record<string, string>, timeoutMs = 90_000): Promise<DrainExit> {
  if (!existsSync(join(ROOT, CLI))) {
    return Promise.reject(new Error(`${CLI} is missing: run \`npm run build\` first`));
  }
  const base = { ...process.env };
  for (const name of OUTER_VARIABLES) delete base[name];
  const child = spawn(process.execPath, ['-r', './scripts/register-paths.js', CLI], {
    cwd: ROOT,
    env: { ...base, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`spool:drain did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
