import { describe, expect, it, vi } from "vitest";

import { ApiError, type Schemas } from "@/api/http";
import {
  type AuditEventType,
  EVENT_LABELS,
  OPERATION_WORDS,
  appendEvents,
  byOther,
  detailLines,
  eventLabel,
  eventTitle,
  isWarning,
} from "@/lib/audit";
import { deviceName, sortSessions } from "@/lib/devices";
import { INVALID_CODE_MESSAGE, INVALID_LINK_MESSAGE, describeError, formFailure } from "@/lib/errors";
import { takeHashToken, tokenFromHash } from "@/lib/fragment";
import { groupSecret, isOtpauthUri } from "@/lib/two-factor";
import {
  checkCode,
  normalizeCode,
  validateNewPassword,
  validatePasswordChange,
  validateProof,
  validateTwoFactorOff,
} from "@/lib/validation";

type AuditEventOut = Schemas["AuditEventOut"];
type SessionOut = Schemas["SessionOut"];

const ALL_TYPES: AuditEventType[] = [
  "sign_up",
  "sign_in.succeeded",
  "sign_in.failed",
  "sign_in.challenged",
  "two_factor.failed",
  "reauthentication.failed",
  "refresh.reused",
  "session.revoked",
  "session.others_revoked",
  "password.changed",
  "password.reset_requested",
  "password.reset",
  "email.verified",
  "email.changed",
  "two_factor.enabled",
  "two_factor.disabled",
  "two_factor.backup_code_used",
  "user.created",
  "user.role_changed",
  "user.deleted",
];

function event(id: string, extra: Partial<AuditEventOut> = {}): AuditEventOut {
  return {
    id,
    type: "sign_in.succeeded",
    at: "2026-01-01T00:00:00Z",
    user_id: "u1",
    actor_id: null,
    ip: "",
    request_id: "r",
    user_agent: "",
    details: {},
    ...extra,
  };
}

describe("event labels", () => {
  it("has distinct words for every event type of the API", () => {
    const labels = ALL_TYPES.map(eventLabel);
    expect(labels.every((label) => label.length > 0)).toBe(true);
    expect(new Set(labels).size).toBe(ALL_TYPES.length);
    expect(Object.keys(EVENT_LABELS).sort()).toEqual([...ALL_TYPES].sort());
    expect(eventLabel("sign_in.failed")).toBe("Failed sign-in attempt");
    expect(eventLabel("two_factor.enabled")).toBe("Two-factor authentication turned on");
  });

  it("spells out an event type it does not know yet", () => {
    expect(eventLabel("api_key.created")).toBe("Api key created");
    expect(eventLabel("")).toBe("Unknown event");
    expect(eventLabel("toString")).toBe("ToString");
  });

  it("says what the user was doing when a password or code check failed", () => {
    const failed = (type: string, operation: string) => event("e", { type, details: { operation } });

    expect(eventTitle(failed("reauthentication.failed", "delete_account"))).toBe(
      "Wrong password or code when deleting the account",
    );
    expect(eventTitle(failed("reauthentication.failed", "disable_two_factor"))).toBe(
      "Wrong password or code when turning off two-factor authentication",
    );
    expect(eventTitle(failed("two_factor.failed", "sign_in"))).toBe("Wrong two-factor code when signing in");
    expect(detailLines(failed("reauthentication.failed", "change_email"))).toEqual([]);
    // Every operation the API names has its words, all different.
    const operations = [
      "change_password",
      "change_email",
      "delete_account",
      "enroll_two_factor",
      "confirm_two_factor",
      "disable_two_factor",
      "sign_in",
    ];
    expect(Object.keys(OPERATION_WORDS).sort()).toEqual([...operations].sort());
    expect(new Set(Object.values(OPERATION_WORDS)).size).toBe(operations.length);
  });

  it("keeps an operation it has no words for as a detail line", () => {
    const newer = event("e", { type: "reauthentication.failed", details: { operation: "rotate_keys" } });
    const inherited = event("e", { type: "reauthentication.failed", details: { operation: "toString" } });

    expect(eventTitle(newer)).toBe("Wrong password or code");
    expect(detailLines(newer)).toEqual(["operation: rotate_keys"]);
    expect(eventTitle(inherited)).toBe("Wrong password or code");
    expect(eventTitle(event("e", { type: "sign_in.succeeded" }))).toBe("Signed in");
  });

  it("marks failures and token reuse as warnings", () => {
    expect(isWarning("reauthentication.failed")).toBe(true);
    expect(isWarning("two_factor.failed")).toBe(true);
    expect(isWarning("sign_in.failed")).toBe(true);
    expect(isWarning("refresh.reused")).toBe(true);
    expect(isWarning("sign_in.succeeded")).toBe(false);
  });

  it("lists details sorted, without empty values", () => {
    expect(detailLines(event("e", { details: { to_role: "admin", from_role: "user", x: "" } }))).toEqual([
      "from role: user",
      "to role: admin",
    ]);
  });

  it("tells events done by someone else", () => {
    expect(byOther({ user_id: "u1", actor_id: null })).toBe(false);
    expect(byOther({ user_id: "u1", actor_id: "u1" })).toBe(false);
    expect(byOther({ user_id: "u1", actor_id: "admin" })).toBe(true);
  });

  it("appends a page without repeating events already shown", () => {
    const merged = appendEvents([event("a"), event("b")], [event("b"), event("c")]);
    expect(merged.map((e) => e.id)).toEqual(["a", "b", "c"]);
  });
});

describe("tokens in the URL fragment", () => {
  it("reads #token=...", () => {
    expect(tokenFromHash("#token=abc.DEF-123_x")).toBe("abc.DEF-123_x");
    expect(tokenFromHash("token=abc")).toBe("abc");
    expect(tokenFromHash("#token=a%2Bb")).toBe("a+b");
    expect(tokenFromHash("#other=1&token=t")).toBe("t");
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#token=")).toBeNull();
    expect(tokenFromHash("#tokens=abc")).toBeNull();
  });

  it("removes the fragment from the address once read", () => {
    const replaceState = vi.fn();
    const place = {
      location: { hash: "#token=abc", pathname: "/verify-email/", search: "?x=1" },
      history: { replaceState, state: { kept: true } },
    };

    expect(takeHashToken(place)).toBe("abc");
    expect(replaceState).toHaveBeenCalledWith({ kept: true }, "", "/verify-email/?x=1");
  });

  it("leaves an address without a fragment alone", () => {
    const replaceState = vi.fn();
    const place = {
      location: { hash: "", pathname: "/reset-password/", search: "" },
      history: { replaceState, state: null },
    };

    expect(takeHashToken(place)).toBeNull();
    expect(replaceState).not.toHaveBeenCalled();
  });
});

describe("two-factor helpers", () => {
  it("groups the secret by 4 for typing", () => {
    expect(groupSecret("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(groupSecret("jbswy3dpehpk3p==")).toBe("JBSW Y3DP EHPK 3P");
    expect(groupSecret("")).toBe("");
  });

  it("offers only otpauth links", () => {
    expect(isOtpauthUri("otpauth://totp/Auth:ann%40example.com?secret=X&issuer=Auth")).toBe(true);
    expect(isOtpauthUri("javascript:alert(1)")).toBe(false);
    expect(isOtpauthUri("https://example.com/")).toBe(false);
  });

  it("checks app codes and backup codes", () => {
    expect(checkCode("123456")).toBeNull();
    expect(checkCode(" 123 456 ")).toBeNull();
    expect(checkCode("12345")).toMatch(/6-digit/);
    expect(checkCode("")).toBe("Enter the code from your app.");
    expect(checkCode("ABCD-EFGH-JKLM-NPQR")).toMatch(/6-digit/);
    expect(checkCode("ABCD-EFGH-JKLM-NPQR", { backup: true })).toBeNull();
    expect(checkCode("123456", { backup: true })).toBeNull();
    expect(checkCode("ABCD-EFGH", { backup: true })).toMatch(/backup code/);
    expect(normalizeCode(" 123 456\n")).toBe("123456");
  });

  it("validates the turn-off form", () => {
    expect(validateTwoFactorOff({ password: "", code: "" })).toEqual({
      password: "Enter your password.",
      code: "Enter the code from your app or a backup code.",
    });
    expect(validateTwoFactorOff({ password: "pw", code: "123456" })).toEqual({});
  });
});

describe("proving it is you again", () => {
  it("asks for the current password, and a code only with two-factor on", () => {
    expect(validateProof({ password: "", code: "" }, false)).toEqual({
      password: "Enter your current password.",
    });
    expect(validateProof({ password: "pw", code: "" }, false)).toEqual({});
    expect(validateProof({ password: "pw", code: "" }, true)).toEqual({
      code: "Enter the code from your app or a backup code.",
    });
    expect(validateProof({ password: "pw", code: "12 34 56" }, true)).toEqual({});
    expect(validateProof({ password: "pw", code: "ABCD-EFGH-JKLM-NPQR" }, true)).toEqual({});
  });

  it("adds the code to the password change with two-factor on", () => {
    const identity = { email: "ann@example.com", name: "Ann" };
    const values = { current: "old password", password: "a long enough passphrase", confirm: "a long enough passphrase" };

    expect(validatePasswordChange(values, identity)).toEqual({});
    expect(validatePasswordChange(values, identity, { withCode: true })).toEqual({
      code: "Enter the code from your app or a backup code.",
    });
    expect(validatePasswordChange({ ...values, code: "123456" }, identity, { withCode: true })).toEqual({});
  });
});

describe("new password from a reset link", () => {
  it("reuses the password policy and checks the repeat", () => {
    expect(validateNewPassword({ password: "short", confirm: "short" }).password).toMatch(/at least/);
    expect(validateNewPassword({ password: "a long enough passphrase", confirm: "other" })).toEqual({
      confirm: "The passwords do not match.",
    });
    expect(validateNewPassword({ password: "a long enough passphrase", confirm: "a long enough passphrase" })).toEqual({});
  });
});

describe("sessions list", () => {
  const session = (id: string, lastUsed: string, current = false): SessionOut => ({
    id,
    device: id,
    ip: "",
    created_at: "2026-01-01T00:00:00Z",
    last_used_at: lastUsed,
    expires_at: "2026-02-01T00:00:00Z",
    current,
  });

  it("puts this device first, then the most recently used", () => {
    const sorted = sortSessions([
      session("old", "2026-01-02T00:00:00Z"),
      session("here", "2026-01-01T00:00:00Z", true),
      session("new", "2026-01-03T00:00:00Z"),
    ]);
    expect(sorted.map((s) => s.id)).toEqual(["here", "new", "old"]);
  });

  it("names a device without a description", () => {
    expect(deviceName({ device: "  " })).toBe("Unknown device");
    expect(deviceName({ device: "Safari on iPhone" })).toBe("Safari on iPhone");
  });
});

describe("account problems in words", () => {
  const problemOf = (status: number, slug: string, extra: object = {}) =>
    new ApiError({ type: `/problems/${slug}`, title: "Problem", status, ...extra });

  it("describes invalid links and codes, unverified email and two-factor state", () => {
    expect(describeError(problemOf(400, "invalid-token"))).toBe(INVALID_LINK_MESSAGE);
    expect(describeError(problemOf(401, "invalid-code"))).toBe(INVALID_CODE_MESSAGE);
    expect(describeError(problemOf(403, "email-unverified"))).toMatch(/^Verify your email address first/);
    expect(describeError(problemOf(409, "two-factor-state"))).toMatch(/Reload the page/);
  });

  it("puts a wrong first code on the code field", () => {
    const error = problemOf(422, "invalid-input", { errors: [{ field: "code", message: "Wrong code." }] });
    expect(formFailure(error, ["code"] as const)).toEqual({
      form: "Please correct the fields marked below.",
      fields: { code: "Wrong code." },
    });
  });
});
