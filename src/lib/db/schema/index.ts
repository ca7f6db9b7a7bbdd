export * from "./auth";
export * from "./relations";
export * from "./reporting";
export * from "./tenancy";
