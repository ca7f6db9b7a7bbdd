// The invitations domain's face: issuing, delivering and accepting invite links.
export { acceptInvitation, findInvitation } from "./accept";
export { bootstrapAgencyAdmin } from "./bootstrap";
export { acceptGrant } from "./grants";
export { inviteAgencyAdmin, inviteToTenant } from "./invite";
export { deliverAndDescribe, formatUtc } from "./messages";
export { INVITE_NOT_FOUND_MESSAGE, inviteExpiredMessage } from "./refusals";
export { listPendingOffers, type PendingOffer, revokeOffer } from "./revoke";
