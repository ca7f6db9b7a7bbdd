import { randomBytes } from "node:crypto";
import http from "node:http";
import { findFreePort } from "@tools/database-source/free-port";
import { startVercelRuntime, type VercelRuntime } from "@tools/vercel-runtime";
import { HEALTH_TEST_TOKEN } from "./next-app";

/**
 * A Build Output deployed on the local Vercel runtime with the variables a project sets in its
 * Vercel settings, and no others: DATABASE_URL, the auth secret and URL, HEALTH_TOKEN. Nothing
 * about client addresses (no CLIENT_IP_HEADER, no trusted proxies): the default configuration.
 */
export interface Deployment extends VercelRuntime {
  /**
   * The deployment's URL as browsers use it: `http://localhost:<port>`, its BETTER_AUTH_URL (the
   * origin Better Auth accepts, and a host Chromium keeps the production build's secure cookies
   * for). `url` is the same server by IPv4 address, for clients with an address of their own.
   */
  publicUrl: string;
}

export async function deployOnVercelRuntime(
  outputDir: string,
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { requestsPerInstance?: number } = {},
): Promise<Deployment> {
  const port = await findFreePort();
  const publicUrl = `http://localhost:${port}`;
  const runtime = await startVercelRuntime({
    outputDir,
    port,
    requestsPerInstance: options.requestsPerInstance,
    env: {
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_SECRET: randomBytes(32).toString("base64"),
      BETTER_AUTH_URL: publicUrl,
      HEALTH_TOKEN: HEALTH_TEST_TOKEN,
      ...env,
    },
  });
  return Object.assign(runtime, { publicUrl });
}

export interface Answer {
  status: number;
  body: string;
}

/**
 * A request from a client at `clientAddress` (any of 127.0.0.0/8: each test client connects from
 * an address of its own, as clients on the internet reach Vercel's edge).
 */
export function requestFrom(
  clientAddress: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        localAddress: clientAddress,
        agent: false,
        timeout: 90_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    request.once("error", reject);
    request.once("timeout", () => request.destroy(new Error(`no answer from ${url} within 90 s`)));
    request.end(options.body);
  });
}
