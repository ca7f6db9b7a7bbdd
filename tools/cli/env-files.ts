// A CommonJS bundle whose named exports Node's ESM loader cannot see.
import nextEnv from "@next/env";

/**
 * Loads the .env files exactly as Next does (`dev` picks .env.development* over
 * .env.production*; variables already set win), so a script that starts Next sees the same
 * DATABASE_URL the Next server will. Call it before the first `readEnv()`.
 */
export function loadEnvFilesLikeNext(dev: boolean): void {
  nextEnv.loadEnvConfig(process.cwd(), dev, {
    info: () => {},
    error: (...args) => console.error(...args),
  });
}
