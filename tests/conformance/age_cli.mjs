// A small age tool on the built TypeScript core, for the interop test with the `age` CLI:
//     node age_cli.mjs encrypt RECIPIENT IN OUT
//     node age_cli.mjs decrypt IDENTITY IN OUT     (exit 3 and the error code on stdout)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(process.env.CAIRN_CORE ?? join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const [verb, key, input, output] = process.argv.slice(2);
const data = new Uint8Array(readFileSync(input));
try {
  const out = verb === "encrypt" ? await core.ageEncrypt(data, [key]) : await core.ageDecrypt(data, [key]);
  writeFileSync(output, out);
} catch (e) {
  if (!(e instanceof core.CairnCryptoError)) throw e;
  console.log(e.code);
  process.exit(3);
}
