/**
 * A scratch database on a server the caller names (CI's own Postgres, a local one): created for
 * one build of the expected schema and dropped after it. The role of `adminUrl` needs CREATEDB.
 */
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { ConfigError } from "../errors.ts";
import type { ScratchSource } from "./expected.ts";

async function onServer(adminUrl: string, statement: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Each call creates a uniquely named database on the server of `adminUrl` (from template0: nothing
 * a server added to template1 gets into the expected schema); `description` names it in reports.
 */
export function scratchOnServer(adminUrl: string, description: string): ScratchSource {
  return async () => {
    const name = `verify_expected_${randomUUID().replaceAll("-", "")}`;
    const host = new URL(adminUrl).host;
    await onServer(adminUrl, `create database ${name} template template0`).catch((error) => {
      throw new ConfigError(
        `could not create a scratch database on ${host} (its role needs CREATEDB): ` +
          (error as Error).message,
        { cause: error },
      );
    });
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      description,
      // WITH (FORCE): a session the build left open does not keep the database.
      drop: () => onServer(adminUrl, `drop database if exists ${name} with (force)`),
    };
  };
}
