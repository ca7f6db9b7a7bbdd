/**
 * The node-postgres (`pg`) adapter of the driver port. It takes the project's own `Pool`, a
 * `Client`, or a URL (then `pg` is imported when the session opens). Only the members of
 * pg-family.ts are used, so any client shaped like node-postgres's fits.
 */
import { withoutClientMarkers } from "../pooler.ts";
import { callersClient, isPool, type PgSource, pgSession, poolClient } from "./pg-family.ts";
import type { ConnectTarget, DriverSession, MigratorDriver } from "./port.ts";
import { refuseSessionless } from "./refusals.ts";

export type { PgClient, PgPool, PgPoolClient, PgSource } from "./pg-family.ts";

/**
 * The migrator's session on node-postgres, from `source`:
 * - a `Pool`: one of its connections, held for the run and handed back (the up-to-date check of
 *   a boot then leaves a connection open for the app). A pool with no idle connection and no room
 *   for another is refused (`POOL_NO_ROOM`) rather than waited on;
 * - a `Client`: used as it is (connected here if it is not yet), and left open for its owner;
 * - a URL, or nothing (the settings' URL): a `Client` of its own, closed at the end.
 */
export function pgDriver(source?: PgSource): MigratorDriver {
  refuseSessionless(source, "The source given to pgDriver()");
  if (source !== undefined && typeof source !== "string" && !isPool(source)) {
    return { name: "pg", reconnects: false, connect: () => callersClient("pg", source) };
  }
  return {
    name: "pg",
    reconnects: true,
    connect: (target) =>
      source !== undefined && isPool(source)
        ? poolClient("pg", source, target)
        : ownClient(source ?? target.url, target),
  };
}

/**
 * `url` with libpq's meaning of `sslmode` (`require`: encrypted, not verified), as postgres.js
 * and the migrator's advice read it: node-postgres 8 reads `require` as `verify-full` (and warns)
 * unless the URL also says `uselibpqcompat=true`.
 */
function withLibpqSslModes(url: string): string {
  const parsed = new URL(withoutClientMarkers(url));
  if (!parsed.searchParams.has("sslmode") || parsed.searchParams.has("uselibpqcompat")) {
    return parsed.toString();
  }
  parsed.searchParams.set("uselibpqcompat", "true");
  return parsed.toString();
}

async function ownClient(url: string, target: ConnectTarget): Promise<DriverSession> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({
    connectionString: withLibpqSslModes(url),
    application_name: target.applicationName,
    connectionTimeoutMillis: target.connectTimeoutSeconds * 1000,
  });
  // The facts the server reports on connecting, as postgres.js keeps them: no query needed.
  const parameters: Record<string, string | undefined> = {};
  client.connection.on(
    "parameterStatus",
    (message: { parameterName: string; parameterValue: string }) => {
      parameters[message.parameterName] = message.parameterValue;
    },
  );
  const swallow = () => {};
  client.on("error", swallow);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  } finally {
    client.removeListener("error", swallow);
  }
  return pgSession("pg", client, parameters, async () => {
    await client.end().catch(() => {});
  });
}
