/**
 * What an operator checks before a deploy, for `npm run db:status`: who the migrator connects as,
 * whether it may create where the pending migrations write, and whether the target can take writes
 * at all. A CLI-only query: boot never runs it (it learns the same from a failure instead,
 * target-failures.ts).
 */

import type { Queryable } from "./driver/port.ts";
import type { MigrationFile } from "./drizzle-0.45/format.ts";

export interface SchemaAccess {
  schema: string;
  exists: boolean;
  /** CREATE on the schema; for a schema still to be created, CREATE on the database. */
  canCreate: boolean;
}

export interface Preflight {
  serverVersion: string;
  role: string;
  standby: boolean;
  /** The session's transactions are read-only (a standby, or default_transaction_read_only). */
  readOnly: boolean;
  tls: boolean;
  schemas: SchemaAccess[];
}

/**
 * An object drizzle-kit names with its schema (`TABLE "app"."users"`, `REFERENCES
 * "public"."users"`), or a schema it creates. A bare `"a"."b"` elsewhere is a column of a table.
 */
const SCHEMA_NAMED =
  /\b(?:table|references|on|type|sequence|view|function|into|exists|only)\s+"([^"]+)"\s*\.\s*"|\bschema\s+(?:if\s+not\s+exists\s+)?"([^"]+)"/gi;

/**
 * The schemas a run writes in: the ledger's, `public` (where drizzle-kit's unqualified names land)
 * when something is pending, and every schema a pending statement names.
 */
export function schemasWritten(ledgerSchema: string, pending: MigrationFile[]): string[] {
  const named = pending.flatMap((file) =>
    file.statements.flatMap((statement) =>
      [...statement.matchAll(SCHEMA_NAMED)].map((match) => match[1] ?? match[2] ?? ""),
    ),
  );
  return [...new Set([ledgerSchema, ...(pending.length > 0 ? ["public"] : []), ...named])];
}

/** Two queries on the migrator's connection: the session's facts, then each schema's access. */
export async function readPreflight(sql: Queryable, schemas: string[]): Promise<Preflight> {
  const [facts] = await sql.query<{
    version: string;
    role: string;
    standby: boolean;
    readOnly: boolean;
    tls: boolean;
  }>(
    `select current_setting('server_version') as version, current_user as role,
      pg_is_in_recovery() as standby,
      current_setting('transaction_read_only') = 'on' as "readOnly",
      coalesce((select ssl from pg_stat_ssl where pid = pg_backend_pid()), false) as tls`,
  );
  // The names travel as one JSON text (a text parameter: postgres.js would encode a json one
  // again): every driver sends a string parameter the same way.
  const access = await sql.query<SchemaAccess>(
    `select s.name as schema, n.oid is not null as exists,
      case when n.oid is null then has_database_privilege(current_database(), 'CREATE')
        else has_schema_privilege(n.oid, 'CREATE') end as "canCreate"
    from json_array_elements_text($1::text::json) with ordinality as s(name, position)
    left join pg_namespace n on n.nspname = s.name
    order by s.position`,
    [JSON.stringify(schemas)],
  );
  if (!facts) throw new Error("the preflight query returned no row");
  return {
    serverVersion: facts.version,
    role: facts.role,
    standby: facts.standby,
    readOnly: facts.readOnly,
    tls: facts.tls,
    schemas: [...access],
  };
}
