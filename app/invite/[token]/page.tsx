import type { Metadata } from "next";
import Link from "next/link";
import { NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/lib/auth";
import {
  findInvitation,
  formatUtc,
  INVITE_NOT_FOUND_MESSAGE,
  inviteExpiredMessage,
} from "@/lib/invitations";
import { ROLE_NAMES } from "@/lib/tenancy";
import { ActionForm } from "../../_components/action-form";
import { Field } from "../../_components/field";
import { acceptInvitationAction } from "./actions";

// The token is in this page's URL: no Referer header may carry it to another site.
export const metadata: Metadata = {
  title: "Invitation · Agency Reporting",
  referrer: "no-referrer",
};

/** Shows the invitation; opening it changes nothing (link previews and scanners fetch it too). */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await findInvitation(token);

  if (invitation.state !== "valid") {
    return (
      <main>
        <h1>This invitation cannot be used</h1>
        <p role="alert">
          {invitation.state === "expired"
            ? inviteExpiredMessage(invitation.expiresAt)
            : INVITE_NOT_FOUND_MESSAGE}
        </p>
        <p>
          <Link href="/sign-in">Sign in</Link>
        </p>
      </main>
    );
  }

  return (
    <main>
      <h1>You are invited</h1>
      <ul>
        {invitation.grants.map((grant) => (
          <li key={`${grant.tenantName ?? "*"}:${grant.role}`}>
            {grant.invitedByName ?? "An administrator"} invited <strong>{invitation.email}</strong>{" "}
            to {grant.tenantName ?? "the agency (every client)"} as {ROLE_NAMES[grant.role]}.
          </li>
        ))}
      </ul>
      <p>
        Choose your name and a password to finish. The invitation is valid until{" "}
        {formatUtc(invitation.expiresAt)}.
      </p>
      <ActionForm
        action={acceptInvitationAction}
        submitLabel="Accept invitation"
        pendingLabel="Setting up your account…"
      >
        <input type="hidden" name="token" value={token} />
        <Field
          id="email"
          label="Email"
          type="email"
          value={invitation.email}
          readOnly
          autoComplete="username"
        />
        <Field
          id="name"
          label="Name"
          name="name"
          autoComplete="name"
          required
          maxLength={NAME_MAX_LENGTH}
          defaultValue={invitation.name}
        />
        <Field
          id="password"
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={PASSWORD_MIN_LENGTH}
          maxLength={PASSWORD_MAX_LENGTH}
          hint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`}
        />
      </ActionForm>
    </main>
  );
}
