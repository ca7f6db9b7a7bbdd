// Module resolution hooks (register.mjs): a bare `drizzle-orm` or `drizzle-kit` import, with or
// without a subpath, resolves as if imported from .data/drizzle-1, where the 1.0 pair is
// installed; everything else resolves as usual. Registered with `data.importers` (URL prefixes),
// only imports from those modules are redirected (register-package.mjs).
const SCRATCH = new URL("../../../.data/drizzle-1/package.json", import.meta.url).href;
const REDIRECTED = /^drizzle-(orm|kit)(\/|$)/;

/** @type {string[] | undefined} */
let importers;

export function initialize(data) {
  importers = data?.importers;
}

export async function resolve(specifier, context, nextResolve) {
  if (!REDIRECTED.test(specifier)) return nextResolve(specifier, context);
  const parent = context.parentURL ?? "";
  if (importers && !importers.some((prefix) => parent.startsWith(prefix))) {
    return nextResolve(specifier, context);
  }
  return nextResolve(specifier, { ...context, parentURL: SCRATCH });
}
