import { describe, expect, expectTypeOf, it } from "vitest";

import { createAuthApi, isChallenge } from "@/api/auth";
import { ApiError, type Schemas, request } from "@/api/http";
import { HINT_KEY, Session } from "@/lib/session";

import { ACCOUNT_USER, MemoryStorage, USER, accepted, fakeFetch, json, problem, tokens } from "./fake-fetch";

const CHALLENGE = { challenge: "ch-1", expires_in: 300, methods: ["totp", "backup_code"] };

function sessionWith(fetcher: ReturnType<typeof fakeFetch>) {
  const storage = new MemoryStorage();
  const posted: unknown[] = [];
  const channel = { postMessage: (m: unknown) => posted.push(m), onmessage: null, close: () => undefined };
  const session = new Session({ auth: createAuthApi(fetcher), storage, channel });
  return { session, storage, posted };
}

describe("auth API sign-in", () => {
  it("is typed by the schema as 200 tokens | 202 challenge, discriminated by status", async () => {
    const fetcher = fakeFetch(accepted(CHALLENGE));

    const response = await request(fetcher, "post", "/api/v1/auth/sign-in", {
      body: { email: "ann@example.com", password: "pw" },
    });

    expectTypeOf(response.status).toEqualTypeOf<200 | 202>();
    if (response.status === 202) {
      expectTypeOf(response.data).toEqualTypeOf<Schemas["TwoFactorChallengeOut"]>();
    } else {
      expectTypeOf(response.data).toEqualTypeOf<Schemas["TokenPairOut"]>();
    }
    expect(response.status).toBe(202);
    expect(response.data).toEqual(CHALLENGE);
  });

  it("returns the token pair on 200", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-1")));

    const result = await createAuthApi(fetcher).signIn({ email: "ann@example.com", password: "pw" });

    expect(isChallenge(result)).toBe(false);
    expect(result).toEqual(tokens("at-1"));
  });

  it("returns the challenge on 202 when two-factor is on", async () => {
    const fetcher = fakeFetch(accepted(CHALLENGE));

    const result = await createAuthApi(fetcher).signIn({ email: "ann@example.com", password: "pw" });

    expect(isChallenge(result)).toBe(true);
    expect(result).toEqual(CHALLENGE);
    expect(fetcher.calls[0]?.headers.get("x-refresh-token-transport")).toBe("cookie");
  });
});

describe("session sign-in with two-factor", () => {
  it("stops at the challenge: no token, no user, no hint, no announcement", async () => {
    const fetcher = fakeFetch(accepted(CHALLENGE));
    const { session, storage, posted } = sessionWith(fetcher);
    await session.restore();

    const asked = await session.signIn("ann@example.com", "correct horse battery staple");

    expect(asked).toEqual(CHALLENGE);
    expect(session.getState()).toEqual({ status: "signed-out", notice: null });
    expect(session.accessToken()).toBeNull();
    expect(storage.getItem(HINT_KEY)).toBeNull();
    expect(posted).toEqual([]);
    expect(fetcher.calls).toHaveLength(1);
  });

  it("completes with the code in cookie mode, then loads the user", async () => {
    const fetcher = fakeFetch(accepted(CHALLENGE), json(200, tokens("at-2")), json(200, ACCOUNT_USER));
    const { session, storage, posted } = sessionWith(fetcher);

    const asked = await session.signIn("ann@example.com", "correct horse battery staple");
    await session.completeSignIn(asked!.challenge, "123456");

    const [, totp, me] = fetcher.calls;
    expect(`${totp?.method} ${totp?.url}`).toBe("POST /api/v1/auth/sign-in/totp");
    expect(totp?.headers.get("x-refresh-token-transport")).toBe("cookie");
    expect(totp?.body).toEqual({ challenge: "ch-1", code: "123456" });
    expect(me?.headers.get("authorization")).toBe("Bearer at-2");
    // The user is kept as the API sent it (verified email, two-factor on).
    expect(session.getState()).toEqual({ status: "signed-in", user: ACCOUNT_USER });
    expect(storage.getItem(HINT_KEY)).toBe("1");
    expect(posted).toEqual(["signed-in"]);
  });

  it("stays signed out when the code is wrong", async () => {
    const fetcher = fakeFetch(problem(401, "invalid-code"));
    const { session, storage } = sessionWith(fetcher);
    await session.restore();

    const error = await session.completeSignIn("ch-1", "000000").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe("invalid-code");
    expect(session.getState().status).toBe("signed-out");
    expect(storage.getItem(HINT_KEY)).toBeNull();
  });

  it("still signs in directly (null) when two-factor is off", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-1")), json(200, USER));
    const { session } = sessionWith(fetcher);

    expect(await session.signIn("ann@example.com", "pw")).toBeNull();
    expect(session.getState()).toEqual({ status: "signed-in", user: USER });
  });
});
