import { readEnv } from "@/env";
import { type MigrationState, readMigrationState } from "@/server/migration-state";

type Failed = Extract<MigrationState, { status: "failed" }>;

/**
 * The answer to any request while the published migration state is "failed": 503, so no page runs
 * a query against a schema the code does not match. Only servers that stay up after a failure get
 * here (`next dev`, serverless instances; a production Node server exits instead). In development
 * the page names the migration, the statement, Postgres's message and SQLSTATE and what to do; in
 * production only the code, since the reason may hold internals (the logs and `/api/health` with
 * HEALTH_TOKEN have it).
 */
export function migrationFailureResponse(request: Request): Response | undefined {
  const state = readMigrationState();
  if (state?.status !== "failed") return undefined;
  const detailed = readEnv().NODE_ENV === "development";
  const headers = { "cache-control": "no-store", "retry-after": "5" };
  if (new URL(request.url).pathname.startsWith("/api/")) {
    const body = detailed
      ? { status: "unavailable", reason: state.error, ...failureFields(state) }
      : { status: "unavailable", code: state.code };
    return Response.json(body, { status: 503, headers });
  }
  return new Response(failurePage(state, detailed), {
    status: 503,
    headers: { ...headers, "content-type": "text/html; charset=utf-8" },
  });
}

function failureFields(state: Failed) {
  return {
    code: state.code,
    file: state.tag === undefined ? undefined : migrationFile(state.tag),
    statement: state.statement,
    sqlState: state.sqlState,
  };
}

const migrationFile = (tag: string) => `drizzle/${tag}.sql`;

/** What the developer can do about each failure, in the order worth trying. */
function whatToDo(state: Failed): string[] {
  switch (state.code) {
    case "MIGRATION_FAILED":
    case "LOCK_TIMEOUT_RETRIES_EXHAUSTED":
    case "CONCURRENTLY":
    case "TRANSACTION_CONTROL":
    case "SESSION_CONTROL":
      return [
        `Fix ${state.tag ? migrationFile(state.tag) : "the migration"}: it was rolled back, so ` +
          "it is not applied here and you may edit it (unless another database already applied it).",
        "Or delete it (its .sql, its snapshot in drizzle/meta and its journal entry) and run " +
          "`npm run db:generate -- --name <name>` again.",
        "The server applies drizzle/ again as soon as a file there changes; reload this page then.",
      ];
    case "CHECKSUM_MISMATCH":
    case "UNKNOWN_APPLIED":
    case "OUT_OF_ORDER":
      return [
        "This dev database holds migrations this branch does not have, or with another text (a " +
          "branch switch, an edited migration).",
        "`npm run db:reset` drops and recreates the dev database and applies this branch's " +
          "migrations (its data is lost). Then reload this page.",
      ];
    default:
      return [
        `See docs/migrations.md#${state.code.toLowerCase()}.`,
        "The server applies drizzle/ again as soon as a file there changes.",
      ];
  }
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char,
  );

function failurePage(state: Failed, detailed: boolean): string {
  const title = detailed
    ? `Migration failed${state.tag ? `: ${migrationFile(state.tag)}` : ""} (${state.code})`
    : "Service unavailable";
  const rows = detailed
    ? [
        ["File", state.tag ? migrationFile(state.tag) : "—"],
        ["Statement", state.statement ?? "—"],
        ["SQLSTATE", state.sqlState ?? "—"],
        ["Code", state.code],
      ]
    : [["Code", state.code]];
  const body = detailed
    ? `<dl>${rows.map(([name, value]) => `<dt>${name}</dt><dd><pre>${escapeHtml(value ?? "")}</pre></dd>`).join("")}</dl>
<h2>What Postgres and the migrator said</h2><pre>${escapeHtml(state.error)}</pre>
<h2>What to do</h2><ol>${whatToDo(state)
        .map((step) => `<li>${escapeHtml(step)}</li>`)
        .join("")}</ol>`
    : `<p>The database is not at this release's schema (${escapeHtml(state.code)}). The server log has the reason.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{white-space:pre-wrap;background:#f4f4f5;padding:.5rem;border-radius:4px}dt{font-weight:600}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}
