import {
  type BuildOutput,
  type Condition,
  functionAt,
  type Phase,
  type Route,
  staticFileAt,
} from "./build-output";

/**
 * Routing by a Build Output's own `config.json` routes (Build Output API v3), in the order of its
 * phases: the routes before the first `handle`, then the filesystem; on a miss the `filesystem`,
 * then `rewrite`, then `resource` routes; on a hit the `hit` routes; a final 4xx/5xx through the
 * `error` routes. A route with `check` looks at the filesystem again after its rewrite (and runs
 * the `miss` routes when nothing is there). A route with `middlewarePath` runs that function.
 */

export interface RoutingRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  /** The request's headers as the function will get them; routes and middleware change them. */
  headers: Headers;
}

/** What the middleware function answered, read in full. */
export interface MiddlewareAnswer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type Target =
  | { kind: "answer"; status: number; headers: Headers; body: Buffer }
  | {
      kind: "static";
      file: string;
      contentType: string | undefined;
      status: number;
      headers: Headers;
    }
  | {
      kind: "function";
      functionDir: string;
      /** The function's route (`/api/auth/[...all]`), sent as `x-matched-path`. */
      matchedPath: string;
      query: URLSearchParams;
      status: number | undefined;
      headers: Headers;
    };

export type RunMiddleware = (
  functionDir: string,
  request: RoutingRequest,
) => Promise<MiddlewareAnswer>;

export async function routeRequest(
  output: BuildOutput,
  request: RoutingRequest,
  runMiddleware: RunMiddleware,
): Promise<Target> {
  const phases = byPhase(output.config.routes ?? []);
  const state = { pathname: request.pathname, status: undefined as number | undefined };
  const responseHeaders = new Headers();

  const found = (pathname: string): Target | undefined => {
    const file = staticFileAt(output, pathname);
    if (file)
      return { kind: "static", ...file, status: state.status ?? 200, headers: responseHeaders };
    const functionDir = functionAt(output, pathname);
    if (!functionDir) return undefined;
    return {
      kind: "function",
      functionDir,
      matchedPath: pathname,
      query: request.query,
      status: state.status,
      headers: responseHeaders,
    };
  };

  /** Runs one phase's routes; a target when one of them settles the request. */
  const run = async (phase: Phase | "none"): Promise<Target | "stop" | undefined> => {
    for (const route of phases.get(phase) ?? []) {
      const captures = matchRoute(route, request, state.pathname);
      if (!captures) continue;
      for (const [name, value] of Object.entries(route.headers ?? {})) {
        responseHeaders.set(name, substitute(value, captures));
      }
      for (const transform of route.transforms ?? []) applyTransform(transform, request.headers);
      if (route.status !== undefined) state.status = route.status;
      const location = responseHeaders.get("location");
      if (location && state.status !== undefined && state.status >= 300 && state.status < 400) {
        return {
          kind: "answer",
          status: state.status,
          headers: responseHeaders,
          body: Buffer.alloc(0),
        };
      }
      if (route.middlewarePath) {
        const middleware = functionAt(output, route.middlewarePath);
        if (!middleware)
          throw new Error(`config.json names a missing middleware ${route.middlewarePath}`);
        const answer = await runMiddleware(middleware, { ...request, pathname: state.pathname });
        const settled = followMiddleware(answer, request, responseHeaders);
        if (settled) return settled;
        const rewrite = answer.headers.get("x-middleware-rewrite");
        if (rewrite)
          rewriteTo(
            new URL(rewrite, "http://local").pathname + new URL(rewrite, "http://local").search,
          );
      }
      if (route.dest) rewriteTo(substitute(route.dest, captures));
      if (route.check && route.dest) {
        const target = found(state.pathname) ?? (await run("miss"));
        if (target && target !== "stop") return target;
      }
      const onlyTransforms = route.transforms && !route.dest && route.status === undefined;
      if (!route.continue && !onlyTransforms) return "stop";
    }
    return undefined;
  };

  const rewriteTo = (dest: string) => {
    const url = new URL(dest, "http://local");
    state.pathname = url.pathname;
    for (const [key, value] of url.searchParams) request.query.set(key, value);
  };

  const settle = async (target: Target | undefined): Promise<Target> => {
    if (target?.kind === "function" || target?.kind === "static") {
      const hitState = state.pathname;
      await run("hit");
      state.pathname = hitState;
      if ((target.status ?? 200) < 400) return target;
    }
    if (target?.kind === "answer") return target;
    // A 4xx/5xx (or nothing found): the `error` routes pick the page that explains it.
    state.status = target?.status ?? state.status ?? 404;
    const status = state.status;
    await run("error");
    const page = found(state.pathname);
    if (page) return { ...page, status };
    return { kind: "answer", status, headers: responseHeaders, body: Buffer.from("Not Found") };
  };

  const first = await run("none");
  if (first && first !== "stop") return settle(first);
  const direct = found(state.pathname);
  if (direct) return settle(direct);
  for (const phase of ["filesystem", "rewrite", "resource"] as const) {
    const target = await run(phase);
    if (target && target !== "stop") return settle(target);
    if (state.status !== undefined && state.status >= 400) return settle(undefined);
  }
  return settle(found(state.pathname));
}

function byPhase(routes: Route[]): Map<Phase | "none", Route[]> {
  const phases = new Map<Phase | "none", Route[]>();
  let current: Phase | "none" = "none";
  for (const route of routes) {
    if (route.handle) {
      current = route.handle;
      continue;
    }
    phases.set(current, [...(phases.get(current) ?? []), route]);
  }
  return phases;
}

type Captures = Record<string, string>;

/** The route's captures (`$1`, `$name`) when it matches, else undefined. */
function matchRoute(route: Route, request: RoutingRequest, pathname: string): Captures | undefined {
  if (route.src === undefined) return undefined;
  if (route.methods && !route.methods.includes(request.method.toUpperCase())) return undefined;
  // A route's `src` matches the whole path: `^/?` is the root only, `/500` not `/5000`.
  const match = new RegExp(`^(?:${route.src})$`).exec(pathname);
  if (!match) return undefined;
  const captures: Captures = {};
  match.forEach((value, index) => {
    if (index > 0) captures[String(index)] = value ?? "";
  });
  Object.assign(captures, match.groups);
  for (const condition of route.has ?? []) {
    const groups = conditionMatch(condition, request);
    if (!groups) return undefined;
    Object.assign(captures, groups);
  }
  for (const condition of route.missing ?? []) {
    if (conditionMatch(condition, request)) return undefined;
  }
  return captures;
}

function conditionMatch(condition: Condition, request: RoutingRequest): Captures | undefined {
  const actual = conditionValue(condition, request);
  if (actual === null || actual === undefined) return undefined;
  if (condition.value === undefined) return {};
  const match = new RegExp(`^(?:${condition.value})$`).exec(actual);
  return match ? { ...match.groups } : undefined;
}

function conditionValue(condition: Condition, request: RoutingRequest): string | null | undefined {
  switch (condition.type) {
    case "header":
      return request.headers.get(condition.key ?? "");
    case "query":
      return request.query.get(condition.key ?? "");
    case "host":
      return request.headers.get("host")?.replace(/:\d+$/, "");
    case "cookie":
      return (request.headers.get("cookie") ?? "")
        .split(";")
        .map((pair) => pair.trim().split("="))
        .find(([name]) => name === condition.key)?.[1];
  }
}

function substitute(template: string, captures: Captures): string {
  return template.replace(/\$([A-Za-z0-9_]+)/g, (whole, name: string) => captures[name] ?? whole);
}

function applyTransform(
  transform: NonNullable<Route["transforms"]>[number],
  headers: Headers,
): void {
  if (transform.type !== "request.headers") return;
  const values = [transform.args ?? []].flat();
  if (transform.op === "delete") headers.delete(transform.target.key);
  else if (transform.op === "set") headers.set(transform.target.key, values.join(", "));
  else for (const value of values) headers.append(transform.target.key, value);
}

/**
 * Next's middleware protocol: `x-middleware-next` (or a rewrite) lets the request through, with
 * the request headers it lists in `x-middleware-override-headers` replaced by its
 * `x-middleware-request-*` values and its other headers added to the response; any other answer
 * (a redirect, a refusal) goes to the client as it is.
 */
function followMiddleware(
  answer: MiddlewareAnswer,
  request: RoutingRequest,
  responseHeaders: Headers,
): Target | undefined {
  const passes =
    answer.headers.has("x-middleware-next") || answer.headers.has("x-middleware-rewrite");
  const overridden = answer.headers.get("x-middleware-override-headers");
  if (passes && overridden !== null) {
    const names = overridden
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    for (const name of [...request.headers.keys()]) {
      if (!names.includes(name)) request.headers.delete(name);
    }
    for (const name of names) {
      const value = answer.headers.get(`x-middleware-request-${name}`);
      if (value !== null) request.headers.set(name, value);
    }
  }
  for (const [name, value] of answer.headers) {
    if (name.startsWith("x-middleware-") || !passes) continue;
    if (name === "set-cookie") responseHeaders.append(name, value);
    else responseHeaders.set(name, value);
  }
  if (passes) return undefined;
  const headers = new Headers(responseHeaders);
  for (const [name, value] of answer.headers) {
    if (name === "set-cookie") headers.append(name, value);
    else headers.set(name, value);
  }
  return { kind: "answer", status: answer.status, headers, body: answer.body };
}
