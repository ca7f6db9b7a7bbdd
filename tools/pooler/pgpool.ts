import { writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import postgres from "postgres";
import { PoolerError, type RunningPooler, startPooler } from "./pooler";

/**
 * Debian's pgpool-II in front of a test Postgres as a plain session pooler, the second pooler of
 * the pooler tests (docs/deployment.md, "Poolers"). pgpool-II has no transaction pooling: each of
 * its children serves one client at a time and keeps its server connection for the next client
 * (connection cache). Everything else it can do is off: raw mode with one backend (no
 * replication, load balancing, failover or health checks), no query or relation cache.
 */

/** Children, so clients at once: the app's pool of 10 plus a test's own connections. */
const CHILDREN = 32;
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Starts pgpool-II on a free port in front of the server of `upstreamUrl`, as the postgres user
 * when root (./pooler.ts), and resolves once it answers a query through its children.
 */
export async function startPgpool(options: { upstreamUrl: string }): Promise<RunningPooler> {
  const upstream = new URL(options.upstreamUrl);
  const running = await startPooler({
    tool: "pgpool",
    configure: (dir, port) => writeConfig({ dir, port, upstream }),
    listening: () => /pgpool-II successfully started/,
    // SIGINT is pgpool-II's fast shutdown; SIGTERM (smart) waits for every client to leave.
    stopSignal: "SIGINT",
  });
  try {
    await untilAnswering(running.urlFor(options.upstreamUrl));
  } catch (error) {
    const log = running.log();
    await running.stop();
    throw new PoolerError(`pgpool-II started but does not answer (${String(error)}):\n${log}`, {
      cause: error,
    });
  }
  return running;
}

/** The log line comes once the listening socket exists; a child may still be starting. */
async function untilAnswering(url: string): Promise<void> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    } finally {
      await sql.end({ timeout: 1 });
    }
    await sleep(100);
  }
}

async function writeConfig(options: { dir: string; port: number; upstream: URL }) {
  const { dir, port, upstream } = options;
  const user = decodeURIComponent(upstream.username || "postgres");
  const password = decodeURIComponent(upstream.password);
  // With pool_hba off, pgpool-II asks clients for what the server asks it. For SCRAM (the
  // embedded Postgres) it must know the password itself: pool_passwd, in clear text ("TEXT").
  const poolPasswd = path.join(dir, "pool_passwd");
  await writeFile(poolPasswd, `${user}:TEXT${password}\n`, { mode: 0o600 });
  // pgpool-II reads a pcp.conf even with pcp unreachable; an empty one lets nobody in.
  const pcpConf = path.join(dir, "pcp.conf");
  await writeFile(pcpConf, "");
  const config = path.join(dir, "pgpool.conf");
  await writeFile(
    config,
    [
      "backend_clustering_mode = 'raw'",
      `backend_hostname0 = '${upstream.hostname}'`,
      `backend_port0 = ${upstream.port || "5432"}`,
      // A server error or a terminated connection (DROP DATABASE … WITH (FORCE)) must not mark
      // the only backend down, which would refuse every later client.
      "backend_flag0 = 'DISALLOW_TO_FAILOVER'",
      "failover_on_backend_error = off",
      "health_check_period = 0",
      "sr_check_period = 0",
      "use_watchdog = off",
      "load_balance_mode = off",
      "memory_cache_enabled = off",
      "enable_shared_relcache = off",
      // Catalog lookups pgpool-II would add before statements, for features that are off.
      "check_temp_table = none",
      "check_unlogged_table = off",
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      // No pcp over TCP; its socket lives in this directory, so no port can clash.
      "pcp_listen_addresses = ''",
      `pcp_socket_dir = '${dir}'`,
      "enable_pool_hba = off",
      `pool_passwd = '${poolPasswd}'`,
      `num_init_children = ${CHILDREN}`,
      // One cached server connection per child keeps pgpool-II within the server's
      // max_connections (100 by default) next to the tests' direct connections.
      "max_pool = 1",
      "connection_cache = on",
      "log_destination = 'stderr'",
      `pid_file_name = '${path.join(dir, "pgpool.pid")}'`,
      `logdir = '${dir}'`,
      "",
    ].join("\n"),
  );
  return ["-n", "-f", config, "-F", pcpConf];
}
