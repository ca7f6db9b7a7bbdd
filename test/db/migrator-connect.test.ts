import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  emptyDatabasePerTest,
  ledgerWhens,
  runMigratorCli,
  startMigratorCli,
  writeMigrationFolder,
} from "../support/migrator";
import { TEST_DRIVER } from "../support/migrator-driver";

const folderWithOneMigration = () =>
  writeMigrationFolder([
    {
      tag: "0000_first",
      when: 1_700_000_000_000,
      statements: ["create table late_table (id int)"],
    },
  ]);

/**
 * How the driver reports a refused connect. Neon's driver reaches Postgres through its WebSocket
 * proxy, which closes the WebSocket when its own TCP connect is refused.
 */
const REFUSED =
  TEST_DRIVER === "neon" ? "Connection terminated unexpectedly" : "connect ECONNREFUSED";

const db = emptyDatabasePerTest();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** A port nothing listens on (yet): connections to it are refused, as to a database still down. */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** From now on, `port` forwards to the test's Postgres server: the database "comes up". */
async function startForwarding(port: number, target: URL): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.on("close", () => {
    for (const socket of sockets) socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
}

function viaPort(url: string, port: number): string {
  const through = new URL(url);
  through.hostname = "127.0.0.1";
  through.port = String(port);
  return through.toString();
}

describe("a database that is not reachable at boot", () => {
  it("is retried with one log line per attempt, and migrated once it comes up", async () => {
    const port = await unusedPort();
    const migrator = startMigratorCli("migrate", {
      url: viaPort(db.url, port),
      folder: folderWithOneMigration(),
      env: { MIGRATION_CONNECT_WAIT_MS: "30000" },
    });
    await migrator.waitForOutput(new RegExp(`not reachable \\(attempt 3: .*${REFUSED}`));
    await startForwarding(port, new URL(db.url));

    const result = await migrator.exited;
    expect(result.code, result.output).toBe(0);
    const attempts = result.stdout.split("\n").filter((line) => line.includes("not reachable"));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    for (const line of attempts) {
      expect(line).toMatch(
        /^\[migrate\] database 127\.0\.0\.1:\d+\/\w+ \(MIGRATIONS_DATABASE_URL\) not reachable \(attempt \d+: .*\); retrying in \d+\.\d s, giving up in \d+\.\d s$/,
      );
    }
    expect(await ledgerWhens(db.url)).toEqual([1_700_000_000_000]);
  });

  it("fails with a clear error at the deadline when it never comes up", async () => {
    const port = await unusedPort();
    const result = await runMigratorCli("migrate", {
      url: viaPort(db.url, port),
      folder: folderWithOneMigration(),
      env: { MIGRATION_CONNECT_WAIT_MS: "1500" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        String.raw`\[migrate\] failed \(DATABASE_UNREACHABLE\): Database 127\.0\.0\.1:\d+\/\w+ \(MIGRATIONS_DATABASE_URL\) still unreachable after \d+ attempt\(s\) in \d+\.\d s \(MIGRATION_CONNECT_WAIT_MS=1500\): ${REFUSED}`,
      ),
    );
    expect(await ledgerWhens(db.url)).toEqual([]);
  });

  it("fails at once on an error that retrying cannot fix (a database that does not exist)", async () => {
    const missing = new URL(db.url);
    missing.pathname = "/no_such_database_for_migrator";
    const result = await runMigratorCli("migrate", {
      url: missing.toString(),
      folder: folderWithOneMigration(),
      env: { MIGRATION_CONNECT_WAIT_MS: "60000" },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("not reachable");
    expect(result.stderr).toContain("failed (DATABASE_UNREACHABLE)");
    expect(result.stderr).toContain("(SQLSTATE 3D000). This will not fix itself");
  });
});
