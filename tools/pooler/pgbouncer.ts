import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startCommand } from "../cli/run-command";
import { findFreePort } from "../database-source/free-port";
import { postgresRunAs, type UserIds } from "../database-source/postgres-user";
import { locateSystemTool, SYSTEM_TOOLS, toolSearchPath } from "../system-tools";

/**
 * A real PgBouncer (the distribution's package) in front of a test Postgres, for the pooler tests
 * (docs/deployment.md, "Poolers"). Its configuration is PgBouncer's defaults except what a pooler
 * needs to run at all: where to listen, the upstream server, the pool mode, and who may log in.
 * Clients use plain URLs: no `pgbouncer=true` marker and no well-known pooler port.
 */

export type PoolMode = "session" | "transaction";

export interface RunningPgBouncer {
  poolMode: PoolMode;
  port: number;
  /** `directUrl` (a URL of the upstream server) with its host and port swapped for PgBouncer's. */
  urlFor(directUrl: string): string;
  /** PgBouncer's log so far (it logs to stderr when not daemonized). */
  log(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

export class PgBouncerError extends Error {
  override name = "PgBouncerError";
}

export function pgbouncerBinary(): string {
  const found = locateSystemTool("pgbouncer", process.env);
  if (!found) {
    throw new PgBouncerError(
      `PgBouncer is not installed (looked in ${toolSearchPath(process.env).join(", ")}). ` +
        `Install it: ${SYSTEM_TOOLS.pgbouncer.install} (.ci/run does).`,
    );
  }
  return found.path;
}

/**
 * Starts PgBouncer on a free port in front of the server of `upstreamUrl` (whose user and
 * password it logs in with). PgBouncer refuses to run as root, so as root it runs as the postgres
 * user, from a temporary directory that user owns; the directory goes with `stop()`.
 */
export async function startPgBouncer(options: {
  upstreamUrl: string;
  poolMode: PoolMode;
  /** Server connections per database and user (PgBouncer's default: 20). */
  defaultPoolSize?: number;
}): Promise<RunningPgBouncer> {
  const binary = pgbouncerBinary();
  const upstream = new URL(options.upstreamUrl);
  const runAs = await postgresRunAs();
  const dir = await mkdtemp(path.join(os.tmpdir(), "agency-reporting-pgbouncer-"));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const config = await writeConfig({ ...options, dir, port, upstream, runAs });
      const started = startCommand(binary, [config], { cwd: dir, runAs });
      const outcome = await readyOrEnded(started, port);
      if (outcome === "ready") {
        return {
          poolMode: options.poolMode,
          port,
          urlFor: (directUrl) => {
            const url = new URL(directUrl);
            url.hostname = "127.0.0.1";
            url.port = String(port);
            return url.toString();
          },
          log: started.output,
          stop: async () => {
            // SIGTERM closes at once; SIGINT ("safe shutdown") would wait for clients to leave.
            await started.stop().catch(() => {});
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
      const portTaken = /Address already in use/.test(started.output());
      if (!portTaken || attempt >= PORT_ATTEMPTS) {
        throw new PgBouncerError(`PgBouncer did not start (${outcome}):\n${started.output()}`);
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function writeConfig(options: {
  dir: string;
  port: number;
  upstream: URL;
  poolMode: PoolMode;
  defaultPoolSize?: number;
  runAs: UserIds | undefined;
}): Promise<string> {
  const { dir, port, upstream, poolMode, defaultPoolSize, runAs } = options;
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
  if (runAs) {
    for (const owned of [dir, authFile, config]) await chown(owned, runAs.uid, runAs.gid);
  }
  return config;
}

/** Resolves "ready" once PgBouncer says it listens, or why it did not. */
function readyOrEnded(
  started: ReturnType<typeof startCommand>,
  port: number,
): Promise<"ready" | string> {
  const listening = new RegExp(`listening on 127\\.0\\.0\\.1:${port}`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      started.child.kill("SIGKILL");
      resolve(`no "listening" line within ${START_TIMEOUT_MS} ms`);
    }, START_TIMEOUT_MS);
    const check = () => {
      if (listening.test(started.output())) {
        clearTimeout(timer);
        resolve("ready");
      }
    };
    started.child.stdout.on("data", check);
    started.child.stderr.on("data", check);
    started.exited.then(
      (result) => {
        clearTimeout(timer);
        resolve(`exited with ${result.signal ?? result.code}`);
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve(`could not be started: ${String(error)}`);
      },
    );
  });
}
