#!/usr/bin/env node
// After `next build`: put the API reference's script into the export, at
// `out/schema/assets/api-reference.js`, from the exact @scalar/api-reference version
// pinned in package.json (its self-contained browser bundle, styles included), with a
// note of its name, version and licence beside it. The API's docs page (`/schema`, entrypoints/http/docs.py)
// loads it from there: locally `app serve` serves it, when deployed CloudFront does
// from the site's bucket. Nothing is loaded from another origin.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@scalar/api-reference";
const here = dirname(fileURLToPath(import.meta.url));
const installed = join(here, "..", "node_modules", ...PACKAGE.split("/"));

export function copyDocsAssets(out) {
  const bundle = join(installed, "dist", "browser", "standalone.js");
  if (!existsSync(bundle)) {
    throw new Error(`${bundle} is missing: run \`npm ci\` in frontend/ first`);
  }
  const { version, license, repository } = JSON.parse(
    readFileSync(join(installed, "package.json"), "utf8"),
  );
  const pinned = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8"))
    .devDependencies[PACKAGE];
  if (version !== pinned) {
    throw new Error(`${PACKAGE} ${version} is installed but ${pinned} is pinned: run \`npm ci\``);
  }
  const assets = join(out, "schema", "assets");
  mkdirSync(assets, { recursive: true });
  copyFileSync(bundle, join(assets, "api-reference.js"));
  const source = typeof repository === "string" ? repository : repository?.url;
  writeFileSync(
    join(assets, "api-reference.NOTICE.txt"),
    `${PACKAGE} ${version}, ${license} licence, ${source ?? "https://www.npmjs.com/package/" + PACKAGE}\n`,
  );
  return { version, directory: assets };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? "out";
  const { version, directory } = copyDocsAssets(out);
  console.log(`docs-assets: ${PACKAGE} ${version} -> ${directory}`);
}
