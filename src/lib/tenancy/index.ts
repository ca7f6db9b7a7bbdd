// The tenancy domain's face: tenants, users and memberships, and who may see and do what.
// Client components import `./action-state` directly: this face reaches the database.
export { type Actor, can, loadActor } from "./access";
export { type ActionState, refusalState } from "./action-state";
export { actAsCurrentActor, requireCurrentActor } from "./current-actor";
export { TenancyError } from "./errors";
export { ROLE_NAMES, TENANT_ROLES } from "./roles";
export {
  createTenant,
  getTenant,
  listTenantMembers,
  listVisibleTenants,
  TENANT_NAME_MAX_LENGTH,
  TENANT_SLUG_MAX_LENGTH,
} from "./tenants";
export { changeUserStatus, listUsers } from "./user-admin";
export { listMemberships } from "./users";
