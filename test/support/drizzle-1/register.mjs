// `node --import <this file>`: drizzle-orm and drizzle-kit resolve to the 1.0 pair installed in
// .data/drizzle-1 (install.ts) instead of the app's 0.45 pair, for the process and everything it
// imports, the migrator package included (hooks.mjs).
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
