// Runs the unit tests: esbuild bundles each test/*.test.mjs together with the
// TypeScript modules it imports, and node's test runner runs the bundles.
import { build } from "esbuild";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(join(tmpdir(), "playhead-web-test-"));
try {
  const tests = readdirSync(here).filter((n) => n.endsWith(".test.mjs"));
  await build({
    entryPoints: tests.map((n) => join(here, n)),
    outdir: out,
    bundle: true,
    platform: "node",
    format: "esm",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  const run = spawnSync(process.execPath, ["--test", ...tests.map((n) => join(out, n))], { stdio: "inherit" });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
