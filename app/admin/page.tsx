import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatUtc, listPendingOffers } from "@/lib/invitations";
import {
  can,
  listUsers,
  listVisibleTenants,
  ROLE_NAMES,
  requireCurrentActor,
  TENANT_NAME_MAX_LENGTH,
  TENANT_SLUG_MAX_LENGTH,
} from "@/lib/tenancy";
import { ActionForm } from "../_components/action-form";
import { Field } from "../_components/field";
import {
  changeUserStatusAction,
  createTenantAction,
  inviteAgencyAdminAction,
  revokeOfferAction,
} from "./actions";

export const metadata: Metadata = { title: "Agency admin · Agency Reporting" };

export default async function AdminPage() {
  const actor = await requireCurrentActor();
  // Only agency admins learn that this page exists.
  if (!can(actor, "agency:manage")) notFound();
  const [tenants, people, pending] = await Promise.all([
    listVisibleTenants(actor),
    listUsers(actor),
    listPendingOffers(actor),
  ]);

  return (
    <main>
      <p>
        <Link href="/dashboard">Back to the dashboard</Link>
      </p>
      <h1>Agency admin</h1>

      <section aria-labelledby="clients-heading">
        <h2 id="clients-heading">Clients</h2>
        {tenants.length === 0 ? (
          <p>No clients yet.</p>
        ) : (
          <ul>
            {tenants.map((tenant) => (
              <li key={tenant.id}>
                <Link href={`/tenants/${tenant.id}`}>{tenant.name}</Link>
              </li>
            ))}
          </ul>
        )}
        <h3>Create a client</h3>
        <ActionForm
          action={createTenantAction}
          submitLabel="Create client"
          pendingLabel="Creating…"
        >
          <Field
            id="tenant-name"
            label="Name"
            name="name"
            required
            maxLength={TENANT_NAME_MAX_LENGTH}
          />
          <Field
            id="tenant-slug"
            label="Slug (optional)"
            name="slug"
            maxLength={TENANT_SLUG_MAX_LENGTH}
            hint="Lowercase letters, digits and hyphens, e.g. acme-dental. Made from the name when empty."
          />
        </ActionForm>
      </section>

      <section aria-labelledby="people-heading">
        <h2 id="people-heading">People</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Status</th>
              <th scope="col">Access</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {people.map((person) => (
              <tr key={person.id}>
                <td>{person.name}</td>
                <td>{person.email}</td>
                <td>{person.status}</td>
                <td>
                  {person.memberships
                    .map((m) => `${ROLE_NAMES[m.role]}${m.tenantName ? ` · ${m.tenantName}` : ""}`)
                    .join(", ") || "none"}
                </td>
                <td>
                  {person.id !== actor.userId && (
                    <ActionForm
                      action={changeUserStatusAction}
                      submitLabel={person.status === "suspended" ? "Reactivate" : "Suspend"}
                      submitName={`${person.status === "suspended" ? "Reactivate" : "Suspend"} ${person.email}`}
                      pendingLabel="Saving…"
                    >
                      <input
                        type="hidden"
                        id={`status-${person.id}`}
                        name="userId"
                        value={person.id}
                      />
                      <input
                        type="hidden"
                        name="change"
                        value={person.status === "suspended" ? "reactivate" : "suspend"}
                      />
                    </ActionForm>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">Pending invitations</h2>
        <p>
          Links sent and not used yet. Revoking one makes its link stop giving that access;
          suspending someone revokes every pending one they sent.
        </p>
        {pending.length === 0 ? (
          <p>Nothing pending.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Access</th>
                <th scope="col">Invited by</th>
                <th scope="col">Valid until</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {pending.map((offer) => (
                <tr key={`${offer.kind}-${offer.id}`}>
                  <td>{offer.email}</td>
                  <td>
                    {ROLE_NAMES[offer.role]}
                    {offer.tenantName ? ` · ${offer.tenantName}` : ""}
                  </td>
                  <td>{offer.invitedByName ?? "the operator"}</td>
                  <td>
                    {offer.expired
                      ? `expired ${formatUtc(offer.expiresAt)}`
                      : formatUtc(offer.expiresAt)}
                  </td>
                  <td>
                    <ActionForm
                      action={revokeOfferAction}
                      submitLabel="Revoke"
                      submitName={`Revoke the invitation of ${offer.email} to ${offer.tenantName ?? "the agency"}`}
                      pendingLabel="Revoking…"
                    >
                      <input type="hidden" name="kind" value={offer.kind} />
                      <input type="hidden" id={`revoke-${offer.id}`} name="id" value={offer.id} />
                    </ActionForm>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="agency-invite-heading">
        <h2 id="agency-invite-heading">Invite an agency admin</h2>
        <p>Agency admins see and manage every client and every person.</p>
        <ActionForm
          action={inviteAgencyAdminAction}
          submitLabel="Invite agency admin"
          pendingLabel="Inviting…"
        >
          <Field
            id="agency-email"
            label="Email"
            name="email"
            type="email"
            autoComplete="off"
            required
          />
        </ActionForm>
      </section>
    </main>
  );
}
