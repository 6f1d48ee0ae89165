import { describe, expect, it, vi } from "vitest";

import { ApiError } from "@/api/http";
import { type TokenSource, createUsersApi, isExpiredToken } from "@/api/users";

import { USER, fakeFetch, json, noContent, problem } from "./fake-fetch";

function tokenSource(tokensInOrder: (string | null)[], refreshes: boolean[] = []): TokenSource & {
  refresh: ReturnType<typeof vi.fn>;
} {
  let current = tokensInOrder.shift() ?? null;
  const refresh = vi.fn(async () => {
    const ok = refreshes.shift() ?? false;
    current = ok ? (tokensInOrder.shift() ?? null) : null;
    return ok;
  });
  return { accessToken: () => current, refresh };
}

describe("users API", () => {
  it("sends the session's access token", async () => {
    const fetcher = fakeFetch(json(200, USER, { etag: '"1-x"' }));
    const api = createUsersApi(fetcher, tokenSource(["at-1"]));

    const me = await api.me();

    expect(me).toEqual({ user: USER, etag: '"1-x"' });
    expect(fetcher.calls[0]?.headers.get("authorization")).toBe("Bearer at-1");
  });

  it("refreshes and retries once when the access token has expired", async () => {
    const fetcher = fakeFetch(problem(401, "unauthenticated"), json(200, USER));
    const session = tokenSource(["stale", "fresh"], [true]);
    const api = createUsersApi(fetcher, session);

    await api.me();

    expect(session.refresh).toHaveBeenCalledOnce();
    expect(fetcher.calls.map((c) => c.headers.get("authorization"))).toEqual([
      "Bearer stale",
      "Bearer fresh",
    ]);
  });

  it("refreshes before the request when there is no token yet", async () => {
    const fetcher = fakeFetch(json(200, USER));
    const session = tokenSource([null, "fresh"], [true]);
    const api = createUsersApi(fetcher, session);

    await api.me();

    expect(fetcher.calls[0]?.headers.get("authorization")).toBe("Bearer fresh");
  });

  it("gives up with the 401 when the session cannot be refreshed", async () => {
    const fetcher = fakeFetch(problem(401, "unauthenticated"));
    const api = createUsersApi(fetcher, tokenSource(["stale"], [false]));

    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(fetcher.calls).toHaveLength(1);
  });

  it("does not mistake a wrong current password for an expired token", async () => {
    const fetcher = fakeFetch(problem(401, "invalid-credentials"));
    const session = tokenSource(["at-1"]);
    const api = createUsersApi(fetcher, session);

    const error = await api
      .changePassword({ current_password: "wrong", new_password: "x".repeat(20) })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe("invalid-credentials");
    expect(session.refresh).not.toHaveBeenCalled();
  });

  it("sends If-Match with profile edits and surfaces a stale edit as a 412", async () => {
    const fetcher = fakeFetch(problem(412, "stale-version"));
    const api = createUsersApi(fetcher, tokenSource(["at-1"]));

    const error = (await api.update("u1", '"1-x"', { name: "Ann" }).catch((e: unknown) => e)) as ApiError;

    expect(fetcher.calls[0]?.headers.get("if-match")).toBe('"1-x"');
    expect(fetcher.calls[0]?.method).toBe("PATCH");
    expect(error.status).toBe(412);
    expect(error.kind).toBe("stale-version");
  });

  it("pages through users with limit and cursor", async () => {
    const fetcher = fakeFetch(json(200, { items: [USER], next_cursor: "c2" }));
    const api = createUsersApi(fetcher, tokenSource(["at-1"]));

    const page = await api.list(10, "c1");

    expect(page.next_cursor).toBe("c2");
    expect(fetcher.calls[0]?.url).toBe("/api/v1/users?limit=10&cursor=c1");
  });

  it("creates and deletes users", async () => {
    const fetcher = fakeFetch(json(201, USER), noContent());
    const api = createUsersApi(fetcher, tokenSource(["at-1"]));

    const created = await api.create({ email: USER.email, name: "Ann", password: "p".repeat(15), role: "user" });
    await api.remove("u1");

    expect(created).toEqual(USER);
    expect(fetcher.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/v1/users",
      "DELETE /api/v1/users/u1",
    ]);
  });
});

describe("deleting your own account", () => {
  it("sends the password and code as the DELETE's body; an admin deleting someone sends none", async () => {
    const fetcher = fakeFetch(noContent(), noContent());
    const api = createUsersApi(fetcher, tokenSource(["at-1"]));

    await api.remove("u1", { current_password: "pw", code: "123456" });
    await api.remove("u2");

    const [own, other] = fetcher.calls;
    expect(`${own?.method} ${own?.url}`).toBe("DELETE /api/v1/users/u1");
    expect(own?.body).toEqual({ current_password: "pw", code: "123456" });
    expect(own?.headers.get("content-type")).toBe("application/json");
    expect(`${other?.method} ${other?.url}`).toBe("DELETE /api/v1/users/u2");
    expect(other?.body).toBeUndefined();
    expect(other?.headers.get("content-type")).toBeNull();
  });

  it("surfaces a wrong password, a missing code and the throttle without refreshing", async () => {
    const fetcher = fakeFetch(
      problem(401, "invalid-credentials", { detail: "The password or the code is incorrect." }),
      problem(422, "invalid-input", { errors: [{ field: "code", message: "Enter a code." }] }),
      problem(429, "too-many-attempts", {}, { "retry-after": "60" }),
    );
    const session = tokenSource(["at-1"]);
    const api = createUsersApi(fetcher, session);
    const attempt = async () =>
      (await api.remove("u1", { current_password: "pw" }).catch((e: unknown) => e)) as ApiError;

    const wrong = await attempt();
    const missing = await attempt();
    const throttled = await attempt();

    expect(wrong.kind).toBe("invalid-credentials");
    expect(missing.fieldErrors()).toEqual({ code: "Enter a code." });
    expect(throttled.status).toBe(429);
    expect(throttled.retryAfter).toBe(60);
    expect(session.refresh).not.toHaveBeenCalled();
  });

  it("sends the code with a password change when two-factor is on", async () => {
    const fetcher = fakeFetch(noContent());
    const api = createUsersApi(fetcher, tokenSource(["at-1"]));

    await api.changePassword({ current_password: "old", new_password: "n".repeat(20), code: "ABCD-EFGH-JKLM-NPQR" });

    expect(fetcher.calls[0]?.body).toEqual({
      current_password: "old",
      new_password: "n".repeat(20),
      code: "ABCD-EFGH-JKLM-NPQR",
    });
  });
});

describe("isExpiredToken", () => {
  it("is true only for an unauthenticated 401", () => {
    const problemOf = (status: number, slug: string) =>
      new ApiError({ type: `/problems/${slug}`, title: "x", status });
    expect(isExpiredToken(problemOf(401, "unauthenticated"))).toBe(true);
    expect(isExpiredToken(problemOf(401, "invalid-credentials"))).toBe(false);
    expect(isExpiredToken(problemOf(403, "forbidden"))).toBe(false);
    expect(isExpiredToken(new Error("x"))).toBe(false);
  });
});
