// Builds the field web app into server/web/static/field: app.js and sw.js (esbuild
// bundles of src/, with the device core from ../core/src), and the files of public/.
// `--check` (CI) type-checks, rebuilds in memory and fails when any committed file
// differs from what the sources and package-lock.json give, or when one is extra.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "server", "web", "static", "field");
const check = process.argv.includes("--check");

execFileSync(join(here, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", here], { stdio: "inherit" });

// Every package import resolves from web/field/node_modules (also those of ../core/src),
// so the bundle is the same whether or not web/core has its own node_modules. By esbuild's
// `alias` (resolved in absWorkingDir, this directory), not a plugin: an onResolve plugin
// made the minified names differ in about one build in three (files numbered in the order
// its callbacks answered), and `--check` failed at random. The @noble packages' exports
// map every subpath to the same file at the package root, so the alias picks those files.
const alias = Object.fromEntries(
  ["@noble/ciphers", "@noble/curves", "@noble/hashes", "@noble/post-quantum", "age-encryption"].map((p) => [p, `./node_modules/${p}`]),
);

async function bundle(entry, define = {}) {
  const result = await build({
    entryPoints: [join(here, "src", entry)],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    minify: true,
    legalComments: "eof",
    charset: "utf8",
    define,
    alias,
    absWorkingDir: here,
    banner: { js: "// Cairn field app, built from web/field (npm run build); do not edit by hand." },
    logLevel: "warning",
  });
  return Buffer.from(result.outputFiles[0].contents);
}

const files = new Map();
for (const name of readdirSync(join(here, "public")).sort()) files.set(name, readFileSync(join(here, "public", name)));
files.set("app.js", await bundle("app.ts"));
// The service worker's cache is named by the hash of the shell it keeps: a new build is
// a new cache, and the old one is dropped when the new worker activates.
const shell = createHash("sha256");
for (const [name, bytes] of [...files].sort()) shell.update(name).update(bytes);
const version = shell.digest("hex").slice(0, 16);
const shellFiles = ["./", ...[...files.keys()].filter((n) => n !== "index.html")].sort();
files.set("sw.js", await bundle("sw.ts", { __SHELL_VERSION__: JSON.stringify(version), __SHELL_FILES__: JSON.stringify(shellFiles) }));

if (check) {
  let committed = [];
  try {
    committed = readdirSync(out).sort();
  } catch {}
  const problems = [];
  for (const [name, bytes] of files) {
    let have = Buffer.alloc(0);
    try {
      have = readFileSync(join(out, name));
    } catch {}
    if (!bytes.equals(have)) problems.push(`${name} differs`);
  }
  for (const name of committed) if (!files.has(name)) problems.push(`${name} is not built from web/field`);
  if (problems.length) {
    console.error(`server/web/static/field differs from a fresh build of web/field (${problems.join(", ")}): run (cd web/field && npm ci && npm run build) and commit it`);
    process.exit(1);
  }
  console.log("server/web/static/field matches web/field's sources and lockfile");
} else {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(out, name), bytes);
  console.log(`wrote ${files.size} files to ${out} (shell ${version})`);
}
