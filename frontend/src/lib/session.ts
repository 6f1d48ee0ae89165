/**
 * The browser session: who is signed in, and the access token, kept in memory only.
 *
 * - The refresh token never reaches JavaScript: the API keeps it in an HttpOnly cookie
 *   (cookie mode), so a reload restores the session by asking the API to refresh.
 * - The access token is refreshed silently shortly before it expires, and again when a
 *   request finds it expired. Refreshes are single-flight within a tab and serialized
 *   across tabs (Web Locks), because each one rotates the cookie and a refresh token
 *   presented twice revokes its whole family.
 * - A non-secret hint in localStorage says whether a session may exist, so a visitor
 *   who never signed in does not trigger a refresh request that can only fail.
 * - Tabs tell each other about sign-in and sign-out (BroadcastChannel).
 */
import { type AuthApi, type SignInChallenge, isChallenge } from "@/api/auth";
import { ApiError, type User } from "@/api/http";

export type SessionState =
  | { status: "loading" }
  | { status: "signed-out"; notice: string | null }
  | { status: "signed-in"; user: User };

export const HINT_KEY = "serverless-auth.session";
export const CHANNEL_NAME = "serverless-auth.session";
export const SESSION_ENDED = "Your session has ended. Please sign in again.";
export const UNREACHABLE = "The server could not be reached. Reload the page to try again.";
// Changes that end every session of the user at the API, this one included (its access
// token stops working at once): the tab signs out and the sign-in page says why.
export const ACCOUNT_DELETED = "Your account was deleted.";
export const PASSWORD_CHANGED = "Password changed. Sign in with your new password.";
export const TWO_FACTOR_OFF =
  "Two-factor authentication is off. For your safety every session was signed out, this one too: sign in again with your password.";
export const OWN_ROLE_CHANGED =
  "Your role changed, so every session of yours was signed out. Sign in again to carry on with your new role.";
/** Retry a refresh that failed for a reason other than a rejected token after this. */
export const RETRY_MS = 10_000;

type HintStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;
interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}
interface Channel {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

export interface SessionDeps {
  auth: AuthApi;
  storage?: HintStorage | null;
  locks?: Locks | null;
  channel?: Channel | null;
  now?: () => number;
}

/** When to refresh a token that lives `expiresIn` seconds: a minute before it
 * expires, or at 80 % of its life if that is shorter. */
export function refreshDelayMs(expiresIn: number): number {
  const lead = Math.min(60, expiresIn / 5);
  return Math.max(0, Math.round((expiresIn - lead) * 1000));
}

export class Session {
  private state: SessionState = { status: "loading" };
  private readonly listeners = new Set<() => void>();
  private token: string | null = null;
  private expiresAt = 0;
  private refreshAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<boolean> | null = null;
  private readonly auth: AuthApi;
  private readonly storage: HintStorage | null;
  private readonly locks: Locks | null;
  private readonly channel: Channel | null;
  private readonly now: () => number;

  constructor(deps: SessionDeps) {
    this.auth = deps.auth;
    this.storage = deps.storage ?? null;
    this.locks = deps.locks ?? null;
    this.channel = deps.channel ?? null;
    this.now = deps.now ?? Date.now;
    if (this.channel) this.channel.onmessage = (event) => this.onMessage(event.data);
  }

  getState = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The access token while it is valid, else null. */
  accessToken(): string | null {
    return this.token && this.now() < this.expiresAt ? this.token : null;
  }

  /** On page load: resume the session the cookie holds, if any. */
  async restore(): Promise<void> {
    if (this.state.status === "signed-in") return;
    if (this.storage?.getItem(HINT_KEY) !== "1") {
      this.setState({ status: "signed-out", notice: null });
      return;
    }
    if (!(await this.refresh())) {
      if (this.getState().status !== "signed-in") this.end(null);
      return;
    }
    try {
      await this.loadUser();
    } catch (error) {
      this.end(error instanceof ApiError && error.status === 401 ? null : UNREACHABLE);
    }
  }

  /** Sign in with email and password. When the user has two-factor on, the API answers
   * with a challenge instead of tokens: it is returned, and `completeSignIn` finishes
   * the sign-in with a code. Otherwise the session is signed in and null is returned. */
  async signIn(email: string, password: string): Promise<SignInChallenge | null> {
    const result = await this.auth.signIn({ email, password });
    if (isChallenge(result)) return result;
    await this.begin(result);
    return null;
  }

  /** The second step: the challenge from `signIn` and an app code or a backup code. */
  async completeSignIn(challenge: string, code: string): Promise<void> {
    await this.begin(await this.auth.signInWithCode({ challenge, code }));
  }

  /** True when signed in; false when the server first wants the emailed link followed
   * (REQUIRE_VERIFIED_EMAIL): the account exists, sign-in comes after verification. */
  async signUp(email: string, password: string, name: string): Promise<boolean> {
    const { user, tokens } = await this.auth.signUp({ email, password, name });
    if (tokens === null) return false;
    this.accept(tokens);
    this.setState({ status: "signed-in", user });
    this.announce("signed-in");
    return true;
  }

  /** End the session here and at the API (the cookie is cleared), with an optional
   * notice for the sign-in page. Never fails: signing out locally always works. */
  async signOut(notice: string | null = null): Promise<void> {
    this.end(notice);
    this.announce("signed-out");
    try {
      await this.auth.signOut();
    } catch {
      // The API is unreachable: the cookie stays until it expires or the next sign-in,
      // but this tab holds no token any more.
    }
  }

  /** The profile changed (name, email): show the new one everywhere. */
  updateUser(user: User): void {
    if (this.state.status === "signed-in") this.setState({ status: "signed-in", user });
  }

  /** Get a new access token now. Single flight: concurrent callers share one request. */
  refresh(): Promise<boolean> {
    this.inflight ??= this.refreshOnce().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Hold the scheduled refresh while an action that ends the session's refresh
   * tokens runs (password change, account deletion): a refresh racing it would fail
   * and end the session under the action's feet. Returns `resume`; a new sign-in
   * schedules its own refresh anyway. */
  pauseRefresh(): () => void {
    this.clearTimer();
    return () => {
      const token = this.accessToken();
      if (token && this.timer === null) {
        this.schedule(Math.max(0, this.refreshAt - this.now()));
      }
    };
  }

  /** When a tab becomes visible again: timers may have been throttled meanwhile. */
  async wake(): Promise<void> {
    if (this.token && this.now() >= this.expiresAt - RETRY_MS) await this.refresh();
  }

  dispose(): void {
    this.clearTimer();
    this.channel?.close();
    this.listeners.clear();
  }

  private async refreshOnce(): Promise<boolean> {
    try {
      const run = () => this.auth.refresh();
      this.accept(await (this.locks ? this.locks.request("serverless-auth.refresh", run) : run()));
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        // A session signed out meanwhile keeps its own notice.
        if (this.state.status !== "signed-out") {
          this.end(this.state.status === "signed-in" ? SESSION_ENDED : null);
        }
        return false;
      }
      // Unreachable or busy: keep a live session and try again soon.
      if (this.state.status === "signed-in") this.schedule(RETRY_MS);
      return false;
    }
  }

  /** Signed in (either way): keep the tokens, load the user, tell the other tabs. */
  private async begin(tokens: { access_token: string; expires_in: number }): Promise<void> {
    this.accept(tokens);
    try {
      await this.loadUser();
    } catch (error) {
      this.end(null);
      throw error;
    }
    this.announce("signed-in");
  }

  private async loadUser(): Promise<void> {
    const token = this.accessToken();
    if (!token) return;
    const { user } = await this.auth.me(token);
    this.setState({ status: "signed-in", user });
  }

  private accept(tokens: { access_token: string; expires_in: number }): void {
    this.token = tokens.access_token;
    this.expiresAt = this.now() + tokens.expires_in * 1000;
    this.refreshAt = this.now() + refreshDelayMs(tokens.expires_in);
    this.storage?.setItem(HINT_KEY, "1");
    this.schedule(refreshDelayMs(tokens.expires_in));
  }

  private end(notice: string | null): void {
    this.clearTimer();
    this.token = null;
    this.expiresAt = 0;
    this.storage?.removeItem(HINT_KEY);
    this.setState({ status: "signed-out", notice });
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private announce(event: "signed-in" | "signed-out"): void {
    this.channel?.postMessage(event);
  }

  private onMessage(message: unknown): void {
    if (message === "signed-out" && this.state.status === "signed-in") {
      this.end("You signed out in another tab.");
    } else if (message === "signed-in" && this.state.status !== "signed-in") {
      void this.restore();
    }
  }

  private setState(state: SessionState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
