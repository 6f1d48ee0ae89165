import { describe, expect, it, vi } from "vitest";

import { createAccountApi, createPublicAccountApi, signInWithCode } from "@/api/account";
import { ApiError, type Schemas } from "@/api/http";
import type { TokenSource } from "@/api/users";

import { accepted, fakeFetch, json, noContent, problem, tokens } from "./fake-fetch";

type AuditEventOut = Schemas["AuditEventOut"];
type SessionOut = Schemas["SessionOut"];

function tokenSource(token: string | null, fresh: string | null = null) {
  let current = token;
  const refresh = vi.fn(async () => {
    current = fresh;
    return fresh !== null;
  });
  const source: TokenSource = { accessToken: () => current, refresh };
  return Object.assign(source, { refresh });
}

const SESSION: SessionOut = {
  id: "s1",
  device: "Firefox on Linux",
  ip: "203.0.113.7",
  created_at: "2026-01-01T00:00:00Z",
  last_used_at: "2026-01-02T00:00:00Z",
  expires_at: "2026-02-01T00:00:00Z",
  current: true,
};

const EVENT: AuditEventOut = {
  id: "e1",
  type: "sign_in.succeeded",
  at: "2026-01-02T00:00:00Z",
  user_id: "u1",
  actor_id: null,
  ip: "203.0.113.7",
  request_id: "r1",
  user_agent: "Firefox",
  details: {},
};

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("public account API (no bearer)", () => {
  it("verifies an email with the token from the link", async () => {
    const fetcher = fakeFetch(noContent());

    await createPublicAccountApi(fetcher).verifyEmail("tok-1");

    const [call] = fetcher.calls;
    expect(`${call?.method} ${call?.url}`).toBe("POST /api/v1/auth/verify-email");
    expect(call?.body).toEqual({ token: "tok-1" });
    expect(call?.headers.get("authorization")).toBeNull();
    expect(call?.headers.get("content-type")).toBe("application/json");
  });

  it("reports an unknown, used or expired link as invalid-token", async () => {
    const fetcher = fakeFetch(problem(400, "invalid-token"));

    const error = await failure(createPublicAccountApi(fetcher).verifyEmail("old"));

    expect(error.status).toBe(400);
    expect(error.kind).toBe("invalid-token");
  });

  it("asks for a new verification link and accepts the 202", async () => {
    const fetcher = fakeFetch(accepted());

    await createPublicAccountApi(fetcher).resendVerification("ann@example.com");

    expect(fetcher.calls[0]?.url).toBe("/api/v1/auth/verify-email/resend");
    expect(fetcher.calls[0]?.body).toEqual({ email: "ann@example.com" });
  });

  it("requests a password reset, surfacing 429 with Retry-After", async () => {
    const fetcher = fakeFetch(accepted(), problem(429, "too-many-attempts", {}, { "retry-after": "30" }));
    const api = createPublicAccountApi(fetcher);

    await api.requestPasswordReset("ann@example.com");
    const error = await failure(api.requestPasswordReset("ann@example.com"));

    expect(fetcher.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/v1/auth/password-reset",
      "POST /api/v1/auth/password-reset",
    ]);
    expect(fetcher.calls[0]?.body).toEqual({ email: "ann@example.com" });
    expect(error.kind).toBe("too-many-attempts");
    expect(error.retryAfter).toBe(30);
  });

  it("confirms a password reset with token and new_password", async () => {
    const fetcher = fakeFetch(noContent());

    await createPublicAccountApi(fetcher).confirmPasswordReset("tok-2", "a brand new passphrase");

    expect(fetcher.calls[0]?.url).toBe("/api/v1/auth/password-reset/confirm");
    expect(fetcher.calls[0]?.body).toEqual({ token: "tok-2", new_password: "a brand new passphrase" });
  });

  it("maps the password policy's 422 to the new_password field", async () => {
    const fetcher = fakeFetch(
      problem(422, "invalid-input", { errors: [{ field: "new_password", message: "Too common." }] }),
    );

    const error = await failure(createPublicAccountApi(fetcher).confirmPasswordReset("t", "password1234567"));

    expect(error.fieldErrors()).toEqual({ new_password: "Too common." });
  });

  it("answers a sign-in challenge in cookie mode", async () => {
    const fetcher = fakeFetch(json(200, tokens("at-2")));

    const pair = await signInWithCode(fetcher, { challenge: "ch-1", code: "123456" });

    expect(pair.access_token).toBe("at-2");
    const [call] = fetcher.calls;
    expect(`${call?.method} ${call?.url}`).toBe("POST /api/v1/auth/sign-in/totp");
    expect(call?.headers.get("x-refresh-token-transport")).toBe("cookie");
    expect(call?.body).toEqual({ challenge: "ch-1", code: "123456" });
  });

  it("reports a wrong code as invalid-code", async () => {
    const fetcher = fakeFetch(problem(401, "invalid-code"));

    const error = await failure(
      createPublicAccountApi(fetcher).signInWithCode({ challenge: "ch-1", code: "ABCD-EFGH-JKLM-NPQR" }),
    );

    expect(error.status).toBe(401);
    expect(error.kind).toBe("invalid-code");
  });
});

describe("account API (bearer)", () => {
  it("lists the sessions with the access token", async () => {
    const fetcher = fakeFetch(json(200, { items: [SESSION] }));

    const sessions = await createAccountApi(fetcher, tokenSource("at-1")).sessions();

    expect(sessions).toEqual([SESSION]);
    expect(fetcher.calls[0]?.url).toBe("/api/v1/users/me/sessions");
    expect(fetcher.calls[0]?.method).toBe("GET");
    expect(fetcher.calls[0]?.headers.get("authorization")).toBe("Bearer at-1");
  });

  it("signs out one session (id escaped) and every other session", async () => {
    const fetcher = fakeFetch(noContent(), noContent());
    const api = createAccountApi(fetcher, tokenSource("at-1"));

    await api.revokeSession("s/1");
    await api.revokeOtherSessions();

    expect(fetcher.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "DELETE /api/v1/users/me/sessions/s%2F1",
      "DELETE /api/v1/users/me/sessions",
    ]);
    expect(fetcher.calls.every((c) => c.body === undefined)).toBe(true);
  });

  it("surfaces a session that already ended as a 404", async () => {
    const fetcher = fakeFetch(problem(404, "not-found"));

    const error = await failure(createAccountApi(fetcher, tokenSource("at-1")).revokeSession("gone"));

    expect(error.kind).toBe("not-found");
  });

  it("refreshes once and retries when the access token expired", async () => {
    const fetcher = fakeFetch(problem(401, "unauthenticated"), json(200, { items: [] }));
    const session = tokenSource("stale", "fresh");

    await createAccountApi(fetcher, session).sessions();

    expect(session.refresh).toHaveBeenCalledOnce();
    expect(fetcher.calls.map((c) => c.headers.get("authorization"))).toEqual([
      "Bearer stale",
      "Bearer fresh",
    ]);
  });

  it("does not refresh on a wrong password while turning two-factor on", async () => {
    const fetcher = fakeFetch(problem(401, "invalid-credentials"));
    const session = tokenSource("at-1");

    const error = await failure(createAccountApi(fetcher, session).startTwoFactor("wrong"));

    expect(error.kind).toBe("invalid-credentials");
    expect(session.refresh).not.toHaveBeenCalled();
  });

  it("turns two-factor on: password, then the first code, then the backup codes", async () => {
    const setup = { secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/Auth:ann?secret=JBSWY3DPEHPK3PXP" };
    const codes = Array.from({ length: 10 }, (_, i) => `AAAA-BBBB-CCCC-000${i}`);
    const fetcher = fakeFetch(json(201, setup), json(200, { backup_codes: codes }));
    const api = createAccountApi(fetcher, tokenSource("at-1"));

    expect(await api.startTwoFactor("correct horse")).toEqual(setup);
    expect(await api.confirmTwoFactor("123456")).toEqual(codes);

    expect(fetcher.calls.map((c) => [`${c.method} ${c.url}`, c.body])).toEqual([
      ["POST /api/v1/users/me/two-factor", { password: "correct horse" }],
      ["POST /api/v1/users/me/two-factor/confirm", { code: "123456" }],
    ]);
  });

  it("reports a wrong first code on the code field and a wrong state as a 409", async () => {
    const fetcher = fakeFetch(
      problem(422, "invalid-input", { errors: [{ field: "code", message: "Wrong code." }] }),
      problem(409, "two-factor-state"),
    );
    const api = createAccountApi(fetcher, tokenSource("at-1"));

    const wrong = await failure(api.confirmTwoFactor("000000"));
    const state = await failure(api.startTwoFactor("pw"));

    expect(wrong.fieldErrors()).toEqual({ code: "Wrong code." });
    expect(state.status).toBe(409);
    expect(state.kind).toBe("two-factor-state");
  });

  it("turns two-factor off with password and code", async () => {
    const fetcher = fakeFetch(noContent());

    await createAccountApi(fetcher, tokenSource("at-1")).disableTwoFactor({ password: "pw", code: "654321" });

    expect(fetcher.calls[0]?.url).toBe("/api/v1/users/me/two-factor/disable");
    expect(fetcher.calls[0]?.body).toEqual({ password: "pw", code: "654321" });
  });

  it("pages through the user's own activity", async () => {
    const fetcher = fakeFetch(
      json(200, { items: [EVENT], next_cursor: "c2" }),
      json(200, { items: [], next_cursor: null }),
    );
    const api = createAccountApi(fetcher, tokenSource("at-1"));

    const first = await api.myAudit(20, null);
    const second = await api.myAudit(20, "c2");

    expect(first).toEqual({ items: [EVENT], next_cursor: "c2" });
    expect(second.next_cursor).toBeNull();
    expect(fetcher.calls.map((c) => c.url)).toEqual([
      "/api/v1/users/me/audit?limit=20",
      "/api/v1/users/me/audit?limit=20&cursor=c2",
    ]);
  });

  it("reads the admin audit log for one user or for everyone", async () => {
    const fetcher = fakeFetch(
      json(200, { items: [EVENT], next_cursor: null }),
      json(200, { items: [], next_cursor: null }),
      problem(403, "email-unverified"),
    );
    const api = createAccountApi(fetcher, tokenSource("at-1"));

    await api.audit("u 1", 20, "c1");
    await api.audit(null, 20, null);
    const error = await failure(api.audit("u1", 20, null));

    expect(fetcher.calls.map((c) => c.url)).toEqual([
      "/api/v1/audit?user_id=u+1&limit=20&cursor=c1",
      "/api/v1/audit?limit=20",
      "/api/v1/audit?user_id=u1&limit=20",
    ]);
    expect(error.kind).toBe("email-unverified");
  });
});
