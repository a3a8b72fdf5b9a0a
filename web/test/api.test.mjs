// The recorder's API (window.playhead): consent, stop/start, identify and
// track, driven against a recording that logs what it is asked to do.
import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createPlayhead } from "../src/recorder/playhead.ts";
import { PENDING_KEY } from "../src/recorder/batcher.ts";
import { Identity } from "../src/recorder/identity.ts";
import { memoryStore } from "./memory-store.mjs";

// Web Storage as the browser has it, for the one sessionStorage key the API
// itself touches.
function webStorage() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
}

const saved = {};
beforeEach(() => {
  for (const k of ["window", "navigator"]) saved[k] = Object.getOwnPropertyDescriptor(globalThis, k);
  Object.defineProperty(globalThis, "window", { value: { sessionStorage: webStorage() }, configurable: true, writable: true });
  Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true, writable: true });
});
afterEach(() => {
  for (const [k, d] of Object.entries(saved)) {
    if (d) Object.defineProperty(globalThis, k, d);
    else delete globalThis[k];
  }
});

const config = (o = {}) => ({
  key: "KEY",
  server: "https://playhead.test",
  consentRequired: false,
  sampleRate: 1,
  minDurationMs: 0,
  snapshotMs: 0,
  allowParams: [],
  maskPaths: [],
  maskURL: undefined,
  scrubCards: true,
  scrubEmails: false,
  network: true,
  console: true,
  recordCanvas: false,
  recordCrossOriginIframes: false,
  collectFonts: false,
  ...o,
});

// start builds the API over recordings that log their calls; made lists
// every recording built, newest last.
function start(o) {
  const made = [];
  const api = createPlayhead(config(o), (cfg, refused) => {
    const rec = {
      identity: new Identity(memoryStore(), memoryStore(), Date.now()),
      project: null,
      calls: [],
      events: [],
      refused,
      custom(tag, payload) {
        this.events.push({ tag, payload });
      },
      start() {
        this.calls.push("start");
      },
      pause() {
        this.calls.push("pause");
      },
      stop() {
        this.calls.push("stop");
      },
      flush: () => Promise.resolve(),
    };
    made.push(rec);
    return rec;
  });
  return { api, made };
}

test("with consent required, nothing is recorded until consent(true)", () => {
  const { api, made } = start({ consentRequired: true });
  assert.equal(made.length, 0);
  assert.equal(api.sessionId, null);
  assert.equal(api.windowId, null);
  api.track("early");
  api.consent(true);
  assert.equal(made.length, 1);
  assert.deepEqual(made[0].calls, ["start"]);
  assert.equal(api.sessionId, made[0].identity.sessionId);
  assert.equal(api.windowId, made[0].identity.windowId);
  assert.deepEqual(made[0].events, [], "a track() before consent is not kept");
});

test("consent(false) stops, forgets and drops what an earlier page left", () => {
  const { api, made } = start();
  window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(["{}"]));
  api.consent(false);
  assert.deepEqual(made[0].calls, ["start", "stop"]);
  assert.equal(window.sessionStorage.getItem(PENDING_KEY), null);
  assert.equal(api.sessionId, null);
  api.track("after");
  api.identify("ada");
  assert.deepEqual(made[0].events, []);
  // Granted again: a new recording of this page.
  api.consent(true);
  assert.equal(made.length, 2);
  assert.deepEqual(made[1].calls, ["start"]);
});

test("Do Not Track and Global Privacy Control mean no recording, consent or not", () => {
  for (const nav of [{ doNotTrack: "1" }, { globalPrivacyControl: true }]) {
    globalThis.navigator = nav;
    const { api, made } = start();
    api.consent(true);
    api.start();
    assert.equal(made.length, 0, JSON.stringify(nav));
    assert.equal(api.sessionId, null);
  }
  globalThis.navigator = { doNotTrack: "0", globalPrivacyControl: false };
  assert.equal(start().made.length, 1);
});

test("stop() pauses the recording and start() resumes the same one", () => {
  const { api, made } = start();
  api.stop();
  api.stop();
  api.start();
  assert.equal(made.length, 1);
  assert.deepEqual(made[0].calls, ["start", "pause", "pause", "start"]);
  assert.equal(api.sessionId, made[0].identity.sessionId);
});

test("stop() before consent: consent(true) then records nothing until start()", () => {
  const { api, made } = start({ consentRequired: true });
  api.stop();
  api.consent(true);
  assert.deepEqual(made[0].calls, ["pause"]);
  api.start();
  assert.deepEqual(made[0].calls, ["pause", "start"]);
});

test("a key the server refuses ends recording for the page", () => {
  const { api, made } = start();
  made[0].refused();
  assert.deepEqual(made[0].calls, ["start", "stop"]);
  api.start();
  api.consent(true);
  assert.equal(made.length, 1);
  assert.equal(api.sessionId, null);
});

test("a session left out by sampleRate is never recorded on this page", () => {
  const { api, made } = start({ sampleRate: 0 });
  assert.equal(made.length, 1, "the identity decides");
  assert.deepEqual(made[0].calls, []);
  api.start();
  api.consent(true);
  assert.equal(made.length, 1);
  assert.equal(api.sessionId, null);
});

test("identify names the visitor, with clean traits, also before recording starts", () => {
  const { api, made } = start({ consentRequired: true });
  const traits = { plan: "pro", seats: 3, admin: false, nested: { a: 1 }, fn: () => 1 };
  for (let i = 0; i < 60; i++) traits["k" + i] = "v".repeat(600);
  api.identify("u".repeat(300), traits);
  api.consent(true);
  assert.equal(made[0].events.length, 1);
  const { tag, payload } = made[0].events[0];
  assert.equal(tag, "identify");
  assert.equal(payload.user, "u".repeat(200));
  assert.equal(Object.keys(payload.traits).length, 48, "50 keys looked at; the object and the function dropped");
  assert.deepEqual([payload.traits.plan, payload.traits.seats, payload.traits.admin], ["pro", 3, false]);
  assert.equal(payload.traits.k0, "v".repeat(500));
  api.identify("grace");
  assert.deepEqual(made[0].events[1], { tag: "identify", payload: { user: "grace" } });
});

test("track records the site's events, props as strings or JSON, at most 50 at once", () => {
  const { api, made } = start();
  api.track("signup", { plan: "pro", n: 2, ok: true, list: [1, 2], long: "x".repeat(900) });
  const first = made[0].events[0];
  assert.deepEqual(first, {
    tag: "track",
    payload: { name: "signup", props: { plan: "pro", n: 2, ok: true, list: "[1,2]", long: "x".repeat(500) } },
  });
  for (let i = 0; i < 100; i++) api.track("loop " + i);
  assert.equal(made[0].events.length, 50, "the burst of 50, the first one included");
  assert.equal(made[0].events.at(-1).payload.name, "loop 48");
});

test("the API never throws into the page", () => {
  const { api, made } = start();
  made[0].custom = () => {
    throw new Error("broken");
  };
  assert.doesNotThrow(() => api.track("x", { a: 1 }));
  assert.doesNotThrow(() => api.identify("x"));
  assert.doesNotThrow(() => api.track(undefined, null));
});
