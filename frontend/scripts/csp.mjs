#!/usr/bin/env node
// After `next build`: give every exported page a Content-Security-Policy <meta> that
// allows exactly its own inline scripts (Next's static export inlines its bootstrap
// and RSC payload scripts) by SHA-256 hash, and nothing inline besides. The page then
// protects itself wherever it is hosted (S3 + CloudFront, `app serve`); `app serve`
// also sends the same policy as a header, plus `frame-ancestors`, which a <meta>
// cannot carry. Keep the directives in step with PAGE_POLICY in
// entrypoints/http/middleware.py (a test compares them).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' {hashes}",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
];
const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi;
const EXISTING = /<meta http-equiv="Content-Security-Policy"[^>]*>/i;

export function scriptHashes(html) {
  const hashes = new Set();
  for (const match of html.matchAll(INLINE_SCRIPT)) {
    const body = match[1] ?? "";
    if (body) hashes.add(`'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`);
  }
  return [...hashes].sort();
}

export function policyFor(html) {
  return DIRECTIVES.join("; ").replace("{hashes}", scriptHashes(html).join(" ")).replace(/ +;/g, ";");
}

function withPolicy(html) {
  const cleaned = html.replace(EXISTING, "");
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policyFor(cleaned)}"/>`;
  const charset = cleaned.match(/<meta charSet="utf-8"\/>/i);
  if (charset?.index !== undefined) {
    const at = charset.index + charset[0].length;
    return cleaned.slice(0, at) + meta + cleaned.slice(at);
  }
  return cleaned.replace(/<head>/i, `<head>${meta}`);
}

function* htmlFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* htmlFiles(path);
    else if (name.endsWith(".html")) yield path;
  }
}

const root = process.argv[2] ?? "out";
let count = 0;
for (const file of htmlFiles(root)) {
  writeFileSync(file, withPolicy(readFileSync(file, "utf8")));
  count += 1;
}
console.log(`csp: wrote a Content-Security-Policy into ${count} pages under ${root}/`);
