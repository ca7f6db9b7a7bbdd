import { and, eq, isNull } from "drizzle-orm";
import { type MembershipRole, membershipGrants, memberships, users } from "@/lib/db/schema";
import type { AttackServer } from "./attack-server";
import { freshLoopbackAddress, type HttpAnswer, signUp, unescapeHtml } from "./http-client";
import { uniqueEmail } from "./tenancy";

/**
 * An account signed up over HTTP on `app`, its session cookie, and these memberships (a `null`
 * tenant: agency admin), written to the database as an admin would have granted them. Each signs
 * up from a loopback address of its own: sign-up allows 3 requests per 10 s from one address.
 */
export async function signedUpAccount(
  app: Pick<AttackServer, "url" | "db">,
  label: string,
  roles: { tenantId: string | null; role: MembershipRole }[] = [],
) {
  const email = uniqueEmail(label);
  const { answer, cookie } = await signUp(app.url, email, label, {
    from: freshLoopbackAddress(),
  });
  if (answer.status !== 200) {
    throw new Error(`signing up ${email} answered ${answer.status}: ${answer.body}`);
  }
  const [user] = await app.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (!user) throw new Error(`no users row for ${email}`);
  for (const membership of roles) {
    await app.db.insert(memberships).values({ userId: user.id, ...membership });
  }
  return { id: user.id, email, cookie };
}

/** The grants (links waiting to be accepted) of a user for a tenant (`null`: the agency). */
export function grantsOf(app: AttackServer, userId: string, tenantId: string | null) {
  return app.db
    .select({ role: membershipGrants.role })
    .from(membershipGrants)
    .where(
      and(
        eq(membershipGrants.userId, userId),
        tenantId === null
          ? isNull(membershipGrants.tenantId)
          : eq(membershipGrants.tenantId, tenantId),
      ),
    );
}

/**
 * What the page Next rendered again after a form's POST (`submitForm`) shows as the action's
 * success (role="status"): its message and the invitation link to copy, if any. Throws with the
 * form's alert when it shows none.
 */
export function formSuccess(answer: HttpAnswer): { message: string; link: string | undefined } {
  if (answer.status !== 200) throw new Error(`the form's POST answered ${answer.status}`);
  const status = /role="status">([\s\S]*?)<\/div>/.exec(answer.body)?.[1];
  if (status === undefined) {
    const alert = /role="alert"[^>]*>([^<]*)/.exec(answer.body)?.[1];
    throw new Error(`the form shows no success: ${alert ? unescapeHtml(alert) : "no message"}`);
  }
  const message = unescapeHtml(/<p>([^<]*)<\/p>/.exec(status)?.[1] ?? "");
  const link = /value="([^"]*)"/.exec(status)?.[1];
  return { message, link: link && unescapeHtml(link) };
}
