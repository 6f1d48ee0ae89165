import { describe, expect, it } from "vitest";

import { ApiError, NETWORK_PROBLEM } from "@/api/http";
import {
  CHECK_CODE,
  CHECK_PASSWORD,
  EMAIL_CHANGE_THROTTLED,
  SIGN_UP_THROTTLED,
  STALE_MESSAGE,
  WRONG_CURRENT_PASSWORD,
  WRONG_PASSWORD_OR_CODE,
  describeError,
  formFailure,
  isThrottled,
  reauthFailure,
  tooManyMessage,
  waitWords,
} from "@/lib/errors";

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
      "Too many attempts; try again in 30 seconds.",
    );
    expect(describeError(apiError(429, "too-many-attempts", {}, { "retry-after": "600" }))).toBe(
      "Too many attempts; try again in 10 minutes.",
    );
    // A 429 of another kind (a proxy's, say) still says to wait.
    expect(describeError(apiError(429, "about:blank", {}, { "retry-after": "5" }))).toBe(
      "Too many attempts; try again in 5 seconds.",
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

describe("waiting after a 429", () => {
  it("says the wait in seconds, then minutes, then hours, rounded up", () => {
    expect(waitWords(1)).toBe("1 second");
    expect(waitWords(59)).toBe("59 seconds");
    expect(waitWords(60)).toBe("1 minute");
    expect(waitWords(61)).toBe("2 minutes");
    expect(waitWords(3600)).toBe("60 minutes");
    expect(waitWords(90 * 60)).toBe("90 minutes");
    expect(waitWords(90 * 60 + 1)).toBe("2 hours");
    expect(waitWords(null)).toBe("a moment");
    expect(waitWords(0)).toBe("a moment");
  });

  it("is one wording, naming the limit when the form knows it", () => {
    const throttled = apiError(429, "too-many-attempts", {}, { "retry-after": "125" });

    expect(tooManyMessage(throttled)).toBe("Too many attempts; try again in 3 minutes.");
    expect(tooManyMessage(throttled, SIGN_UP_THROTTLED)).toBe(
      "Too many accounts were created from your network lately; try again in 3 minutes.",
    );
    expect(tooManyMessage(throttled, EMAIL_CHANGE_THROTTLED)).toMatch(/too many emails.*; try again in 3 minutes\.$/);
    expect(isThrottled(throttled)).toBe(true);
    expect(isThrottled(apiError(401, "invalid-credentials"))).toBe(false);
    expect(isThrottled(new Error("x"))).toBe(false);
  });

  it("reads Retry-After as an HTTP date too", () => {
    const at = new Date(Date.now() + 90_000).toUTCString();
    const wait = apiError(429, "too-many-attempts", {}, { "retry-after": at }).retryAfter;

    expect(wait).toBeGreaterThanOrEqual(88);
    expect(wait).toBeLessThanOrEqual(90);
    expect(apiError(429, "x", {}, { "retry-after": "soon" }).retryAfter).toBeNull();
    expect(apiError(429, "x", {}, { "retry-after": "12abc" }).retryAfter).toBeNull();
    expect(apiError(429, "x").retryAfter).toBeNull();
  });
});

describe("reauthFailure", () => {
  const FIELDS = ["current", "password", "code"] as const;
  const ALIASES = { current_password: "current", new_password: "password" } as const;
  const proof = (withCode: boolean) => ({ password: "current", code: "code", withCode }) as const;

  it("says a wrong current password on its field", () => {
    const failure = reauthFailure(
      apiError(401, "invalid-credentials", { detail: "The current password is incorrect." }),
      FIELDS,
      proof(false),
      ALIASES,
    );

    expect(failure).toEqual({
      form: WRONG_CURRENT_PASSWORD,
      fields: { current: WRONG_CURRENT_PASSWORD },
      needsCode: false,
    });
  });

  it("marks both the password and the code with two-factor on (the API does not say which)", () => {
    const failure = reauthFailure(
      apiError(401, "invalid-credentials", { detail: "The password or the code is incorrect." }),
      FIELDS,
      proof(true),
      ALIASES,
    );

    expect(failure).toEqual({
      form: WRONG_PASSWORD_OR_CODE,
      fields: { current: CHECK_PASSWORD, code: CHECK_CODE },
      needsCode: false,
    });
  });

  it("asks for a code the form did not show when the API names it missing", () => {
    const missing = apiError(422, "invalid-input", {
      errors: [{ field: "code", message: "Enter a code from your authenticator app." }],
    });

    const hidden = reauthFailure(missing, FIELDS, proof(false), ALIASES);
    const shown = reauthFailure(missing, FIELDS, proof(true), ALIASES);

    expect(hidden.needsCode).toBe(true);
    expect(hidden.fields).toEqual({ code: "Enter a code from your authenticator app." });
    expect(shown.needsCode).toBe(false);
  });

  it("maps the API's field names and leaves other failures to formFailure", () => {
    const missing = apiError(422, "invalid-input", {
      errors: [{ field: "current_password", message: "Enter your current password." }],
    });
    const throttled = apiError(429, "too-many-attempts", {}, { "retry-after": "3600" });

    expect(reauthFailure(missing, FIELDS, proof(false), ALIASES).fields).toEqual({
      current: "Enter your current password.",
    });
    expect(reauthFailure(throttled, FIELDS, proof(true), ALIASES)).toEqual({
      form: "Too many attempts; try again in 60 minutes.",
      fields: {},
      needsCode: false,
    });
  });
});
