/**
 * BENCH_BEFORE=<git ref>: the code of an earlier commit, built in a git worktree of its own, so
 * that a benchmark runs that build's app as an extra contestant `before` in the same run as ours.
 */
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository this benchmark was built from (dist/bench/support → the root). */
export const REPOSITORY_ROOT = join(__dirname, '..', '..', '..');

/** An earlier commit checked out and built next to the repository. */
export interface BeforeBuild {
  /** The ref as given, e.g. `be00477`. */
  readonly ref: string;
  /** Its commit, abbreviated. */
  readonly commit: string;
  /** The worktree: its apps run from here like ours from the repository root. */
  readonly root: string;
  /** Removes the worktree and its directory; idempotent. */
  remove(): Promise<void>;
}

/** The ref of BENCH_BEFORE, or undefined when unset. */
export function benchBeforeRef(): string | undefined {
  return process.env.BENCH_BEFORE?.trim() || undefined;
}

/**
 * Checks `ref` out in a git worktree under a temp dir, links the repository's node_modules into it
 * and builds it with its own tsconfig.build.json (and its asset copy, where it has one). The
 * worktree is removed again when the build fails, at `remove()`, or when the process is
 * interrupted (SIGINT, SIGTERM) in between.
 */
export async function prepareBefore(
  ref: string,
  log: (line: string) => void = console.log,
): Promise<BeforeBuild> {
  const git = (...args: string[]) => run('git', args, { cwd: REPOSITORY_ROOT });
  const commit = (
    await git('rev-parse', '--verify', '--short', `${ref}^{commit}`).catch(() => {
      throw new Error(`BENCH_BEFORE=${ref} is not a commit of this repository`);
    })
  ).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'ep-bench-before-'));
  const root = join(dir, 'worktree');
  let removed = false;
  /** The git or tsc process at work in the worktree, stopped before the worktree is removed. */
  let working: ChildProcess | undefined;
  const inWorktree = (command: string, args: string[]) => {
    const started = run(command, args, { cwd: root });
    working = started.child;
    return started.finally(() => (working = undefined));
  };
  // Synchronous, so that a signal handler can run it to the end.
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    working?.kill('SIGKILL');
    // The link first: nothing may ever follow it into the repository's node_modules.
    rmSync(join(root, 'node_modules'), { force: true });
    try {
      execFileSync('git', ['worktree', 'remove', '--force', root], {
        cwd: REPOSITORY_ROOT,
        stdio: 'ignore',
      });
    } catch {
      // Not added (yet): removing the directory and pruning is all there is to do.
    }
    // A build killed just now may still write a file or two while it dies.
    for (let attempt = 0; attempt < 5 && existsSync(dir); attempt++) {
      if (attempt > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      rmSync(dir, { recursive: true, force: true });
    }
    execFileSync('git', ['worktree', 'prune'], { cwd: REPOSITORY_ROOT, stdio: 'ignore' });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const started = Date.now();
    await git('worktree', 'add', '--detach', root, commit);
    await symlink(join(REPOSITORY_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    const tsc = join(REPOSITORY_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await inWorktree(process.execPath, [tsc, '-p', 'tsconfig.build.json']).catch(
      (error: { stdout?: string }) => {
        throw new Error(`building ${ref} (${commit}) failed:\n${error.stdout ?? String(error)}`);
      },
    );
    if (existsSync(join(root, 'scripts', 'copy-assets.js')))
      await inWorktree(process.execPath, ['scripts/copy-assets.js']);
    log(
      `before: ${ref} (${commit}) built in ${((Date.now() - started) / 1000).toFixed(1)} s in ${root}`,
    );
  } catch (error) {
    remove();
    throw error;
  }
  return { ref, commit, root, remove: async () => remove() };
}
