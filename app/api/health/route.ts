import { checkHealth } from "@/server/health";

// Health reflects the live database and migration state, never a response cached at build time.
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export async function GET(request: Request): Promise<Response> {
  const { httpStatus, body } = await checkHealth(request.headers.get("authorization"));
  return Response.json(body, { status: httpStatus, headers: { "cache-control": "no-store" } });
}
