import { createLog, type Log, type LogFormat } from "./events.ts";

export type { Log } from "./events.ts";

/** How the migrator's log lines write durations. */
export const ms = (value: number) => `${Math.round(value)} ms`;
export const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

/**
 * The migrator's log when its caller gives none: every line starts with `[migrate] `, or is a JSON
 * object with format `json`; errors go to stderr unless `write` takes every line.
 */
export function migratorLog(
  options: { format?: LogFormat; write?: (line: string) => void } = {},
): Log {
  return createLog({ prefix: "migrate", format: options.format, write: options.write });
}
