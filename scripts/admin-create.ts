/**
 * `npm run admin:create -- --email <email> --name <name> [--new-link]`: makes the first (or
 * another) agency admin and prints their one-time invite link. Running it again for the same email
 * changes nothing and says so; `--new-link` replaces a lost link while the invitation is pending.
 * Reads DATABASE_URL (and the .env files, as Next does), else uses the dev database of
 * `npm run dev`; links use BETTER_AUTH_URL, or
 * http://localhost:3000 outside production. Exit codes: 0 done or nothing to do, 1 refused or
 * failed, 2 bad usage or configuration. See docs/invitations.md.
 */
import { parseArgs } from "node:util";
import { loadEnvFilesLikeNext } from "@tools/cli/env-files";
import { onConfiguredOrDevDatabase } from "@tools/database-source/dev-database";
import { appBaseUrl, ConfigError, parseEnv, readEnv, requireEnv } from "../src/env";
import { createDbConnection } from "../src/lib/db/client";
import { bootstrapAgencyAdmin } from "../src/lib/invitations";
import { TenancyError } from "../src/lib/tenancy";

const USAGE = "usage: npm run admin:create -- --email <email> --name <name> [--new-link]";

async function main(): Promise<number> {
  let values: { email?: string; name?: string; "new-link"?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        email: { type: "string" },
        name: { type: "string" },
        "new-link": { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { email, name } = values;
  if (!email || !name) {
    console.error(`--email and --name are required.\n${USAGE}`);
    return 2;
  }
  const request = { email, name, newLink: values["new-link"] === true };

  loadEnvFilesLikeNext(parseEnv(process.env).NODE_ENV !== "production");
  return onConfiguredOrDevDatabase(
    readEnv().DATABASE_URL !== undefined,
    (line) => console.log(`[admin:create] ${line}`),
    (dev) => invite(request, dev?.url),
  );
}

async function invite(
  request: { email: string; name: string; newLink: boolean },
  devUrl: string | undefined,
): Promise<number> {
  const env = readEnv();
  const baseUrl = appBaseUrl(env);
  const connection = createDbConnection({
    url: devUrl ?? requireEnv("DATABASE_URL", env),
    max: 1,
    applicationName: "agency-reporting:admin-create",
  });
  try {
    const result = await bootstrapAgencyAdmin(request, {
      db: connection.db,
      baseUrl,
      ttlDays: env.INVITE_TTL_DAYS,
    });
    if (!result.changed) {
      console.log(
        `${result.email} is already an agency admin (status: ${result.status}). Nothing changed.` +
          (result.status === "invited"
            ? "\nTo replace a lost invite link, run again with --new-link."
            : ""),
      );
      return 0;
    }
    const { invitation } = result;
    if (!invitation.link) {
      console.log(
        `${invitation.email} already had an account and is now an agency admin: they sign in ` +
          `with their password at ${new URL("/sign-in", baseUrl)}.`,
      );
      return 0;
    }
    console.log(
      [
        invitation.outcome === "invited"
          ? `Invited ${invitation.email} as agency admin.`
          : `Replaced the invite link of ${invitation.email} (agency admin); the old link no longer works.`,
        `One-time invite link, valid until ${invitation.expiresAt?.toISOString()}:`,
        "",
        `  ${invitation.link}`,
        "",
        "Open it to choose a name and password. It is shown only this once and is not stored.",
      ].join("\n"),
    );
    return 0;
  } finally {
    await connection.close();
  }
}

/** Postgres's undefined_table, seen through Drizzle's query error. */
function isMissingTable(error: unknown): boolean {
  return (error as { cause?: { code?: string } }).cause?.code === "42P01";
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof TenancyError || error instanceof ConfigError;
    const message = known
      ? error.message
      : isMissingTable(error)
        ? "The database has no tables yet: run `npm run db:migrate` (or start the app once; it " +
          "migrates at boot), then run this again."
        : ((error as Error).stack ?? String(error));
    console.error(`[admin:create] ${message}`);
    const badInput =
      error instanceof ConfigError ||
      (error instanceof TenancyError && error.code.startsWith("INVALID_"));
    process.exit(badInput ? 2 : 1);
  },
);
