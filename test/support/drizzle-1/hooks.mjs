// Module resolution hooks (register.mjs): a bare `drizzle-orm` or `drizzle-kit` import, with or
// without a subpath, resolves as if imported from .data/drizzle-1, where the 1.0 pair is
// installed; everything else resolves as usual.
const SCRATCH = new URL("../../../.data/drizzle-1/package.json", import.meta.url).href;
const REDIRECTED = /^drizzle-(orm|kit)(\/|$)/;

export async function resolve(specifier, context, nextResolve) {
  if (!REDIRECTED.test(specifier)) return nextResolve(specifier, context);
  return nextResolve(specifier, { ...context, parentURL: SCRATCH });
}
