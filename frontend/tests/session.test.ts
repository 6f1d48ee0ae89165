import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { createAuthApi } from "@/api/auth";
import {
  HINT_KEY,
  RETRY_MS,
  SESSION_ENDED,
  Session,
  type SessionDeps,
  refreshDelayMs,
} from "@/lib/session";

import { MemoryStorage, USER, fakeFetch, json, noContent, problem, tokens } from "./fake-fetch";

type Fetcher = ReturnType<typeof fakeFetch>;

function sessionWith(fetcher: Fetcher, extra: Partial<SessionDeps> = {}) {
  const storage = new MemoryStorage();
  const session = new Session({ auth: createAuthApi(fetcher), storage, ...extra });
  return { session, storage };
}

const signedInReplies = () => [json(200, tokens("at-1")), json(200, USER, { etag: '"1-x"' })];

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("refreshDelayMs", () => {
  it("refreshes a minute before a long-lived token expires", () => {
    expect(refreshDelayMs(900)).toBe(840_000);
  });

  it("refreshes at 80 % of the life of a short-lived token", () => {
    expect(refreshDelayMs(10)).toBe(8_000);
    expect(refreshDelayMs(0)).toBe(0);
  });
});

describe("signing in and out", () => {
  it("keeps the access token in memory and asks for the refresh token as a cookie", async () => {
    const fetcher = fakeFetch(...signedInReplies());
    const { session, storage } = sessionWith(fetcher);

    await session.signIn("ann@example.com", "correct horse battery staple");

    expect(session.getState()).toEqual({ status: "signed-in", user: USER });
    expect(session.accessToken()).toBe("at-1");
    const [signIn, me] = fetcher.calls;
    expect(signIn?.url).toBe("/api/v1/auth/sign-in");
    expect(signIn?.headers.get("x-refresh-token-transport")).toBe("cookie");
    expect(me?.headers.get("authorization")).toBe("Bearer at-1");
    // Only a non-secret hint is stored: never a token.
    expect(storage.getItem(HINT_KEY)).toBe("1");
  });

  it("signs up, signing the new account in with the user the API returned", async () => {
    const fetcher = fakeFetch(json(201, { user: USER, tokens: tokens("at-1") }));
    const { session } = sessionWith(fetcher);

    await session.signUp("ann@example.com", "correct horse battery staple", "Ann");

    expect(session.getState()).toEqual({ status: "signed-in", user: USER });
    expect(fetcher.calls[0]?.body).toEqual({
      email: "ann@example.com",
      password: "correct horse battery staple",
      name: "Ann",
    });
  });

  it("stays signed out after sign-up when the server wants the email verified first", async () => {
    const fetcher = fakeFetch(json(201, { user: USER, tokens: null }));
    const { session, storage } = sessionWith(fetcher);

    const signedIn = await session.signUp("ann@example.com", "correct horse battery staple", "Ann");

    expect(signedIn).toBe(false);
    expect(session.getState().status).not.toBe("signed-in");
    expect(session.accessToken()).toBeNull();
    expect(storage.getItem(HINT_KEY)).toBeNull();
  });

  it("leaves the session signed out when sign-in fails", async () => {
    const fetcher = fakeFetch(problem(401, "invalid-credentials"));
    const { session, storage } = sessionWith(fetcher);
    await session.restore();

    await expect(session.signIn("ann@example.com", "wrong")).rejects.toMatchObject({ status: 401 });

    expect(session.getState().status).toBe("signed-out");
    expect(session.accessToken()).toBeNull();
    expect(storage.getItem(HINT_KEY)).toBeNull();
  });

  it("signs out locally first, then clears the cookie at the API", async () => {
    const fetcher = fakeFetch(...signedInReplies(), noContent());
    const { session, storage } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    await session.signOut("You have signed out.");

    expect(session.getState()).toEqual({ status: "signed-out", notice: "You have signed out." });
    expect(session.accessToken()).toBeNull();
    expect(storage.getItem(HINT_KEY)).toBeNull();
    const signOut = fetcher.calls[2];
    expect(signOut?.url).toBe("/api/v1/auth/sign-out");
    expect(signOut?.headers.get("x-refresh-token-transport")).toBe("cookie");
    expect(signOut?.body).toBeUndefined();
  });

  it("still signs out when the API cannot be reached", async () => {
    const fetcher = fakeFetch(...signedInReplies(), new TypeError("offline"));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    await session.signOut();

    expect(session.getState()).toEqual({ status: "signed-out", notice: null });
  });
});

describe("restoring a session on page load", () => {
  it("asks nothing of the API when this browser never signed in", async () => {
    const fetcher = fakeFetch();
    const { session } = sessionWith(fetcher);

    await session.restore();

    expect(session.getState()).toEqual({ status: "signed-out", notice: null });
    expect(fetcher.calls).toHaveLength(0);
  });

  it("resumes from the refresh cookie and loads the user", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-2")), json(200, USER));
    const { session, storage } = sessionWith(fetcher);
    storage.setItem(HINT_KEY, "1");

    await session.restore();

    expect(session.getState()).toEqual({ status: "signed-in", user: USER });
    expect(session.accessToken()).toBe("at-2");
    const refresh = fetcher.calls[0];
    expect(refresh?.url).toBe("/api/v1/auth/refresh");
    expect(refresh?.headers.get("x-refresh-token-transport")).toBe("cookie");
    expect(refresh?.body).toBeUndefined(); // the cookie is the credential
  });

  it("is signed out, and forgets the hint, when the cookie is no longer valid", async () => {
    const fetcher = fakeFetch(problem(401, "unauthenticated"));
    const { session, storage } = sessionWith(fetcher);
    storage.setItem(HINT_KEY, "1");

    await session.restore();

    expect(session.getState()).toEqual({ status: "signed-out", notice: null });
    expect(storage.getItem(HINT_KEY)).toBeNull();
  });

  it("takes refreshes through a cross-tab lock when the browser has Web Locks", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-2")), json(200, USER));
    const names: string[] = [];
    const locks = {
      request: <T>(name: string, run: () => Promise<T>) => {
        names.push(name);
        return run();
      },
    };
    const { session, storage } = sessionWith(fetcher, { locks });
    storage.setItem(HINT_KEY, "1");

    await session.restore();

    expect(names).toEqual(["serverless-auth.refresh"]);
  });
});

describe("silent refresh", () => {
  it("refreshes shortly before the access token expires", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-1", 100)), json(200, USER), json(200, tokens("at-2", 100)));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    await vi.advanceTimersByTimeAsync(refreshDelayMs(100) - 1);
    expect(fetcher.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);

    expect(fetcher.calls[2]?.url).toBe("/api/v1/auth/refresh");
    expect(session.accessToken()).toBe("at-2");
    expect(session.getState().status).toBe("signed-in");
  });

  it("shares one request between concurrent refreshes", async () => {
    const fetcher = fakeFetch(...signedInReplies(), json(200, tokens("at-2")));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()]);

    expect(results).toEqual([true, true, true]);
    expect(fetcher.calls.filter((c) => c.url.endsWith("/refresh"))).toHaveLength(1);
  });

  it("ends the session with a notice when the refresh token was revoked", async () => {
    const fetcher = fakeFetch(...signedInReplies(), problem(401, "unauthenticated"));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    expect(await session.refresh()).toBe(false);

    expect(session.getState()).toEqual({ status: "signed-out", notice: SESSION_ENDED });
    expect(session.accessToken()).toBeNull();
  });

  it("keeps the session and retries when the API is briefly unreachable", async () => {
    const fetcher = fakeFetch(
      ...signedInReplies(),
      new TypeError("offline"),
      json(200, tokens("at-3")),
    );
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    expect(await session.refresh()).toBe(false);
    expect(session.getState().status).toBe("signed-in");
    expect(session.accessToken()).toBe("at-1");
    await vi.advanceTimersByTimeAsync(RETRY_MS);

    expect(session.accessToken()).toBe("at-3");
  });

  it("forgets an access token once it has expired", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-1", 10)), json(200, USER), new TypeError("offline"));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    vi.setSystemTime(Date.now() + 10_000);

    expect(session.accessToken()).toBeNull();
  });

  it("refreshes on waking up when the token is about to expire", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-1", 900)), json(200, USER), json(200, tokens("at-2")));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");
    await session.wake();
    expect(fetcher.calls).toHaveLength(2); // still fresh: nothing to do

    // A background tab's timers are throttled: the clock moves on without them firing.
    vi.setSystemTime(Date.now() + 895_000);
    await session.wake();

    expect(session.accessToken()).toBe("at-2");
  });
});

describe("tabs", () => {
  function channelPair() {
    const a = { onmessage: null as ((e: MessageEvent) => void) | null, sent: [] as unknown[] };
    const b = { onmessage: null as ((e: MessageEvent) => void) | null, sent: [] as unknown[] };
    const link = (from: typeof a, to: typeof b) => ({
      get onmessage() {
        return from.onmessage;
      },
      set onmessage(handler) {
        from.onmessage = handler;
      },
      postMessage(message: unknown) {
        from.sent.push(message);
        to.onmessage?.({ data: message } as MessageEvent);
      },
      close() {},
    });
    return [link(a, b), link(b, a)] as const;
  }

  it("signs every tab out when one signs out", async () => {
    const [left, right] = channelPair();
    const fetcherA = fakeFetch(...signedInReplies(), noContent());
    const fetcherB = fakeFetch(...signedInReplies());
    const a = new Session({ auth: createAuthApi(fetcherA), channel: left });
    const b = new Session({ auth: createAuthApi(fetcherB), channel: right });
    await a.signIn("ann@example.com", "pw");
    await b.signIn("ann@example.com", "pw");

    await a.signOut();

    expect(b.getState()).toEqual({ status: "signed-out", notice: "You signed out in another tab." });
    expect(b.accessToken()).toBeNull();
  });
});

describe("updateUser", () => {
  it("replaces the signed-in user after a profile edit", async () => {
    const fetcher = fakeFetch(...signedInReplies());
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");
    const listener = vi.fn();
    session.subscribe(listener);

    session.updateUser({ ...USER, name: "Ann L." });

    expect(session.getState()).toEqual({ status: "signed-in", user: { ...USER, name: "Ann L." } });
    expect(listener).toHaveBeenCalledOnce();
  });
});

describe("pauseRefresh", () => {
  it("holds the scheduled refresh until resumed, then refreshes when it was due", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-1", 100)), json(200, USER), json(200, tokens("at-2", 100)));
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    const resume = session.pauseRefresh();
    await vi.advanceTimersByTimeAsync(refreshDelayMs(100) + 1_000);
    expect(fetcher.calls).toHaveLength(2);
    resume();
    await vi.advanceTimersByTimeAsync(0);

    expect(session.accessToken()).toBe("at-2");
  });

  it("keeps the notice of a sign-out that a failing refresh races", async () => {
    let answer: (r: Response) => void = () => {};
    const pending = new Promise<Response>((resolve) => {
      answer = resolve;
    });
    const fetcher = fakeFetch(...signedInReplies(), () => pending, noContent());
    const { session } = sessionWith(fetcher);
    await session.signIn("ann@example.com", "pw");

    const refreshing = session.refresh();
    await session.signOut("Your account was deleted.");
    answer(problem(401, "unauthenticated"));
    await refreshing;

    expect(session.getState()).toEqual({ status: "signed-out", notice: "Your account was deleted." });
  });
});
