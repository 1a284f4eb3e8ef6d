/** Runs bench/support/expert-process.ts as a child process (as test/support/app-process runs an app). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Exposure } from './expert-exposure';

/** A running expert consumer process. */
export interface ExpertChild {
  readonly pid: number;
  /** SIGKILL: whatever it had not committed is lost; resolves once it has exited. */
  kill(): Promise<void>;
  /**
   * SIGTERM and a graceful exit; resolves with its exposure to counting twice, rejects with its
   * output if it does not exit within `timeoutMs`.
   */
  stop(timeoutMs?: number): Promise<Exposure>;
}

/** Where an expert process reads and writes. */
export interface ExpertChildOptions {
  readonly kind: 'page-views' | 'candles';
  readonly brokers: string;
  readonly topic: string;
  readonly group: string;
  readonly table: string;
  readonly databaseUrl: string;
}

/**
 * Spawns the compiled expert process and resolves once it joined its group. APP_CPU_PROF_DIR
 * makes it write a V8 CPU profile there on a graceful exit, as the apps do.
 */
export async function startExpertChild(
  options: ExpertChildOptions,
  withinMs = 60_000,
): Promise<ExpertChild> {
  const profile = process.env.APP_CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.APP_CPU_PROF_DIR}`]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, join(__dirname, 'expert-process.js'), options.kind],
    {
      env: {
        ...process.env,
        EXPERT_BROKERS: options.brokers,
        EXPERT_TOPIC: options.topic,
        EXPERT_GROUP: options.group,
        EXPERT_TABLE: options.table,
        DATABASE_URL: options.databaseUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`expert ${options.kind} did not join within ${withinMs} ms\n${output}`)),
      withinMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('joined')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`expert ${options.kind} exited (${code})\n${output}`));
    });
  });
  try {
    await joined;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    pid: child.pid!,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>(
        (resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)),
      );
      const result = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (result === 'late') {
        child.kill('SIGKILL');
        throw new Error(`expert ${options.kind} did not stop within ${timeoutMs} ms\n${output}`);
      }
      const exposure = /^exposure (.*)$/m.exec(output);
      if (result.code !== 0 || !exposure)
        throw new Error(`expert ${options.kind} exited with ${result.code}\n${output}`);
      return JSON.parse(exposure[1]) as Exposure;
    },
  };
}
