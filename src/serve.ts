/**
 * The one runtime adapter: start an HTTP server on Deno or Node.
 * @module
 */

type FetchHandler = (req: Request) => Response | Promise<Response>;
type DenoLike = {
  serve(
    o: { port: number; hostname?: string; onListen?: (a: { port: number }) => void },
    h: FetchHandler,
  ): { shutdown(): Promise<void>; addr: { port: number } };
};

export interface Server {
  readonly port: number;
  close(): Promise<void>;
}

/** serve listens on `hostname:port` (port 0 picks a free one). */
export async function serve(fetch: FetchHandler, port: number, hostname: string): Promise<Server> {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno) {
    const s = deno.serve({ port, hostname, onListen: () => {} }, fetch);
    return { port: s.addr.port, close: () => s.shutdown() };
  }
  const { serve: nodeServe } = await import("@hono/node-server");
  return await new Promise<Server>((resolve, reject) => {
    const s = nodeServe({ fetch, port, hostname }, (info) => {
      resolve({
        port: info.port,
        close: () => new Promise<void>((r) => {
          (s as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          s.close(() => r());
        }),
      });
    });
    s.on("error", reject);
  });
}
