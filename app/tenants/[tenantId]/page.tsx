import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatUtc } from "@/lib/invitations";
import {
  can,
  getTenant,
  listTenantMembers,
  ROLE_NAMES,
  requireCurrentActor,
  TENANT_ROLES,
  TenancyError,
} from "@/lib/tenancy";
import { ActionForm } from "../../_components/action-form";
import { Field } from "../../_components/field";
import styles from "../../_components/forms.module.css";
import { inviteToTenantAction } from "./actions";

export const metadata: Metadata = { title: "Client · Agency Reporting" };

export default async function TenantPage({ params }: { params: Promise<{ tenantId: string }> }) {
  const actor = await requireCurrentActor();
  const { tenantId } = await params;
  // Not a member (or no such tenant, or not a UUID): the same 404, so ids reveal nothing.
  const tenant = await getTenant(actor, tenantId).catch((error: unknown) => {
    if (error instanceof TenancyError && error.code === "TENANT_NOT_FOUND") notFound();
    throw error;
  });
  const manages = can(actor, "tenant:manage", tenant.id);
  const members = manages ? await listTenantMembers(actor, tenant.id) : [];

  return (
    <main>
      <p>
        <Link href="/dashboard">Back to the dashboard</Link>
      </p>
      <h1>{tenant.name}</h1>
      <p>
        Slug: <code>{tenant.slug}</code>
      </p>
      <p>No reports yet.</p>

      {manages && (
        <>
          <section aria-labelledby="people-heading">
            <h2 id="people-heading">People</h2>
            {members.length === 0 ? (
              <p>Nobody has been invited yet.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {members.map((member) => (
                    <tr key={member.userId}>
                      <td>{member.name}</td>
                      <td>{member.email}</td>
                      <td>{ROLE_NAMES[member.role]}</td>
                      <td>
                        {member.status === "invited" && member.inviteExpiresAt
                          ? `invited (until ${formatUtc(member.inviteExpiresAt)})`
                          : member.status}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="invite-heading">
            <h2 id="invite-heading">Invite someone</h2>
            <p>
              Inviting someone who is already invited sends a new link; the old one stops working.
            </p>
            <ActionForm
              action={inviteToTenantAction}
              submitLabel="Send invitation"
              pendingLabel="Inviting…"
            >
              <input type="hidden" name="tenantId" value={tenant.id} />
              <Field
                id="invite-email"
                label="Email"
                name="email"
                type="email"
                autoComplete="off"
                required
              />
              <p className={styles.field}>
                <label htmlFor="invite-role">Role</label>
                <select id="invite-role" name="role" defaultValue="member">
                  {TENANT_ROLES.map((role) => (
                    <option key={role} value={role}>
                      {ROLE_NAMES[role]}
                    </option>
                  ))}
                </select>
              </p>
            </ActionForm>
          </section>
        </>
      )}
    </main>
  );
}
