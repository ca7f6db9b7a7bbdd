/**
 * `npm run vercel:build`: Vercel's own build of this project, offline and with no account
 * (docs/deployment.md, "Vercel"). It writes `.vercel/project.json` with local settings when the
 * project is not linked, then runs the pinned `vercel build --yes`, which runs the `vercel-build`
 * script (db:migrate, then next build) with this shell's variables and writes `.vercel/output`.
 * Exit code: the CLI's.
 */
import { vercelBuild } from "@tools/vercel-runtime/vercel-build";

vercelBuild(process.cwd(), process.env).then(
  (result) => {
    process.stdout.write(result.output);
    console.error(`[vercel:build] took ${(result.durationMs / 1000).toFixed(1)} s`);
    process.exit(result.code ?? 1);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
