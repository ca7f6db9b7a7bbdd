// The invitations domain's face: issuing, delivering and accepting invite links.
export {
  acceptInvitation,
  findInvitation,
  INVITE_NOT_FOUND_MESSAGE,
  inviteExpiredMessage,
} from "./accept";
export { bootstrapAgencyAdmin } from "./bootstrap";
export { inviteAgencyAdmin, inviteToTenant } from "./invite";
export { deliverAndDescribe, formatUtc } from "./messages";
