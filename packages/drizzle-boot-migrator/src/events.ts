/**
 * The migrator's log sink: each call is an event (a stable name such as `migrate.up_to_date`,
 * part of the API) with a human sentence and the facts behind it. `createLog` renders events to
 * the console: format `human` (the default) prints the sentence, every line prefixed so that a
 * multi-line error greps as one; `json` prints one JSON object per event, for log pipelines.
 * An app may pass any `Log` of its own instead.
 */

export type LogFormat = "human" | "json";

export type LogLevel = "info" | "warn" | "error";

/**
 * The facts of an event. Names ending in `Ms` are durations in milliseconds; the JSON output
 * rounds them to whole milliseconds, as the sentences do.
 */
export interface LogFields {
  /** The migration the event is about (its journal tag). */
  tag?: string;
  /** The error code of a failure (`MIGRATION_FAILED`, `CONFIG`, ...). */
  code?: string;
  durationMs?: number;
  [field: string]: string | number | boolean | null | undefined | readonly string[];
}

export interface Log {
  info(event: string, message: string, fields?: LogFields): void;
  warn(event: string, message: string, fields?: LogFields): void;
  error(event: string, message: string, fields?: LogFields): void;
}

/** Where rendered lines go; the level lets a writer send errors to stderr. */
export type LineWriter = (line: string, level: LogLevel) => void;

const consoleWriter: LineWriter = (line, level) => {
  if (level === "error") console.error(line);
  else console.log(line);
};

export interface LogOptions {
  /** Starts every human-readable line as `[prefix] `. */
  prefix: string;
  format?: LogFormat;
  write?: LineWriter;
  now?: () => Date;
}

export function createLog({
  prefix,
  format = "human",
  write = consoleWriter,
  now = () => new Date(),
}: LogOptions): Log {
  const emit =
    (level: LogLevel) =>
    (event: string, message: string, fields: LogFields = {}) => {
      write(
        format === "json"
          ? renderJson(now(), level, event, message, fields)
          : prefixLines(prefix, message),
        level,
      );
    };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** Every line gets the prefix so a multi-line message (statement, Postgres detail) greps as one. */
export function prefixLines(prefix: string, text: string): string {
  return text
    .split("\n")
    .map((line) => `[${prefix}] ${line}`)
    .join("\n");
}

function renderJson(
  time: Date,
  level: LogLevel,
  event: string,
  message: string,
  fields: LogFields,
): string {
  const facts = Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [
        name,
        name.endsWith("Ms") && typeof value === "number" ? Math.round(value) : value,
      ]),
  );
  return JSON.stringify({ time: time.toISOString(), level, event, message, ...facts });
}

/** A log that hands each event to `handle`: for code that reacts to events (benchmarks). */
export function eventLog(handle: (event: string, fields: LogFields) => void): Log {
  const emit = (event: string, _message: string, fields: LogFields = {}) => handle(event, fields);
  return { info: emit, warn: emit, error: emit };
}

/** A log that drops everything: health's periodic re-check and benchmarks. */
export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };
