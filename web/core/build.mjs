// Builds the browser bundle of the core (what the field web app loads) into
// server/web/static/core/cairn-core.js. `--check` (CI) type-checks, rebuilds in memory and
// fails when the committed file differs from what the sources and package-lock.json give.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js");
const check = process.argv.includes("--check");

execFileSync(join(here, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", here], { stdio: "inherit" });
const result = await build({
  entryPoints: [join(here, "src", "index.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  write: false,
  minify: false,
  legalComments: "eof",
  charset: "utf8",
  banner: { js: "// Cairn device core, built from web/core (npm run build); do not edit by hand." },
  logLevel: "warning",
});
const code = result.outputFiles[0].contents;
if (check) {
  let committed;
  try {
    committed = readFileSync(out);
  } catch {
    committed = Buffer.alloc(0);
  }
  if (!Buffer.from(code).equals(committed)) {
    console.error(`${out} differs from a fresh build of web/core: run (cd web/core && npm ci && npm run build) and commit it`);
    process.exit(1);
  }
  console.log("server/web/static/core/cairn-core.js matches web/core's sources and lockfile");
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`wrote ${out} (${code.length} bytes)`);
}
