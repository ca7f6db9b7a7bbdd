import { readLogFormat } from "@/env";
import { createLog, type Log } from "@/lib/log";

export type { Log } from "@/lib/log";

/** How the migrator's log lines write durations. */
export const ms = (value: number) => `${Math.round(value)} ms`;
export const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

/**
 * The migrator's log when its caller gives none (the CLIs): every line starts with `[migrate] `,
 * or is a JSON object with `LOG_FORMAT=json`; errors go to stderr.
 */
export function migratorLog(write?: (line: string) => void): Log {
  return createLog({ prefix: "migrate", format: readLogFormat(), write });
}
