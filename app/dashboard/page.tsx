import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { getActiveSession } from "@/lib/auth";
import { listMemberships, listVisibleTenants, loadActor, ROLE_NAMES } from "@/lib/tenancy";
import { SignOutButton } from "./sign-out-button";

export const metadata: Metadata = { title: "Dashboard · Agency Reporting" };

export default async function DashboardPage() {
  // The proxy's cookie check only saves a round trip; this is the check that counts.
  const session = await getActiveSession();
  if (!session) redirect("/sign-in");
  const { user } = session;
  const actor = await loadActor(user.id);
  if (!actor) redirect("/sign-in");
  const [memberships, tenants] = await Promise.all([
    listMemberships(user.id),
    listVisibleTenants(actor),
  ]);

  return (
    <main>
      <h1>Dashboard</h1>
      <section aria-labelledby="account-heading">
        <h2 id="account-heading">Your account</h2>
        <dl>
          <dt>Name</dt>
          <dd data-testid="user-name">{user.name}</dd>
          <dt>Email</dt>
          <dd data-testid="user-email">{user.email}</dd>
          <dt>Status</dt>
          <dd data-testid="user-status">{user.status}</dd>
        </dl>
      </section>
      <section aria-labelledby="memberships-heading">
        <h2 id="memberships-heading">Memberships</h2>
        {memberships.length === 0 ? (
          <p>You are not a member of any client yet. An administrator can invite you.</p>
        ) : (
          <ul>
            {memberships.map((membership) => (
              <li key={`${membership.tenantName ?? "*"}:${membership.role}`}>
                {ROLE_NAMES[membership.role]} · {membership.tenantName ?? "all clients"}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="clients-heading">
        <h2 id="clients-heading">Clients</h2>
        {tenants.length === 0 ? (
          <p>No clients to show.</p>
        ) : (
          <ul data-testid="client-list">
            {tenants.map((tenant) => (
              <li key={tenant.id}>
                <Link href={`/tenants/${tenant.id}`}>{tenant.name}</Link>
              </li>
            ))}
          </ul>
        )}
        {actor.agencyAdmin && (
          <p>
            <Link href="/admin">Agency admin: clients and people</Link>
          </p>
        )}
      </section>
      <SignOutButton />
    </main>
  );
}
