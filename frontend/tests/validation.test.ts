import { describe, expect, it } from "vitest";

import {
  PASSWORD_MIN_LENGTH,
  checkEmail,
  codePoints,
  validatePasswordChange,
  validateProfile,
  validateSignIn,
  validateSignUp,
} from "@/lib/validation";

const GOOD = "correct horse battery staple";

describe("sign-up validation", () => {
  it("accepts a complete form", () => {
    expect(validateSignUp({ name: "Ann", email: "ann@example.com", password: GOOD, confirm: GOOD })).toEqual({});
  });

  it("names every problem, one message per field", () => {
    const errors = validateSignUp({ name: " ", email: "ann", password: "short", confirm: "other" });

    expect(errors).toEqual({
      name: "Enter a name.",
      email: "Enter an email address like ann@example.com.",
      password: `Use at least ${PASSWORD_MIN_LENGTH} characters.`,
      confirm: "The passwords do not match.",
    });
  });

  it("refuses the email or the name as the password", () => {
    const email = "someone.long@example.com";
    expect(validateSignUp({ name: "Ann", email, password: email, confirm: email }).password).toMatch(
      /must not be your email/,
    );
  });

  it("counts code points as the API does, not UTF-16 units", () => {
    expect(codePoints("😀".repeat(15))).toBe(15);
    const emoji = "😀".repeat(PASSWORD_MIN_LENGTH);
    expect(validateSignUp({ name: "Ann", email: "a@b.co", password: emoji, confirm: emoji })).toEqual({});
  });
});

describe("other forms", () => {
  it("sign-in only needs an email and some password", () => {
    expect(validateSignIn({ email: "ann@example.com", password: "x" })).toEqual({});
    expect(validateSignIn({ email: "", password: "" })).toEqual({
      email: "Enter your email address.",
      password: "Enter your password.",
    });
  });

  it("profile edits need a name and a valid email", () => {
    expect(validateProfile({ name: "Ann", email: "ann@example.com" })).toEqual({});
    expect(Object.keys(validateProfile({ name: "", email: "x@" }))).toEqual(["name", "email"]);
  });

  it("a new password must differ from the current one and be repeated", () => {
    const identity = { email: "ann@example.com", name: "Ann" };
    expect(validatePasswordChange({ current: GOOD, password: GOOD, confirm: GOOD }, identity)).toEqual({
      password: "Choose a password you have not used here.",
    });
    expect(validatePasswordChange({ current: "", password: GOOD + "!", confirm: GOOD }, identity)).toEqual({
      current: "Enter your current password.",
      confirm: "The passwords do not match.",
    });
  });

  it("email checks trim and require a domain with a dot", () => {
    expect(checkEmail("  ann@example.com ")).toBeNull();
    expect(checkEmail("ann@localhost")).not.toBeNull();
    expect(checkEmail("a".repeat(250) + "@b.co")).toMatch(/at most/);
  });
});
