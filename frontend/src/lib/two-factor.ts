/** Two-factor setup helpers: the secret shown for typing it in by hand. */

/** `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP`: groups of 4 are easier to type. */
export function groupSecret(secret: string): string {
  const compact = secret.replace(/[\s=]+/g, "").toUpperCase();
  return (compact.match(/.{1,4}/g) ?? []).join(" ");
}

/** Only `otpauth://` links are offered to the authenticator app. */
export function isOtpauthUri(uri: string): boolean {
  return /^otpauth:\/\/(totp|hotp)\//i.test(uri);
}
