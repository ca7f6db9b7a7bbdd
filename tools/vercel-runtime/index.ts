import { createReadStream } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type BuildOutput, readBuildOutput } from "./build-output";
import { edgeHeaders } from "./edge";
import { type FunctionPool, functionPool, type Instance } from "./instances";
import { type RoutingRequest, routeRequest, type Target } from "./routing";

/**
 * A local stand-in for Vercel serving one deployment's Build Output (`.vercel/output` of
 * `vercel build`): the edge's client-address headers, routing by `config.json`, static files, and
 * each function's instances in processes of their own behind a local HTTP bridge. What it does
 * not emulate is in docs/deployment.md ("The local Vercel runtime").
 */
export interface VercelRuntimeOptions {
  /** The `.vercel/output` folder. */
  outputDir: string;
  /** The project's environment variables (DATABASE_URL, BETTER_AUTH_SECRET, …). */
  env: Record<string, string>;
  /** Port to listen on (127.0.0.1); a free one when absent. */
  port?: number;
  /** VERCEL_ENV: production (default), preview or development. */
  vercelEnv?: "production" | "preview" | "development";
  region?: string;
  /**
   * Requests one instance serves at once: 1 (the default) is Vercel's classic model, where every
   * request in flight beyond the instances' count is a cold start; more is fluid compute.
   */
  requestsPerInstance?: number;
}

export interface VercelRuntime {
  url: string;
  /** Every instance started so far, by function name (`api/health`), in start order. */
  instances(): Instance[];
  /** The functions' logs, each line prefixed with `[<function> <pid>]`. */
  output(): string;
  stop(): Promise<void>;
}

export async function startVercelRuntime(options: VercelRuntimeOptions): Promise<VercelRuntime> {
  const output = readBuildOutput(options.outputDir);
  const region = options.region ?? "iad1";
  const lines: string[] = [];
  const pools = new Map<string, FunctionPool>();
  let deploymentHost = "";

  const poolOf = (functionDir: string): FunctionPool => {
    let pool = pools.get(functionDir);
    if (!pool) {
      pool = functionPool(
        output,
        functionDir,
        {
          project: options.env,
          system: {
            VERCEL: "1",
            VERCEL_ENV: options.vercelEnv ?? "production",
            VERCEL_REGION: region,
            VERCEL_URL: deploymentHost,
          },
        },
        (line) => lines.push(line),
        options.requestsPerInstance,
      );
      pools.set(functionDir, pool);
    }
    return pool;
  };

  const server = http.createServer((request, response) => {
    serve(output, poolOf, request, response, { deploymentHost, region }).catch((error: unknown) => {
      lines.push(
        `[runtime] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
      response.end("FUNCTION_INVOCATION_FAILED");
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  deploymentHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `http://${deploymentHost}`,
    instances: () => [...pools.values()].flatMap((pool) => pool.instances()),
    output: () => lines.join("\n"),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.stop()));
    },
  };
}

async function serve(
  output: BuildOutput,
  poolOf: (functionDir: string) => FunctionPool,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  edge: { deploymentHost: string; region: string },
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://local");
  const routing: RoutingRequest = {
    method: request.method ?? "GET",
    pathname: url.pathname,
    query: url.searchParams,
    headers: edgeHeaders(request, edge),
  };
  const body = await readBody(request);
  const runMiddleware = async (functionDir: string, current: RoutingRequest) => {
    const answer = await invoke(
      poolOf(functionDir),
      current,
      `${current.pathname}${url.search}`,
      body,
    );
    return { status: answer.status, headers: answer.headers, body: await collect(answer.body) };
  };
  const target = await routeRequest(output, routing, runMiddleware);
  await respond(target, routing, body, poolOf, response);
}

async function respond(
  target: Target,
  request: RoutingRequest,
  body: Buffer,
  poolOf: (functionDir: string) => FunctionPool,
  response: http.ServerResponse,
): Promise<void> {
  if (target.kind === "answer") {
    response.writeHead(target.status, plain(target.headers));
    response.end(target.body);
    return;
  }
  if (target.kind === "static") {
    const headers = plain(target.headers);
    headers["content-type"] ??= target.contentType ?? contentTypeOf(target.file);
    response.writeHead(target.status, headers);
    createReadStream(target.file).pipe(response);
    return;
  }
  request.headers.set("x-matched-path", target.matchedPath);
  const search = target.query.size > 0 ? `?${target.query}` : "";
  const answer = await invoke(
    poolOf(target.functionDir),
    request,
    `${target.matchedPath}${search}`,
    body,
  );
  const headers = { ...plain(target.headers), ...plain(answer.headers) };
  response.writeHead(target.status ?? answer.status, headers);
  answer.body.pipe(response);
}

/** One request through a function instance's bridge; the instance is busy until the body ends. */
async function invoke(
  pool: FunctionPool,
  request: RoutingRequest,
  pathAndQuery: string,
  body: Buffer,
): Promise<{ status: number; headers: Headers; body: http.IncomingMessage }> {
  const instance = await pool.acquire();
  return new Promise((resolve, reject) => {
    const forwarded = http.request(
      {
        host: "127.0.0.1",
        port: instance.port,
        method: request.method,
        path: pathAndQuery,
        headers: { ...plain(request.headers), "content-length": String(body.length) },
      },
      (answer) => {
        answer.once("close", () => pool.release(instance));
        const headers = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
          for (const item of [value].flat()) if (item !== undefined) headers.append(name, item);
        }
        resolve({ status: answer.statusCode ?? 502, headers, body: answer });
      },
    );
    forwarded.once("error", reject);
    forwarded.end(body);
  });
}

/** Per-connection headers: each hop (client ↔ runtime ↔ bridge) frames its own messages. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "date",
]);

function plain(headers: Headers): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    if (name !== "set-cookie" && !HOP_BY_HOP.has(name)) result[name] = value;
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) result["set-cookie"] = cookies;
  return result;
}

async function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return collect(request);
}

async function collect(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".ico": "image/x-icon",
  ".png": "image/png",
};

function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream";
}
