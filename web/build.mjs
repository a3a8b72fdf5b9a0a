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

// Rewrites of rrweb's record bundle, each checked to still apply:
// - rrweb inlines the source of the worker that encodes canvas snapshots,
//   1 KB gzipped; src/recorder/canvas-worker.js does the same work (answers
//   and caching alike) with the worker's FileReaderSync in a third of it.
// - rrweb's classes set their ~90 fields through a helper call each,
//   __publicField(this, "name", value); a plain assignment does the same
//   (the helper assigns too, unless the name is already on the object,
//   and no field of rrweb's shadows a getter) in fewer bytes.
// - rrweb checks that the DOM's getters are the browser's own before it uses
//   them, but lists Element's querySelector methods among the getters: the
//   check always fails, and every page paid for a hidden iframe to take
//   untainted ones from (about 20 ms of a page's start). They are checked
//   as the methods they are.
// - rrweb tests every mutated and added node against its block and mask
//   classes, then against Playhead's selectors, with closest() up to the
//   root: on a busy page, most of what Playhead added to stock rrweb's cost
//   (docs/benchmarks.md). Playhead's selectors name rrweb's classes too
//   (src/recorder/recorder.ts), so rrweb tests the selectors alone; and
//   while it handles one batch of mutation records, when the page cannot
//   change the DOM, whether an element or one of its ancestors matches is
//   remembered per element, so that most nodes need no matching at all.
// - rrweb's handling of DOM mutations does less per mutation than stock
//   rrweb's for what Playhead records (below; docs/benchmarks.md, "Recorder
//   overhead"): a text replaced in its place is recorded as a new value,
//   and checks whose answer cannot differ are made once.
const selectorOnly = [
  [
    "_isBlockedElement",
    "function _isBlockedElement(el, _, sel) {\n  return (!inMutations || within(el, sel)) && el.matches(sel);\n}\n",
  ],
  [
    "isBlocked",
    "function isBlocked(node, _, sel, up) {\n  const el = closestElementOfNode(node);\n  return !!el && (!inMutations || within(el, sel)) && (up ? !!el.closest(sel) : el.matches(sel));\n}\n",
  ],
  [
    "needMaskingText",
    "function needMaskingText(node, _, sel, up) {\n  const el = isElement(node) ? (index.childNodes(node).length ? node : null) : index.parentElement(node);\n  return !!el && (!inMutations || within(el, sel)) && (up ? !!el.closest(sel) : el.matches(sel));\n}\n" +
      // Whether el or an ancestor matches sel, as closest() would say.
      "let inMutations = null;\n" +
      "function within(el, sel) {\n" +
      "  return up(el, inMutations.get(sel) || inMutations.set(sel, new Map()).get(sel), own.get(sel) || own.set(sel, new WeakMap()).get(sel), sel);\n" +
      "}\n" +
      // Asked up the parent chain until an answer is known, and remembered
      // on the way back down; no array per question. Whether an element
      // itself matches is also kept from batch to batch (own, one per
      // MutationBuffer): Playhead's selectors test only the element's own
      // tag and attributes, so the answer holds until an attribute of it
      // changes, which a batch reports, or it is added again (it may have
      // changed out of the document, unobserved); either forgets it first.
      "let own = null;\n" +
      "function up(e, seen, mine, sel) {\n" +
      "  let hit = seen.get(e);\n" +
      "  if (hit === undefined) {\n" +
      "    hit = mine.get(e);\n" +
      "    if (hit === undefined) mine.set(e, (hit = e.matches(sel)));\n" +
      "    seen.set(e, (hit = hit || (!!e.parentElement && up(e.parentElement, seen, mine, sel))));\n" +
      "  }\n" +
      "  return hit;\n" +
      "}\n" +
      "function forgetOne(n) {\n" +
      "  own.forEach((m) => m.delete(n));\n" +
      "}\n" +
      "function forget(n) {\n" +
      "  forgetOne(n);\n" +
      "  for (let c = n.firstChild; c; c = c.nextSibling) forget(c);\n" +
      "}\n",
  ],
];
const leanRecord = {
  name: "lean-record",
  setup(b) {
    b.onLoad({ filter: /@rrweb[\\/]record[\\/]dist[\\/]record\.js$/ }, (args) => {
      const src = readFileSync(args.path, "utf8");
      const worker = readFileSync(join(root, "src/recorder/canvas-worker.js"), "utf8").trim();
      let out = src.replace(/^const jsContent = '.*';$/m, () => `const jsContent = ${JSON.stringify(worker)};`);
      if (out === src) throw new Error("rrweb's canvas worker source not found: check the lean-record plugin");
      const before = out;
      out = out
        .replace(/__publicField\(this, "([A-Za-z_$][\w$]*)"\);/g, "this.$1 = void 0;")
        .replace(/__publicField\(this, "([A-Za-z_$][\w$]*)", /g, "this.$1 = (");
      if (out === before || /__publicField\(this/.test(out)) throw new Error("rrweb's class fields not as expected: check the lean-record plugin");
      const tested = out;
      out = out
        .replace('Element: ["shadowRoot", "querySelector", "querySelectorAll"],', 'Element: ["shadowRoot"],')
        .replace("Element: [],", 'Element: ["querySelector", "querySelectorAll"],');
      if (out.split('"querySelectorAll"').length !== tested.split('"querySelectorAll"').length || !out.includes('Element: ["shadowRoot"],'))
        throw new Error("rrweb's untainted prototype tests not as expected: check the lean-record plugin");
      for (const [name, body] of selectorOnly) {
        const start = out.indexOf(`function ${name}(`);
        const end = out.indexOf("\n}\n", start);
        if (start < 0 || end < 0) throw new Error(`rrweb's ${name} not found: check the lean-record plugin`);
        out = out.slice(0, start) + body + out.slice(end + 3);
      }
      // A text replaced by a text in its place (el.textContent = "…"), the
      // most common change of a page's text: recorded as a new value of the
      // old node, whose id the new node takes, rather than as a removal and
      // an addition of a serialized node. The replay shows the same, for a
      // fraction of the work and of the bytes. Anything else in the same
      // batch touching either node (added, moved, not recorded) takes
      // rrweb's own path.
      const textarea = 'if (m.target.tagName === "TEXTAREA") {';
      if (out.split(textarea).length !== 2 || !out.includes("\nfunction deepDelete("))
        throw new Error("rrweb's childList mutations not as expected: check the lean-record plugin");
      out = out.replace(textarea, "if (textSwap(m, this)) return;\n          " + textarea);
      out = out.replace(
        "\nfunction deepDelete(",
        "\nfunction textSwap(m, b) {\n" +
          "  const t = m.target, n = m.addedNodes.item(0), old = m.removedNodes.item(0), mirror = b.mirror, tag = t.tagName;\n" +
          "  if (m.addedNodes.length !== 1 || m.removedNodes.length !== 1 || n.nodeType !== 3 || old.nodeType !== 3 || t.nodeType !== 1 || tag === \"STYLE\" || tag === \"SCRIPT\" || tag === \"TEXTAREA\") return false;\n" +
          "  const meta = mirror.getMeta(old);\n" +
          "  if (!meta || meta.id < 1 || mirror.getId(t) < 1 || n.parentNode !== t || mirror.hasNode(n) || b.addedSet.has(n) || b.addedSet.has(old) || b.movedSet.has(old) || b.processedNodeManager.inOtherBuffer(n, b)) return false;\n" +
          "  mirror.nodeMetaMap.delete(old);\n" +
          "  mirror.add(n, meta);\n" +
          "  const value = n.data;\n" +
          "  if (value !== old.data) b.texts.push({ value: value && needMaskingText(n, b.maskTextClass, b.maskTextSelector, true) ? b.maskTextFn(value, t) : value, node: n });\n" +
          "  return true;\n" +
          "}\n" +
          // Whether a target's ancestors were removed, asked for every node
          // removed from it: the answer holds for the whole batch, as the
          // DOM and the ids it reads do (remembered with within's).
          "function ancestorRemoved(t, mirror) {\n" +
          "  let r = inMutations.get(t);\n" +
          "  if (r === undefined) inMutations.set(t, (r = isAncestorRemoved(t, mirror)));\n" +
          "  return r;\n" +
          "}\n" +
          "function deepDelete(",
      );
      // Images inlined as data: URIs (rrweb's inlineImages), which Playhead
      // never asks for: dead code, dropped as such by the minifier.
      const inline = 'if (tagName === "img" && inlineImages) {';
      if (out.split(inline).length !== 2) throw new Error("rrweb's inlineImages not as expected: check the lean-record plugin");
      out = out.replace(inline, "if (false) {");
      const rewrites = [
        // A node removed: rrweb tested the target against the block
        // selector again (closest() had said no, so matches() could not say
        // yes), looked the node's id up three times and the target's twice,
        // and walked the target's ancestors, for every node removed.
        [
          "m.removedNodes.forEach((n) => {\n            const nodeId = this.mirror.getId(n);\n            const parentId = isShadowRoot(m.target) ? this.mirror.getId(index.host(m.target)) : this.mirror.getId(m.target);\n            if (isBlocked(m.target, this.blockClass, this.blockSelector, false) || isIgnored(n, this.mirror, this.slimDOMOptions) || !isSerialized(n, this.mirror)) {",
          "const shadow = isShadowRoot(m.target), parentId = this.mirror.getId(shadow ? index.host(m.target) : m.target);\n          m.removedNodes.forEach((n) => {\n            const nodeId = this.mirror.getId(n);\n            if (nodeId < 0 || (n.tagName === \"TITLE\" && this.slimDOMOptions.headTitleMutations)) {",
        ],
        ["else if (isAncestorRemoved(m.target, this.mirror)) ;", "else if (ancestorRemoved(m.target, this.mirror)) ;"],
        ["isShadow: isShadowRoot(m.target) && isNativeShadowDom(m.target) ? true : void 0", "isShadow: shadow && isNativeShadowDom(m.target) ? true : void 0"],
        // Whether a node's text is masked matters to text nodes and to the
        // children serialized with it: an element added alone (each node a
        // mutation adds is serialized alone) needs no answer, unless it is
        // an iframe, whose document is serialized with it once loaded.
        ["  if (!needsMask) {\n    const checkAncestors", '  if (!needsMask && !(skipChild && n.nodeType === 1 && n.nodeName !== "IFRAME")) {\n    const checkAncestors'],
        // A serialized element's needBlock, which is not recorded, left
        // undefined (JSON leaves it out) rather than deleted: a delete turns
        // every element's object into a slow dictionary, to build and to
        // stringify.
        ["delete serializedNode.needBlock;", "serializedNode.needBlock = void 0;"],
        // A text node added has neither children nor a shadow root to add.
        ["      if (!isBlocked(n, this.blockClass, this.blockSelector, false)) {\n        index.childNodes(n)", "      if (n.nodeType !== 3 && !isBlocked(n, this.blockClass, this.blockSelector, false)) {\n        index.childNodes(n)"],
        // The children of an added node, of a removed one and of one taken
        // out of the mirror, walked by their siblings: no NodeList, no
        // closure and no queue per node. Nothing in these walks changes
        // the DOM.
        ["index.childNodes(n).forEach((childN) => this.genAdds(childN));", "for (let c = n.firstChild; c; c = c.nextSibling) this.genAdds(c);"],
        [
          "  const queue = [n];\n  while (queue.length) {\n    const next = queue.pop();\n    if (cache.has(next)) continue;\n    cache.add(next);\n    index.childNodes(next).forEach((n2) => queue.push(n2));\n  }\n  return;\n",
          "  if (cache.has(n)) return;\n  cache.add(n);\n  for (let c = n.firstChild; c; c = c.nextSibling) processRemoves(c, cache);\n",
        ],
        [
          "    if (n.childNodes) {\n      n.childNodes.forEach(\n        (childNode) => this.removeNodeFromMap(childNode)\n      );\n    }\n",
          "    for (let c = n.firstChild; c; c = c.nextSibling) this.removeNodeFromMap(c);\n",
        ],
        // serializeNode hands its own options on, with the root's id
        // beside them, rather than a copy of them per node.
        [
          "      return serializeElementNode(n, {\n        doc,\n        blockClass,\n        blockSelector,\n        inlineStylesheet,\n        maskInputOptions,\n        maskInputFn,\n        dataURLOptions,\n        inlineImages,\n        recordCanvas,\n        keepIframeSrcFn,\n        newlyAddedElement,\n        rootId\n      });",
          "      return serializeElementNode(n, options, rootId);",
        ],
        [
          "      return serializeTextNode(n, {\n        doc,\n        needsMask,\n        maskTextFn,\n        rootId,\n        cssCaptured\n      });",
          "      return serializeTextNode(n, options, rootId);",
        ],
        ["function serializeTextNode(n, options) {\n  const { needsMask, maskTextFn, rootId, cssCaptured } = options;", "function serializeTextNode(n, options, rootId) {\n  const { needsMask, maskTextFn, cssCaptured } = options;"],
        ["function serializeElementNode(n, options) {", "function serializeElementNode(n, options, rootId) {"],
        ["    newlyAddedElement = false,\n    rootId\n  } = options;", "    newlyAddedElement = false\n  } = options;"],
        // A node added forgets whether it matched (within, above), and so
        // do its children: genAdds also walks into shadow roots.
        ["      if (this.processedNodeManager.inOtherBuffer(n, this)) return;", "      forgetOne(n);\n      if (this.processedNodeManager.inOtherBuffer(n, this)) return;"],
        // rrweb's hooks (record()'s hooks option, which Playhead never
        // passes) wrapped every observer's callback in one more closure.
        ["  mergeHooks(o, hooks);\n", ""],
        // A record's added nodes and a serialized node's children walked by
        // item() or by siblings: a NodeList's forEach, or Array.from() of
        // it, costs several times as much per call in Chromium.
        ["m.addedNodes.forEach((n) => this.genAdds(n, m.target));", "for (let i = 0, a = m.addedNodes, n; (n = a.item(i)); i++) this.genAdds(n, m.target);"],
        ["for (const childN of Array.from(index.childNodes(n))) {", "for (let childN = n.firstChild; childN; childN = childN.nextSibling) {"],
        // Custom elements' names have a hyphen: no registry lookup for others.
        ["if (customElements.get(tagName)) isCustomElement = true;", 'if (tagName.includes("-") && customElements.get(tagName)) isCustomElement = true;'],
      ];
      for (const [from, to] of rewrites) {
        if (out.split(from).length !== 2) throw new Error(`rrweb's source not as expected at "${from.slice(0, 40)}": check the lean-record plugin`);
        out = out.replace(from, to);
      }
      // One options object for every node a batch adds, not one (with
      // three closures) per node; the closures read the loop's current node.
      const call = out.indexOf("const sn = serializeNodeWithId(n, {");
      const callEnd = out.indexOf("cssCaptured\n        });", call);
      const loop = out.lastIndexOf("while (this.addedSet.size) {", call);
      if (call < 0 || callEnd < 0 || loop < 0) throw new Error("rrweb's emit not as expected: check the lean-record plugin");
      const literal = out.slice(call + "const sn = serializeNodeWithId(n, ".length, callEnd) + "cssCaptured: false\n        }";
      out =
        out.slice(0, loop) +
        "const addOptions = " + literal + ";\n      " +
        out.slice(loop, call) +
        "addOptions.cssCaptured = cssCaptured;\n        const sn = serializeNodeWithId(n, addOptions);" +
        out.slice(callEnd + "cssCaptured\n        });".length);
      const batch = "mutations.forEach(this.processMutation);\n      this.emit();";
      if (!out.includes(batch)) throw new Error("rrweb's processMutations not as expected: check the lean-record plugin");
      out = out.replace(batch, "inMutations = new Map();\n      own = this.own || (this.own = new Map());\n      for (const m of mutations) if (m.type === \"attributes\") forgetOne(m.target);\n      else for (let i = 0, a = m.addedNodes, x; (x = a.item(i)); i++) forget(x);\n      try {\n        " + batch + "\n      } finally {\n        inMutations = null;\n      }");
      return { contents: out, loader: "js" };
    });
  },
};

// The recorder's own private members, renamed to save bytes. Only names
// that never reach JSON, storage or the page's objects belong here.
const recorder = {
  ...common,
  // Optional chaining and ?? as written, in every browser since 2020
  // (Chrome 80, Firefox 74, Safari 13.1): fewer bytes than down-levelled.
  target: "es2020",
  plugins: [leanRecord],
  // PROFILE=1 npm run build keeps the names, for CPU profiles
  // (BenchmarkRecorderOverhead -overhead.profile); over the budget then.
  ...(process.env.PROFILE ? { minify: false, minifySyntax: true, minifyWhitespace: true } : {}),
  mangleProps: new RegExp(
    "^(" +
      "holdUntil|holdTimer|bufferBytes|keepaliveBytes|pumping|warned|attempts|acked|beacon|settle|enqueue|held|" +
      "newSession|newWindow|lastSeen|tokens|burst|perSecond|stopRecording|lifecycle|watchLifecycle|" +
      "hideVitals|waiting|onEvent|begin|cfg|urls|consentRequired|minDurationMs|snapshotMs|batcher|identity|adoptPending|markOpen|nextSeq|renew|stale|hold|tab|shared|pump|ack|stopped" +
      ")$",
  ),
};

await build({
  ...recorder,
  entryPoints: { playhead: join(root, "src/recorder/index.ts") },
  outdir: out,
});

// The same recorder as an ES module, for sites that bundle it.
await build({
  ...recorder,
  format: "esm",
  entryPoints: { playhead: join(root, "src/recorder/module.ts") },
  outExtension: { ".js": ".mjs" },
  outdir: out,
});

await build({
  ...common,
  // player.ts imports both CSS files, so esbuild writes player.css next to
  // player.js.
  entryPoints: { player: join(root, "src/player/index.ts") },
  outdir: out,
});

// The worker that reads a replay's segments for the player's panes
// (src/player/feed-reader.ts loads it from beside player.js).
await build({
  ...common,
  entryPoints: { feed: join(root, "src/player/feed-worker.ts") },
  outdir: out,
});

// The session list's few enhancements; the list works without them.
await build({
  ...common,
  entryPoints: { list: join(root, "src/list/index.ts") },
  outdir: out,
});

// What every recorded page downloads: the build fails above it
// (docs/recorder.md).
const RECORDER_BUDGET = 30 * 1024;

for (const name of readdirSync(out).filter((n) => !n.startsWith(".")).sort()) {
  const data = readFileSync(join(out, name));
  const kb = (n) => (n / 1024).toFixed(1).padStart(6) + " KB";
  const gz = gzipSync(data, { level: 9 }).length;
  console.log(`${name.padEnd(13)} ${kb(data.length)}  gzip ${kb(gz)}`);
  if (name === "playhead.js" && gz > RECORDER_BUDGET) {
    console.error(`playhead.js is ${gz} bytes gzipped, over its budget of ${RECORDER_BUDGET}`);
    process.exitCode = 1;
  }
}
