/** How often the console pushes the apps' status. */
export const CONSOLE_PUSH_INTERVAL_MS = 2_000;
/** How long a session token opens `/console/events` (and keeps an opened stream). */
export const CONSOLE_SESSION_TTL_MS = 15 * 60_000;
/** How long the console waits for one app's answer. */
export const CONSOLE_UPSTREAM_TIMEOUT_MS = 5_000;
