import { describe, expect, it } from "vitest";

import { ApiError, expandPath, request } from "@/api/http";

import { fakeFetch, json, noContent, problem, USER } from "./fake-fetch";

describe("request", () => {
  it("sends JSON bodies, typed headers and the bearer token, and returns the JSON", async () => {
    const fetcher = fakeFetch(json(200, USER, { etag: '"1-abc"' }));

    const response = await request(fetcher, "patch", "/api/v1/users/{user_id}", {
      path: { user_id: "u/1" },
      header: { "If-Match": '"1-abc"' },
      body: { name: "Ann" },
      bearer: "token-1",
    });

    expect(response.data).toEqual(USER);
    expect(response.headers.get("etag")).toBe('"1-abc"');
    const [call] = fetcher.calls;
    expect(call?.url).toBe("/api/v1/users/u%2F1");
    expect(call?.method).toBe("PATCH");
    expect(call?.headers.get("if-match")).toBe('"1-abc"');
    expect(call?.headers.get("authorization")).toBe("Bearer token-1");
    expect(call?.headers.get("content-type")).toBe("application/json");
    expect(call?.body).toEqual({ name: "Ann" });
  });

  it("builds the query string and leaves out absent parameters", async () => {
    const fetcher = fakeFetch(json(200, { items: [], next_cursor: null }));

    await request(fetcher, "get", "/api/v1/users", { query: { limit: 10, cursor: null } });

    expect(fetcher.calls[0]?.url).toBe("/api/v1/users?limit=10");
    expect(fetcher.calls[0]?.body).toBeUndefined();
  });

  it("returns undefined for 204 No Content", async () => {
    const fetcher = fakeFetch(noContent());

    const response = await request(fetcher, "post", "/api/v1/auth/sign-out", {
      header: { "X-Refresh-Token-Transport": "cookie" },
    });

    expect(response.status).toBe(204);
    expect(response.data).toBeUndefined();
  });

  it("turns a problem+json answer into an ApiError with its field errors", async () => {
    const fetcher = fakeFetch(
      problem(422, "invalid-input", {
        errors: [
          { field: "password", message: "Use at least 15 characters." },
          { field: "password", message: "second message is ignored" },
          { field: "email", message: "Enter a valid email address." },
        ],
      }),
    );

    const error = await request(fetcher, "post", "/api/v1/auth/sign-up", {
      body: { email: "x", password: "y", name: "z" },
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.kind).toBe("invalid-input");
    expect(apiError.fieldErrors()).toEqual({
      password: "Use at least 15 characters.",
      email: "Enter a valid email address.",
    });
  });

  it("reads Retry-After from throttled answers", async () => {
    const fetcher = fakeFetch(problem(429, "too-many-attempts", {}, { "retry-after": "12" }));

    const error = (await request(fetcher, "post", "/api/v1/auth/sign-in", {
      body: { email: "a@b.co", password: "p" },
    }).catch((e: unknown) => e)) as ApiError;

    expect(error.retryAfter).toBe(12);
  });

  it("makes a generic problem of a failure that is not problem+json", async () => {
    const fetcher = fakeFetch(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));

    const error = (await request(fetcher, "get", "/health").catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(502);
    expect(error.problem.title).toBe("Bad Gateway");
    expect(error.fieldErrors()).toEqual({});
  });

  it("reports an unreachable server as a network problem with status 0", async () => {
    const fetcher = fakeFetch(new TypeError("Failed to fetch"));

    const error = (await request(fetcher, "get", "/health").catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(0);
    expect(error.kind).toBe("network-error");
  });
});

describe("expandPath", () => {
  it("refuses a template whose parameter is missing", () => {
    expect(() => expandPath("/api/v1/users/{user_id}", {})).toThrow(/user_id/);
  });
});
