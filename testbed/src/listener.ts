import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * The HTTPS listener of the API, which can be closed with every open connection cut (as a
 * pveproxy restart does) and opened again on the same port.
 */
export class HttpsListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly tls: { key: string; cert: string },
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => void,
    readonly host: string,
    private currentPort: number,
  ) {}

  /** The port listened on (the one the OS chose when asked for 0). */
  get port(): number {
    return this.currentPort;
  }

  async listen(): Promise<void> {
    const server = createServer({ key: this.tls.key, cert: this.tls.cert }, this.handler);
    this.server = server;
    server.keepAliveTimeout = 5000;
    const track = (s: Socket): void => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    };
    server.on("connection", track);
    server.on("secureConnection", track);
    await new Promise<void>((res, rej) => {
      server.once("error", rej);
      server.listen(this.currentPort, this.host, () => {
        server.off("error", rej);
        res();
      });
    });
    this.currentPort = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  }
}
