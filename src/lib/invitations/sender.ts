import { appBaseUrl, type Env, readEnv } from "@/env";
import type { MembershipRole } from "@/lib/db/schema";
import { ROLE_NAMES } from "@/lib/tenancy/roles";
import type { InvitationResult } from "./invite";

/** What a sender gets: everything needed to write the email (or chat message, or log line). */
export interface InvitationMessage {
  /** `invitation`: a link to choose a password; `access-granted`: an active user gained a tenant. */
  kind: "invitation" | "access-granted";
  to: string;
  /** The one-time invite link, or the sign-in page for `access-granted`. */
  link: string;
  tenantName: string | null;
  role: MembershipRole;
  invitedByName: string | null;
  expiresAt: Date | null;
}

/**
 * Delivers invitations. The project ships none that sends email; to add one, implement this and
 * call `configureInvitationSender()` once per process (in `instrumentation.ts`'s `register()`).
 */
export interface InvitationSender {
  /** Where messages go, as the admin page says it: "email", "the server log". */
  readonly channel: string;
  send(message: InvitationMessage): Promise<void>;
}

/** The development default: the link in the server's log, where the developer is looking. */
export const logSender: InvitationSender = {
  channel: "the server log",
  async send(message) {
    console.info(`[invitations] ${describeInvitation(message)}: ${message.link}`);
  },
};

const senderKey = Symbol.for("agency-reporting.invitation-sender");
type SenderHolder = { [senderKey]?: InvitationSender | null };

/**
 * Sets the process's sender: null for none (admins copy links), undefined for the default. On
 * `globalThis`, so every route bundle of the process sees it.
 */
export function configureInvitationSender(sender: InvitationSender | null | undefined): void {
  (globalThis as SenderHolder)[senderKey] = sender;
}

/**
 * The configured sender; without one, the log sender outside production and none in production,
 * where an unread log would lose the link: the admin page then shows it to copy.
 */
export function invitationSender(env: Env = readEnv()): InvitationSender | null {
  const configured = (globalThis as SenderHolder)[senderKey];
  if (configured !== undefined) return configured;
  return env.NODE_ENV === "production" ? null : logSender;
}

export type Delivery =
  | { status: "sent"; channel: string }
  /** The admin must pass `link` on; `error` says why the sender did not take it, if it failed. */
  | { status: "not-sent"; link: string; error?: string }
  /** `added-to-pending`: the user's pending link (sent earlier) covers the new membership. */
  | { status: "nothing-to-send" };

/** The message for an invitation's outcome, or null when there is nothing new to tell. */
function invitationMessage(result: InvitationResult, baseUrl: string): InvitationMessage | null {
  if (result.outcome === "added-to-pending") return null;
  return {
    kind: result.link ? "invitation" : "access-granted",
    to: result.email,
    link: result.link ?? new URL("/sign-in", baseUrl).toString(),
    tenantName: result.tenant?.name ?? null,
    role: result.role,
    invitedByName: result.invitedByName,
    expiresAt: result.expiresAt ?? null,
  };
}

/**
 * Hands an invitation to the sender, after it is committed. A failing sender does not undo the
 * invitation: the admin gets the link to pass on instead.
 */
export async function deliverInvitation(
  result: InvitationResult,
  sender: InvitationSender | null = invitationSender(),
  baseUrl: string = appBaseUrl(),
): Promise<Delivery> {
  const message = invitationMessage(result, baseUrl);
  if (!message) return { status: "nothing-to-send" };
  if (!sender) return { status: "not-sent", link: message.link };
  try {
    await sender.send(message);
    return { status: "sent", channel: sender.channel };
  } catch (error) {
    console.error(`[invitations] the ${sender.channel} sender failed for ${message.to}: ${error}`);
    return {
      status: "not-sent",
      link: message.link,
      error: `Sending through ${sender.channel} failed`,
    };
  }
}

/** "Ada Admin invited bob@example.com to Acme as Member (link valid until …)". */
function describeInvitation(message: InvitationMessage): string {
  const by = message.invitedByName ? `${message.invitedByName} invited` : "Invitation for";
  const where = message.tenantName ?? "the agency";
  const until = message.expiresAt ? ` (valid until ${message.expiresAt.toISOString()})` : "";
  const what = message.kind === "invitation" ? "" : "; they already have an account: sign in";
  return `${by} ${message.to} to ${where} as ${ROLE_NAMES[message.role]}${until}${what}`;
}
