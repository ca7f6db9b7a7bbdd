import { randomBytes } from "node:crypto";
import { type StartedCommand, startCommand } from "../cli/run-command";
import { findFreePort } from "../database-source/free-port";

/**
 * The previous release's server, started the way it was deployed: its own `npm start` in its
 * built directory (`next start` before 145b94d, the standalone server since), in production mode
 * on `databaseUrl`. It migrates that database at boot with the release's own migrations.
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
  const server = startCommand("npm", ["start"], {
    cwd: releaseDir,
    ownProcessGroup: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      // Both `next start` and the standalone server listen on PORT.
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      // The smoke tests sign up through the page, which production keeps closed by default
      // (releases from before that setting ignore it).
      SIGN_UP_ENABLED: "true",
      BETTER_AUTH_URL: url,
      BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
    },
  });
  try {
    await waitUntilHealthy(server, url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, output: server.output, stop: server.stop };
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
