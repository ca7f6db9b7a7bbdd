import type { Metadata } from "next";
import Link from "next/link";
import {
  getActiveSession,
  NAME_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from "@/lib/auth";
import {
  findInvitation,
  formatUtc,
  INVITE_NOT_FOUND_MESSAGE,
  inviteExpiredMessage,
} from "@/lib/invitations";
import { ROLE_NAMES } from "@/lib/tenancy";
import { ActionForm } from "../../_components/action-form";
import { Field } from "../../_components/field";
import { acceptGrantAction, acceptInvitationAction } from "./actions";

// The token is in this page's URL: proxy.ts sends `Referrer-Policy: no-referrer` for it.
export const metadata: Metadata = { title: "Invitation · Agency Reporting" };

type GrantInvitation = Extract<Awaited<ReturnType<typeof findInvitation>>, { state: "grant" }>;

/**
 * Access for an account that already exists: it takes effect only when the account's owner,
 * signed in, accepts it here (docs/security.md). Anyone else holding the link is told whom it is
 * for and nothing more.
 */
async function GrantView({ token, invitation }: { token: string; invitation: GrantInvitation }) {
  const session = await getActiveSession();
  const { grant } = invitation;
  const signedInAsInvitee = session?.user.id === invitation.userId;
  return (
    <main>
      <h1>You are invited</h1>
      <p>
        {grant.invitedByName ?? "An administrator"} invited <strong>{invitation.email}</strong> to{" "}
        {grant.tenantName ?? "the agency (every client)"} as {ROLE_NAMES[grant.role]}. The
        invitation is valid until {formatUtc(invitation.expiresAt)}.
      </p>
      {signedInAsInvitee ? (
        <ActionForm action={acceptGrantAction} submitLabel="Accept" pendingLabel="Accepting…">
          <input type="hidden" name="token" value={token} />
        </ActionForm>
      ) : (
        <p role="alert">
          {session
            ? `You are signed in as ${session.user.email}. This invitation is for ${invitation.email}: sign out, sign in as ${invitation.email}, then open this link again.`
            : `${invitation.email} already has an account: sign in as ${invitation.email}, then open this link again to accept.`}{" "}
          <Link href={session ? "/dashboard" : "/sign-in"}>
            {session ? "Go to the dashboard" : "Sign in"}
          </Link>
        </p>
      )}
    </main>
  );
}

/** Shows the invitation; opening it changes nothing (link previews and scanners fetch it too). */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await findInvitation(token);

  if (invitation.state === "grant") return <GrantView token={token} invitation={invitation} />;
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
