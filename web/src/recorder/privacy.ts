// What the recorder does to URLs and page text before anything leaves the
// browser (docs/recorder.md, "Privacy").

export interface UrlRules {
  // Query parameters kept: exact names, or prefixes ending in "*".
  allowParams: string[];
  // Path patterns such as "/reset/:token": a segment starting with ":"
  // matches any segment and is recorded as written in the pattern.
  maskPaths: string[];
  // The site's own last word on every recorded URL.
  maskURL?: ((url: string) => string) | undefined;
}

const MAX_URL = 2000;

// allowed tells whether name is allowed by the patterns of allow. A
// pattern itself as name tells whether it allows nothing more than allow.
export function allowed(name: string, allow: string[]): boolean {
  for (const a of allow) {
    if (a.endsWith("*") ? name.startsWith(a.slice(0, -1)) : name === a) return true;
  }
  return false;
}

function maskPath(path: string, patterns: string[]): string {
  const segs = path.split("/");
  for (const p of patterns) {
    const pat = p.split("/");
    if (pat.length !== segs.length) continue;
    if (pat.every((s, i) => s[0] === ":" || s === segs[i])) return pat.map((s, i) => (s[0] === ":" ? s : segs[i])).join("/");
  }
  return path;
}

// stripURL resolves raw against base and returns it without its fragment
// and without the query parameters that the rules do not allow. What is not
// a URL, or not http(s), keeps only its scheme: data: URLs can be large and
// blob: ones mean nothing elsewhere.
export function stripURL(raw: string, base: string, rules: UrlRules): string {
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return "";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return u.protocol;
  let out = u.origin + maskPath(u.pathname, rules.maskPaths);
  const kept: string[] = [];
  u.searchParams.forEach((v, k) => {
    if (allowed(k, rules.allowParams)) kept.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
  });
  if (kept.length) out += "?" + kept.join("&");
  if (rules.maskURL) {
    try {
      out = String(rules.maskURL(out));
    } catch {
      // The site's function failed: keep our stripped form.
    }
  }
  return out.slice(0, MAX_URL);
}

export interface TextRules {
  cards: boolean;
  emails: boolean;
}

export const CARD_MASK = "[card]";
export const EMAIL_MASK = "[email]";

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0 && !/^0+$/.test(digits);
}

// Runs of digit groups joined by single spaces or dashes: "4111 1111 1111
// 1111", "4111-1111-1111-1111", "4111111111111111".
const DIGIT_RUN = /\d+(?:[ -]\d+)*/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

// A run may hold a card among other numbers ("card 4111 1111 1111 1111
// 2024"): whole groups i..j with 13–19 digits that pass Luhn are replaced.
function scrubRun(run: string): string {
  if (run.length < 13) return run;
  const groups = run.split(/[ -]/);
  const seps = run.match(/[ -]/g) || [];
  const out: string[] = [];
  for (let i = 0; i < groups.length; ) {
    let digits = "";
    let hit = -1;
    for (let j = i; j < groups.length && digits.length < 19; j++) {
      digits += groups[j];
      if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) hit = j;
    }
    if (hit >= 0) {
      out.push(CARD_MASK + (hit < seps.length ? seps[hit] : ""));
      i = hit + 1;
    } else {
      out.push(groups[i] + (i < seps.length ? seps[i] : ""));
      i++;
    }
  }
  return out.join("");
}

// scrubText replaces what looks like a payment card number (13–19 digits
// passing Luhn, with or without spaces or dashes) and, when asked, e-mail
// addresses. Everything else is returned unchanged. A text too short to
// hold either (13 digits, a@b.cc) is not searched: most texts a busy page
// changes are.
export function scrubText(text: string, rules: TextRules): string {
  if (rules.cards && text.length > 12 && /\d{4}/.test(text)) text = text.replace(DIGIT_RUN, scrubRun);
  if (rules.emails && text.length > 5 && text.indexOf("@") >= 0) text = text.replace(EMAIL, EMAIL_MASK);
  return text;
}

// Fields whose content is never recorded, not even its length: rrweb
// records them as empty boxes of the same size and sends none of their
// input events.
// One compound selector that fails on the tag name first: rrweb matches it
// against the target of every DOM mutation and its ancestors, and a list
// of 27 selectors made that the largest cost of recording a busy page
// (docs/benchmarks.md).
export const SECRET_FIELDS =
  ":is(input,select,textarea):is([type=password],[type=hidden],[autocomplete*=cc-],[name*=card i],[id*=card i]," +
  "[name*=cvc i],[name*=cvv i],[name*=ccnum i],[name*=cc-num i],[name*=iban i]),[data-playhead-secret]";

// <meta> names whose content is a credential of the site.
export const SECRET_META = /csrf|xsrf|token|verif|secret|api[-_]?key|nonce/i;

// Input values and contenteditable text: a fixed mask, so that not even the
// length of what was typed is kept.
export const FIXED_MASK = "******";
export function maskFixed(text: string): string {
  return text ? FIXED_MASK : text;
}
