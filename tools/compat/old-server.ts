import { randomBytes } from "node:crypto";
import path from "node:path";
import { type StartedCommand, startCommand } from "../cli/run-command";
import { findFreePort } from "../database-source/free-port";

/**
 * The previous release's server: `next start` in its built directory, in production mode on
 * `databaseUrl` (its `npm start` before 145b94d; later releases' `npm start` runs the standalone
 * server instead, docs/migrations.md). It migrates that database at boot with the release's own
 * migrations, as it did when it was deployed.
 */
export interface OldServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

const READY_WITHIN_MS = 60_000;

export async function startOldServer(releaseDir: string, databaseUrl: string): Promise<OldServer> {
  const port = await findFreePort();
  // Better Auth accepts only this exact origin; Playwright's browser will use the same string.
  const url = `http://localhost:${port}`;
  const server = startCommand(
    process.execPath,
    [path.join(releaseDir, "node_modules/next/dist/bin/next"), "start", "-p", String(port)],
    {
      cwd: releaseDir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: databaseUrl,
        BETTER_AUTH_URL: url,
        BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
      },
    },
  );
  const stop = () => stopServer(server);
  try {
    await waitUntilHealthy(server, url);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, output: server.output, stop };
}

async function waitUntilHealthy(server: StartedCommand, url: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let exited = false;
  server.exited.then(() => {
    exited = true;
  });
  while (!exited && Date.now() < deadline) {
    const status = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `the previous release's server ${exited ? "exited" : `was not healthy within ${READY_WITHIN_MS / 1000} s`}:\n${server.output()}`,
  );
}

async function stopServer(server: StartedCommand): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGTERM");
  const killed = setTimeout(() => server.child.kill("SIGKILL"), 5_000);
  await server.exited.catch(() => undefined);
  clearTimeout(killed);
}
