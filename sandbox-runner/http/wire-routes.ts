/**
 * The wire routes of the v1 API: `GET /api/sessions/:id/wire` (the session's packets, or with
 * `follow=1` an NDJSON stream of them until the session ends) and `GET /api/sessions/:id/sockets`
 * (its sockets now). Reads the session's wire through the SessionWire interface only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, RunnerError } from '../errors.ts';
import { decodePathSegment } from './requests.ts';
import type { SocketsBody, WireBody, WirePacket } from '../protocol.ts';
import type { CapturedPacket, SessionWire } from '../sandbox/backend.ts';
import type { Session, SessionManager } from '../sessions/session-manager.ts';
import { TooManyFollowersError } from '../wire/session-wire.ts';

export const WIRE_PATH = /^\/api\/sessions\/([^/]+)\/(wire|sockets)$/;

/** A follower that leaves this much unread is cut off (it may reconnect with `since`). */
const MAX_UNREAD_BYTES = 1024 * 1024;

type SendJson = (res: ServerResponse, status: number, body: unknown) => void;

/** Handles a path matching WIRE_PATH. */
export async function routeWire(sessions: SessionManager, req: IncomingMessage, res: ServerResponse, method: string, path: string, search: string, sendJson: SendJson): Promise<void> {
  const [, rawId, what] = WIRE_PATH.exec(path)!;
  if (method !== 'GET') throw errors.methodNotAllowed(method, path, 'GET');
  const session = sessions.getSession(decodePathSegment(rawId));
  const wire = session.env.wire;
  if (!wire) throw errors.sandboxUnavailable('packet capture is off on this runner (RUNNER_WIRE=off); runs work as usual.');
  if (what === 'sockets') {
    const body: SocketsBody = { sockets: await wire.sockets() };
    return sendJson(res, 200, body);
  }
  const query = new URLSearchParams(search);
  const since = parseSince(query.get('since'));
  const follow = query.get('follow');
  if (follow !== null && follow !== '0' && follow !== '1') throw errors.badRequest(`follow must be 1 (stream) or 0 (one answer), not ${JSON.stringify(follow)}.`);
  if (follow === '1') return followWire(session, wire, req, res, since);
  const { packets, next, dropped } = wire.packets(since);
  const body: WireBody = { packets: packets.map((packet) => forReader(session, packet)), next, dropped };
  return sendJson(res, 200, body);
}

function parseSince(value: string | null): number {
  if (value === null || value === '') return 0;
  if (!/^\d{1,15}$/.test(value)) throw errors.badRequest(`since must be a packet's seq (a whole number ≥ 0), not ${JSON.stringify(value)}. Pass the "next" of the previous answer.`);
  return Number(value);
}

/** The packet as the API shows it: its time since the reader got the session, in ms. */
function forReader(session: Session, { at, ...packet }: CapturedPacket): WirePacket {
  return { ...packet, t: Math.max(0, Math.round((at - session.createdAt) * 1000) / 1000) };
}

function followWire(session: Session, wire: SessionWire, req: IncomingMessage, res: ServerResponse, since: number): void {
  let unsubscribe = () => {};
  const finish = () => {
    unsubscribe();
    if (!res.writableEnded) res.end();
  };
  try {
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.flushHeaders();
    };
    unsubscribe = wire.follow(since, {
      packet: (packet) => {
        start();
        if (res.writableEnded || res.destroyed) return;
        res.write(JSON.stringify(forReader(session, packet)) + '\n');
        if (res.writableLength > MAX_UNREAD_BYTES) finish();
      },
      end: () => {
        start();
        finish();
      },
    });
    start();
  } catch (error) {
    if (error instanceof TooManyFollowersError) throw new RunnerError('busy', 429, `This session already has ${error.message} open (the limit). Close one, or poll without follow=1.`, 1);
    throw error;
  }
  req.socket.setNoDelay(true);
  res.on('close', () => unsubscribe());
}
