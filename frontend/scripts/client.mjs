#!/usr/bin/env node
// Generates src/api/schema.ts, the types of the typed API client, from the OpenAPI
// document that `app openapi` prints (read from a file or from stdin as `-`).
//
//   uv run app openapi | node scripts/client.mjs -           # regenerate (make client)
//   uv run app openapi | node scripts/client.mjs --check -   # exit 1 if stale (make client-check)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const TARGET = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "api", "schema.ts");
const HEADER = `/**
 * Generated from the API's OpenAPI document by \`make client\`
 * (\`uv run app openapi | node scripts/client.mjs -\`). Do not edit by hand:
 * \`make client-check\` fails when this file and the API disagree.
 */

`;

async function generate(document) {
  const ast = await openapiTS(document, { alphabetize: true });
  return HEADER + astToString(ast);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const args = process.argv.slice(2);
const check = args.includes("--check");
const source = args.find((arg) => !arg.startsWith("--")) ?? "-";
const text = source === "-" ? await readStdin() : readFileSync(source, "utf8");
const generated = await generate(JSON.parse(text));

if (!check) {
  writeFileSync(TARGET, generated);
  console.log(`wrote ${TARGET}`);
} else {
  let committed = "";
  try {
    committed = readFileSync(TARGET, "utf8");
  } catch {
    // a missing file is stale too
  }
  if (committed !== generated) {
    console.error(
      "frontend/src/api/schema.ts is stale: the API's OpenAPI document changed. Run `make client` and commit the result.",
    );
    process.exit(1);
  }
  console.log("frontend/src/api/schema.ts matches the API's OpenAPI document");
}
