import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEnv } from "@/env";
import type { InvitationResult } from "@/lib/invitations/invite";
import { invitationOutcomeMessage } from "@/lib/invitations/messages";
import {
  configureInvitationSender,
  deliverInvitation,
  type InvitationMessage,
  type InvitationSender,
  invitationSender,
  logSender,
} from "@/lib/invitations/sender";
import {
  createInviteToken,
  hashInviteToken,
  inviteLink,
  isInviteTokenShaped,
} from "@/lib/invitations/tokens";

describe("invite tokens", () => {
  it("are 32 random bytes in base64url, stored only as their SHA-256 hex", () => {
    const tokens = Array.from({ length: 100 }, () => createInviteToken());
    for (const { token, tokenHash } of tokens) {
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
      expect(isInviteTokenShaped(token)).toBe(true);
      // The database's users_invite_token_sha256_check.
      expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(tokenHash).toBe(hashInviteToken(token));
    }
    expect(new Set(tokens.map(({ token }) => token)).size).toBe(tokens.length);
  });

  it("are recognised before any lookup; anything else is not a token", () => {
    for (const value of ["", "short", `${"a".repeat(43)}=`, "a".repeat(44), "a/".repeat(21), 42]) {
      expect(isInviteTokenShaped(value)).toBe(false);
    }
  });

  it("go into a link on the app's origin", () => {
    expect(inviteLink("https://reports.example.com", "abc")).toBe(
      "https://reports.example.com/invite/abc",
    );
  });
});

const invitation: InvitationResult = {
  outcome: "invited",
  userId: "00000000-0000-4000-8000-000000000001",
  email: "bob@example.com",
  tenant: { id: "00000000-0000-4000-8000-000000000002", name: "Acme" },
  role: "member",
  invitedByName: "Ada",
  link: "https://reports.example.com/invite/tok",
  token: "tok",
  expiresAt: new Date("2030-01-08T00:00:00Z"),
};

describe("invitation senders", () => {
  afterEach(() => {
    configureInvitationSender(undefined);
    vi.restoreAllMocks();
  });

  it("default to the log in development and test, and to none in production", () => {
    expect(invitationSender(parseEnv({ NODE_ENV: "development" }))).toBe(logSender);
    expect(invitationSender(parseEnv({ NODE_ENV: "test" }))).toBe(logSender);
    expect(invitationSender(parseEnv({ NODE_ENV: "production" }))).toBeNull();
  });

  it("can be configured, which wins everywhere", () => {
    const sender: InvitationSender = { channel: "email", send: async () => {} };
    configureInvitationSender(sender);
    expect(invitationSender(parseEnv({ NODE_ENV: "production" }))).toBe(sender);
  });

  it("get the link and the context; success says where it went", async () => {
    const sent: InvitationMessage[] = [];
    const delivery = await deliverInvitation(invitation, {
      channel: "email",
      send: async (message) => void sent.push(message),
    });
    expect(delivery).toEqual({ status: "sent", channel: "email" });
    expect(sent).toEqual([
      {
        kind: "invitation",
        to: "bob@example.com",
        link: invitation.link,
        tenantName: "Acme",
        role: "member",
        invitedByName: "Ada",
        expiresAt: invitation.expiresAt,
      },
    ]);
  });

  it("without a sender, hand the link back for the admin to copy", async () => {
    expect(await deliverInvitation(invitation, null)).toEqual({
      status: "not-sent",
      link: invitation.link,
    });
  });

  it("that fail hand the link back too, with the reason", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const failing: InvitationSender = {
      channel: "email",
      send: async () => {
        throw new Error("SMTP down");
      },
    };
    expect(await deliverInvitation(invitation, failing)).toEqual({
      status: "not-sent",
      link: invitation.link,
      error: "Sending through email failed",
    });
  });

  it("send a grant to an existing account as a link to open signed in", async () => {
    const sent: InvitationMessage[] = [];
    const granted = { ...invitation, outcome: "granted" as const };
    await deliverInvitation(granted, { channel: "email", send: async (m) => void sent.push(m) });
    expect(sent).toMatchObject([{ kind: "grant", link: invitation.link }]);
  });

  it("log the link in development", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    await deliverInvitation(invitation, logSender);
    expect(info).toHaveBeenCalledWith(
      "[invitations] Ada invited bob@example.com to Acme as Member (valid until " +
        "2030-01-08T00:00:00.000Z): https://reports.example.com/invite/tok",
    );
  });
});

describe("what the admin reads after inviting", () => {
  const until = "It is valid until 2030-01-08 00:00 UTC.";

  it("says where a sent link went", () => {
    expect(invitationOutcomeMessage(invitation, { status: "sent", channel: "email" })).toEqual({
      message: `Invited bob@example.com to Acme as Member. The link went to email. ${until}`,
    });
  });

  it("hands over the link when no sender took it, and says why", () => {
    const link = invitation.link ?? "";
    expect(invitationOutcomeMessage(invitation, { status: "not-sent", link })).toEqual({
      message:
        "Invited bob@example.com to Acme as Member. No invitation sender is configured: copy the " +
        `link below and send it to them yourself; it works once. ${until}`,
      link,
    });
    const failed = invitationOutcomeMessage(
      { ...invitation, outcome: "reinvited" },
      { status: "not-sent", link, error: "Sending through email failed" },
    );
    expect(failed.message).toMatch(
      /^Sent bob@example.com a new invitation to Acme as Member; their previous link no longer works\. Sending through email failed: copy the link/,
    );
    expect(failed.link).toBe(link);
  });

  it("reads the same for an existing account as for a new one (no account is revealed)", () => {
    const link = invitation.link;
    const delivery = { status: "not-sent", link } as const;
    expect(invitationOutcomeMessage({ ...invitation, outcome: "granted" }, delivery)).toEqual(
      invitationOutcomeMessage(invitation, delivery),
    );
  });
});
