// Why a link cannot be used, in words the invite page shows.

export const INVITE_NOT_FOUND_MESSAGE =
  "This invitation link is not valid: it has been used already, replaced by a newer invitation, " +
  "or never existed. If you have set your password, sign in; otherwise ask for a new invitation.";

export function inviteExpiredMessage(expiresAt: Date): string {
  return (
    `This invitation expired on ${expiresAt.toUTCString()}. ` +
    "Ask the person who invited you to send a new one."
  );
}
