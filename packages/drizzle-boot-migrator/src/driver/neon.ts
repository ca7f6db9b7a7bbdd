/**
 * The adapter of the driver port for Neon's serverless driver (`@neondatabase/serverless`): its
 * WebSocket `Pool` (or `Client`), which holds a session as node-postgres does. drizzle's own
 * `drizzle-orm/neon-serverless` session writes the ledger. The HTTP `neon()` function holds no
 * session and is refused (refusals.ts).
 */
import { callersClient, isPool, type PgClient, type PgPool, poolClient } from "./pg-family.ts";
import type { MigratorDriver } from "./port.ts";
import { refuseSessionless } from "./refusals.ts";

/**
 * The migrator's session on Neon's serverless driver: one connection of the project's `Pool`
 * (configured as the project configures it: `neonConfig`), held for the run and handed back; or
 * the project's `Client`, left open. A pool without room is refused (`POOL_NO_ROOM`).
 */
export function neonDriver(source: PgPool | PgClient): MigratorDriver {
  refuseSessionless(source, "The source given to neonDriver()");
  if (!isPool(source)) {
    return {
      name: "neon-serverless",
      reconnects: false,
      connect: () => callersClient("neon-serverless", source),
    };
  }
  return {
    name: "neon-serverless",
    reconnects: true,
    connect: (target) => poolClient("neon-serverless", source, target),
  };
}
