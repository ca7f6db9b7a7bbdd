// One function instance: the process the runtime starts for each cold start. It loads the
// function's handler (which, for Next, starts Next in minimal mode) and serves it on a local
// HTTP bridge, as Vercel's Node runtime does; the runtime learns the bridge's port over IPC.
//
//   node instance.mjs <assembled function folder> <handler file> <node | web>
//
// `web` handlers (useWebApi, Next's middleware) take a Request and return a Response.
import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";

const [functionDir, handlerFile, kind] = process.argv.slice(2);
if (!functionDir || !handlerFile || (kind !== "node" && kind !== "web")) {
  console.error("usage: node instance.mjs <function folder> <handler file> <node | web>");
  process.exit(2);
}

// Vercel's request context: the launcher hands its `waitUntil` to Next (`after()` needs it). Work
// given to it keeps running after the response, as on Vercel until the instance is frozen.
const requestContext = new AsyncLocalStorage();
globalThis[Symbol.for("@vercel/request-context")] = { get: () => requestContext.getStore() };
const withContext = (serve) => (req, res) =>
  requestContext.run(
    {
      headers: req.headers,
      waitUntil: (promise) => {
        Promise.resolve(promise).catch((error) => console.error(error));
      },
    },
    () => serve(req, res),
  );

const require = createRequire(path.join(functionDir, handlerFile));
const loaded = require(path.join(functionDir, handlerFile));
const handler = loaded.default ?? loaded;

const server = http.createServer(
  withContext(kind === "node" ? handler : (req, res) => serveWeb(req, res)),
);
server.listen(0, "127.0.0.1", () => {
  process.send?.({ port: server.address().port });
});

async function serveWeb(req, res) {
  try {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const item of [value].flat()) if (item !== undefined) headers.append(name, item);
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? Readable.toWeb(req) : undefined,
      duplex: hasBody ? "half" : undefined,
    });
    const response = await handler(request);
    const out = {};
    for (const [name, value] of response.headers) if (name !== "set-cookie") out[name] = value;
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) out["set-cookie"] = cookies;
    res.writeHead(response.status, out);
    if (response.body) Readable.fromWeb(response.body).pipe(res);
    else res.end();
  } catch (error) {
    console.error(error);
    res.writeHead(500).end();
  }
}
