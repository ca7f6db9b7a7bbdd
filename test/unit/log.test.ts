import { createLog, type LogLevel } from "drizzle-boot-migrator";
import { describe, expect, test } from "vitest";
import { parseEnv, readLogFormat } from "@/env";

function collect(format: "human" | "json") {
  const lines: { line: string; level: LogLevel }[] = [];
  const log = createLog({
    prefix: "migrate",
    format,
    write: (line, level) => lines.push({ line, level }),
    now: () => new Date("2026-11-30T09:00:00.000Z"),
  });
  return { log, lines };
}

describe("the boot log", () => {
  test("human: the sentence, each of its lines prefixed so a multi-line error greps as one", () => {
    const { log, lines } = collect("human");

    log.error("boot.failed", "failed (MIGRATION_FAILED): boom\nStatement: select 1", {
      code: "MIGRATION_FAILED",
    });

    expect(lines).toEqual([
      {
        line: "[migrate] failed (MIGRATION_FAILED): boom\n[migrate] Statement: select 1",
        level: "error",
      },
    ]);
  });

  test("json: one object per event with level, event, message and the facts, durations in whole ms", () => {
    const { log, lines } = collect("json");

    log.info("migrate.migration_applied", "ran 0001_invites in 12 ms (3 statement(s))", {
      tag: "0001_invites",
      durationMs: 12.4,
      statements: 3,
      skipped: undefined,
    });
    log.error("boot.failed", "failed (LOCK_LOST): line one\nline two", { code: "LOCK_LOST" });

    expect(lines.map(({ line }) => line.includes("\n"))).toEqual([false, false]);
    expect(lines.map(({ line }) => JSON.parse(line))).toEqual([
      {
        time: "2026-11-30T09:00:00.000Z",
        level: "info",
        event: "migrate.migration_applied",
        message: "ran 0001_invites in 12 ms (3 statement(s))",
        tag: "0001_invites",
        durationMs: 12,
        statements: 3,
      },
      {
        time: "2026-11-30T09:00:00.000Z",
        level: "error",
        event: "boot.failed",
        message: "failed (LOCK_LOST): line one\nline two",
        code: "LOCK_LOST",
      },
    ]);
  });

  test("LOG_FORMAT defaults to human, accepts json and names the variable when wrong", () => {
    expect(parseEnv({}).LOG_FORMAT).toBe("human");
    expect(parseEnv({ LOG_FORMAT: "json" }).LOG_FORMAT).toBe("json");
    expect(() => parseEnv({ LOG_FORMAT: "xml" })).toThrow(
      /LOG_FORMAT \(how the boot and the migrator print their log.*\): must be "human" or "json"/,
    );
  });

  test("readLogFormat reads LOG_FORMAT alone, so a report of a bad environment keeps the format", () => {
    expect(readLogFormat({ LOG_FORMAT: "json", DATABASE_URL: "not a url" })).toBe("json");
    expect(readLogFormat({ LOG_FORMAT: "xml" })).toBe("human");
    expect(readLogFormat({ LOG_FORMAT: "" })).toBe("human");
  });
});
