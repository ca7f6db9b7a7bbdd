import { like } from "drizzle-orm";
import { createDbConnection } from "@/lib/db/client";
import { tenants } from "@/lib/db/schema";
import { formSuccess, signedUpAccount } from "./attack-accounts";
import { type HttpAnswer, readForm, request, signIn } from "./http-client";

/**
 * Bursts of concurrent requests of every kind that reaches the database, against a server started
 * with the loopback trusted as its proxy (`BETTER_AUTH_TRUSTED_PROXIES`): each request says it
 * comes from an address of its own (`x-forwarded-for`), so no per-address limit turns one away.
 */

export const REQUEST_KINDS = ["sign-in", "session", "health", "page", "admin write"] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface Answered {
  kind: RequestKind;
  ms: number;
  /** Undefined when the answer is the one a working server gives. */
  problem?: string;
}

export interface BurstTarget {
  url: string;
  /** The database itself (not a pooler), to arrange the admin's membership and count writes. */
  databaseUrl: string;
}

let nextAddress = 1;
/** An address from the benchmarking range (198.18.0.0/15) that no earlier request used. */
const freshClientAddress = () => {
  const n = nextAddress++;
  return `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`;
};

/** What the burst's requests act as: a signed-in agency admin, and the admin page's create form. */
export async function burstActors(target: BurstTarget) {
  const connection = createDbConnection({ url: target.databaseUrl, max: 1 });
  try {
    const app = { url: target.url, db: connection.db };
    const admin = await signedUpAccount(app, "burst-admin", [
      { tenantId: null, role: "agency_admin" },
    ]);
    const createForm = await readForm(target.url, "/admin", {
      cookie: admin.cookie,
      fieldId: "tenant-name",
    });
    return { admin, createForm };
  } finally {
    await connection.close();
  }
}

type Actors = Awaited<ReturnType<typeof burstActors>>;

/** One request of `kind`, and whether its answer is right. */
export async function send(
  target: BurstTarget,
  actors: Actors,
  kind: RequestKind,
  label: string,
): Promise<Answered> {
  const from = { headers: { "x-forwarded-for": freshClientAddress() } };
  const { admin } = actors;
  const started = performance.now();
  const judge = async (
    answer: Promise<HttpAnswer>,
    status: number,
    check: (answer: HttpAnswer) => string | undefined = () => undefined,
  ): Promise<Answered> => {
    const problem = await answer.then(
      (got) =>
        got.status === status ? check(got) : `answered ${got.status}: ${got.body.slice(0, 200)}`,
      (error: unknown) => `no answer: ${String(error)}`,
    );
    return { kind, ms: performance.now() - started, problem };
  };
  switch (kind) {
    case "sign-in":
      return judge(
        signIn(
          target.url,
          { email: `${label}@example.com`, password: "not-the-password" },
          from,
        ).then(({ answer }) => answer),
        401,
      );
    case "session":
      return judge(
        request(target.url, "/api/auth/get-session", { ...from, cookie: admin.cookie }),
        200,
        (got) => (got.body.includes(admin.email) ? undefined : `no session: ${got.body}`),
      );
    case "health":
      return judge(request(target.url, "/api/health", from), 200);
    case "page":
      return judge(
        request(target.url, "/dashboard", { ...from, cookie: admin.cookie }),
        200,
        (got) =>
          got.body.includes(admin.email) ? undefined : "the dashboard does not show the admin",
      );
    case "admin write":
      return judge(
        actors.createForm.post({ name: `Burst ${label}`, slug: `burst-${label}` }, from),
        200,
        (got) => {
          try {
            formSuccess(got);
            return undefined;
          } catch (error) {
            return String(error);
          }
        },
      );
  }
}

/** `size` requests at once, the kinds in turn; `round` keeps labels unique across bursts. */
export function burst(
  target: BurstTarget,
  actors: Actors,
  round: number,
  size = 60,
): Promise<Answered[]> {
  return Promise.all(
    Array.from({ length: size }, (_, n) =>
      send(
        target,
        actors,
        REQUEST_KINDS[n % REQUEST_KINDS.length] as RequestKind,
        `r${round}-${n}`,
      ),
    ),
  );
}

/** The clients the admin's writes created (slugs `burst-…`). */
export async function burstTenantCount(target: BurstTarget): Promise<number> {
  const connection = createDbConnection({ url: target.databaseUrl, max: 1 });
  try {
    const rows = await connection.db
      .select({ id: tenants.id })
      .from(tenants)
      .where(like(tenants.slug, "burst-%"));
    return rows.length;
  } finally {
    await connection.close();
  }
}
