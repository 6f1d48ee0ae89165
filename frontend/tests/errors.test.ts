import { describe, expect, it } from "vitest";

import { ApiError, NETWORK_PROBLEM } from "@/api/http";
import { STALE_MESSAGE, describeError, formFailure } from "@/lib/errors";

function apiError(status: number, slug: string, extra: object = {}, headers: Record<string, string> = {}) {
  return new ApiError({ type: `/problems/${slug}`, title: "t", status, ...extra }, new Headers(headers));
}

describe("describeError", () => {
  it("explains each problem in plain words", () => {
    expect(describeError(apiError(409, "email-taken"))).toMatch(/already exists/);
    expect(describeError(apiError(412, "stale-version"))).toBe(STALE_MESSAGE);
    expect(describeError(apiError(409, "last-admin"))).toMatch(/last admin/);
    expect(describeError(new ApiError(NETWORK_PROBLEM))).toMatch(/could not be reached/);
    expect(describeError(new Error("boom"))).toMatch(/Something went wrong/);
  });

  it("says how long to wait when throttled or busy", () => {
    expect(describeError(apiError(429, "too-many-attempts", {}, { "retry-after": "30" }))).toBe(
      "Too many attempts. Try again in 30 seconds.",
    );
    expect(describeError(apiError(503, "service-busy", {}, { "retry-after": "1" }))).toBe(
      "The service is busy. Try again in 1 second.",
    );
  });

  it("falls back to the problem's own detail", () => {
    expect(describeError(apiError(418, "teapot", { detail: "Short and stout." }))).toBe("Short and stout.");
  });
});

describe("formFailure", () => {
  it("puts field errors on the form's fields, mapping server names", () => {
    const error = apiError(422, "invalid-input", {
      errors: [
        { field: "new_password", message: "This password is too common; choose another." },
        { field: "body", message: "Malformed." },
      ],
    });

    const failure = formFailure(error, ["current", "password"] as const, { new_password: "password" });

    expect(failure.fields).toEqual({ password: "This password is too common; choose another." });
    expect(failure.form).toBe("Please correct the fields marked below. Malformed.");
  });

  it("marks the email field when the email is taken", () => {
    const failure = formFailure(apiError(409, "email-taken"), ["name", "email"] as const);

    expect(failure.fields.email).toMatch(/already exists/);
  });
});
