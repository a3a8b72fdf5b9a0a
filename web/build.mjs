// Bundles the browser code into build/, which web/embed.go embeds into the
// Go binary. Run with `npm run build`.
import { build } from "esbuild";
import { rmSync, mkdirSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "build");

// Start from an empty folder so stale bundles never get embedded, but keep
// the .gitkeep that lets go:embed find the folder in a fresh checkout.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, ".gitkeep"), "");

const common = {
  bundle: true,
  minify: true,
  // Old enough for every browser still in use, new enough that esbuild does
  // not have to down-level rrweb's classes.
  target: "es2019",
  format: "iife",
  legalComments: "none",
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { playhead: join(root, "src/recorder/index.ts") },
  outdir: out,
});

await build({
  ...common,
  // player.ts imports both CSS files, so esbuild writes player.css next to
  // player.js.
  entryPoints: { player: join(root, "src/player/index.ts") },
  outdir: out,
});

for (const name of readdirSync(out).filter((n) => !n.startsWith(".")).sort()) {
  const data = readFileSync(join(out, name));
  const kb = (n) => (n / 1024).toFixed(1).padStart(6) + " KB";
  console.log(`${name.padEnd(12)} ${kb(data.length)}  gzip ${kb(gzipSync(data, { level: 9 }).length)}`);
}
