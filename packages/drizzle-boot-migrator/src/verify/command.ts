/**
 * The command line's `verify` and `baseline` (bin.ts loads this module for them only). The
 * expected schema is built on the server of `--scratch-url`: the package starts no Postgres of its
 * own. Exit codes: verify 0 no drift, 1 drift, 2 cannot verify; baseline 0 recorded, 1 refused,
 * 2 could not check. Any failure (unreachable, bad usage, a migration failing on the scratch
 * server) leaves the question unanswered: 2.
 */
import path from "node:path";
import { type MigratorFlags, UsageError } from "../cli.ts";
import { logFailure } from "../errors.ts";
import { createLog, type LogFormat } from "../events.ts";
import { describeTarget, type MigrationSet, type MigratorSettings } from "../settings.ts";
import { ACKNOWLEDGEMENTS_FILE, readAcknowledgements } from "./acknowledgements.ts";
import { baselineDatabase } from "./baseline.ts";
import { formatBaselineReport, formatVerifyReport } from "./format.ts";
import { readTimeoutsOf } from "./live.ts";
import { scratchOnServer } from "./scratch.ts";
import { VERIFY_EXIT, type VerifyOptions, verifyDatabase } from "./verify.ts";

export type VerifyCommand = "verify" | "baseline";

const COULD_NOT_CHECK = 2;

function optionsOf(
  command: VerifyCommand,
  settings: MigratorSettings,
  sets: MigrationSet[],
  flags: MigratorFlags,
  cwd: string,
): VerifyOptions {
  const scratchUrl = flags.options["scratch-url"];
  if (!scratchUrl) {
    throw new UsageError(
      `${command} builds the schema the migrations create on a scratch database: pass ` +
        "--scratch-url <url>, a Postgres server where the URL's role may CREATE DATABASE " +
        "(of the live server's major, so that both print definitions alike)",
    );
  }
  return {
    url: settings.url,
    sets,
    scratch: scratchOnServer(
      scratchUrl,
      `the server of --scratch-url (${new URL(scratchUrl).host})`,
    ),
    acknowledgements: readAcknowledgements(
      path.resolve(cwd, flags.options.acknowledgements ?? ACKNOWLEDGEMENTS_FILE),
    ),
    schemas: flags.lists.schema,
    timeouts: readTimeoutsOf(settings),
    applicationName: `drizzle-boot-migrator:${command}`,
  };
}

/** Runs `command`, prints its report (`--json`: one object on stdout) and returns the exit code. */
export async function runVerifyCommand(
  command: VerifyCommand,
  run: {
    /** Settings and sets as the other commands read them; a function, so that its errors exit 2. */
    configure: () => Promise<{ settings: MigratorSettings; sets: MigrationSet[] }>;
    flags: MigratorFlags;
    cwd: string;
    format: LogFormat;
  },
): Promise<number> {
  const log = createLog({ prefix: command, format: run.format });
  try {
    const { settings, sets } = await run.configure();
    const options = optionsOf(command, settings, sets, run.flags, run.cwd);
    const target = describeTarget(settings);
    const print = (report: object, lines: () => string[]) =>
      console.log(
        run.flags.flags.json ? JSON.stringify({ target, ...report }, null, 2) : lines().join("\n"),
      );
    if (command === "verify") {
      const report = await verifyDatabase(options);
      print(report, () => formatVerifyReport(report, target));
      return VERIFY_EXIT[report.verdict];
    }
    const report = await baselineDatabase(options);
    print(report, () => formatBaselineReport(report, target));
    return report.outcome === "recorded" ? 0 : 1;
  } catch (error) {
    logFailure(log, error);
    return COULD_NOT_CHECK;
  }
}
