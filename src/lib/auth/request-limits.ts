/**
 * The auth endpoints take a few short strings; Better Auth reads whatever body it is given into
 * memory (and Next puts no limit on route handlers), so the route caps the body first.
 */
const MAX_AUTH_BODY_BYTES = 16 * 1024;

/**
 * The request with its body buffered, or a 413 response when the body is larger than the cap.
 * A declared Content-Length is refused without reading; a chunked body is read only up to the cap.
 */
async function limitRequestBody(request: Request): Promise<Request | Response> {
  if (request.body === null) return request;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_AUTH_BODY_BYTES) return bodyTooLarge();

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_AUTH_BODY_BYTES) {
      await reader.cancel();
      return bodyTooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
  });
}

function bodyTooLarge(): Response {
  return Response.json(
    {
      code: "BODY_TOO_LARGE",
      message: `The request body is larger than ${MAX_AUTH_BODY_BYTES / 1024} KiB, the limit for auth requests.`,
    },
    { status: 413 },
  );
}

/** Wraps an auth handler so every request passes `limitRequestBody` first. */
export function withBodyLimit(
  handler: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const limited = await limitRequestBody(request);
    return limited instanceof Response ? limited : handler(limited);
  };
}
