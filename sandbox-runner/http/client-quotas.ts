/**
 * Per-client shares of the runner, so that one client cannot take every session or run slot
 * and lock everyone else out. Counted here, in the HTTP layer, through the session manager's
 * public methods only: a session that ended (idle, lifetime, deleted) is noticed lazily, when
 * `getSession` says it is gone.
 */
import { errors } from '../errors.ts';
import type { HttpSettings } from '../config.ts';

/** The part of the session manager the quotas need. */
export interface SessionLookup {
  getSession(id: string): unknown;
}

export class ClientQuotas {
  private readonly sessionsByClient = new Map<string, Set<string>>();
  /** Session creations under way, counted before any await so a burst cannot slip past. */
  private readonly pendingSessions = new Map<string, number>();
  private readonly runsByClient = new Map<string, number>();
  private readonly settings: HttpSettings;

  constructor(settings: HttpSettings) {
    this.settings = settings;
  }

  /**
   * Creates a session for `client` within its share: `create` runs only when the client is
   * under its limit, and the new session is counted against it until it ends.
   */
  async createSession<T extends { id: string }>(client: string, sessions: SessionLookup, create: () => Promise<T>): Promise<T> {
    const limit = this.settings.maxSessionsPerClient;
    const held = this.sessionsByClient.get(client) ?? new Set<string>();
    const pending = this.pendingSessions.get(client) ?? 0;
    // Only at the limit is each held session looked up (a lookup counts as activity).
    if (held.size + pending >= limit) this.forgetEnded(held, sessions);
    if (held.size + pending >= limit) throw errors.clientSessionQuota(limit);
    this.pendingSessions.set(client, pending + 1);
    try {
      const session = await create();
      held.add(session.id);
      this.sessionsByClient.set(client, held);
      return session;
    } finally {
      const left = (this.pendingSessions.get(client) ?? 1) - 1;
      if (left > 0) this.pendingSessions.set(client, left);
      else this.pendingSessions.delete(client);
      if (held.size === 0) this.sessionsByClient.delete(client);
    }
  }

  /** A session was deleted through the API: its slot frees at once. */
  sessionEnded(id: string): void {
    for (const [client, held] of this.sessionsByClient) {
      if (held.delete(id) && held.size === 0) this.sessionsByClient.delete(client);
    }
  }

  /**
   * Takes one of the client's run slots (before any await); the returned function gives it
   * back and must be called exactly once, when the run ends or fails to start.
   */
  takeRunSlot(client: string): () => void {
    const limit = this.settings.maxRunsPerClient;
    const running = this.runsByClient.get(client) ?? 0;
    if (running >= limit) throw errors.clientRunQuota(limit);
    this.runsByClient.set(client, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.runsByClient.get(client) ?? 1) - 1;
      if (left > 0) this.runsByClient.set(client, left);
      else this.runsByClient.delete(client);
    };
  }

  private forgetEnded(held: Set<string>, sessions: SessionLookup): void {
    for (const id of held) {
      try {
        sessions.getSession(id);
      } catch {
        held.delete(id);
      }
    }
  }
}
