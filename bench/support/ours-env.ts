/**
 * Settings for ours' app processes from `BENCH_OURS_ENV` ("NAME=value,NAME=value"). The app
 * harness passes no app variable of the shell on (tests stay hermetic), so a setting meant for the
 * app under measurement is named here; an entry without `=` or with a lower-case name throws.
 */
export function oursEnv(spec = process.env.BENCH_OURS_ENV ?? ''): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of spec.split(',').filter((part) => part.trim() !== '')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*?)\s*$/.exec(entry);
    if (!match) throw new Error(`BENCH_OURS_ENV: "${entry}" is not NAME=value`);
    env[match[1]] = match[2];
  }
  return env;
}
