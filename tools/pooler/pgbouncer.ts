import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type RunningPooler, startPooler } from "./pooler";

/**
 * A real PgBouncer (the distribution's package) in front of a test Postgres, for the pooler tests
 * (docs/deployment.md, "Poolers"). Its configuration is PgBouncer's defaults except what a pooler
 * needs to run at all: where to listen, the upstream server, the pool mode, and who may log in.
 */

export type PoolMode = "session" | "transaction";

export interface RunningPgBouncer extends RunningPooler {
  poolMode: PoolMode;
}

/**
 * Starts PgBouncer on a free port in front of the server of `upstreamUrl` (whose user and
 * password it logs in with), as the postgres user when root (./pooler.ts).
 */
export async function startPgBouncer(options: {
  upstreamUrl: string;
  poolMode: PoolMode;
  /** Server connections per database and user (PgBouncer's default: 20). */
  defaultPoolSize?: number;
}): Promise<RunningPgBouncer> {
  const upstream = new URL(options.upstreamUrl);
  const running = await startPooler({
    tool: "pgbouncer",
    configure: async (dir, port) => [await writeConfig({ ...options, dir, port, upstream })],
    listening: (port) => new RegExp(`listening on 127\\.0\\.0\\.1:${port}`),
    // SIGTERM closes at once; SIGINT ("safe shutdown") would wait for clients to leave.
    stopSignal: "SIGTERM",
  });
  return { ...running, poolMode: options.poolMode };
}

async function writeConfig(options: {
  dir: string;
  port: number;
  upstream: URL;
  poolMode: PoolMode;
  defaultPoolSize?: number;
}): Promise<string> {
  const { dir, port, upstream, poolMode, defaultPoolSize } = options;
  const user = decodeURIComponent(upstream.username || "postgres");
  const password = decodeURIComponent(upstream.password);
  // PgBouncer logs in to the server with the auth_file's password; clients are trusted, as the
  // test server's own clients are.
  const authFile = path.join(dir, "userlist.txt");
  await writeFile(authFile, `"${user}" "${password}"\n`, { mode: 0o600 });
  const config = path.join(dir, "pgbouncer.ini");
  await writeFile(
    config,
    [
      "[databases]",
      `* = host=${upstream.hostname} port=${upstream.port || "5432"}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${authFile}`,
      `admin_users = ${user}`,
      `pool_mode = ${poolMode}`,
      ...(defaultPoolSize === undefined ? [] : [`default_pool_size = ${defaultPoolSize}`]),
      "",
    ].join("\n"),
  );
  return config;
}
