/**
 * The one canonical form jit-sso compares names in when case must not matter: usernames, domains,
 * emails (linking, `findUserByUsername` / `findUserByEmail`, the SQL store's `*_key` columns) and
 * role names under `roleMatch: 'case-insensitive'`.
 *
 * ## Why not `toLowerCase()`
 *
 * Lower-casing is not caseless matching: `'ß'.toLowerCase()` stays `ß` while `'SS'` becomes `ss`,
 * `Σ` lowers to `ς` or `σ` depending on its place in the word, and compatibility characters (the
 * Kelvin sign `K` U+212A, fullwidth `ｋ`, the long s `ſ`) either lower onto ASCII or not at all. Two
 * names the IdP holds apart could meet in the app's lookup, or one name could miss itself.
 *
 * ## The form
 *
 * Unicode's `toNFKC_Casefold` (Unicode §3.13, D145; the NFKC_Casefold property of UAX #44):
 * compatibility-normalise, apply **full** case folding (CaseFolding.txt statuses C + F) code point by
 * code point, normalise again. JavaScript has no case-fold function; full folding is computed as
 * `lower(upper(lower(c)))` per code point, with two exceptions: the dotless `ı` (U+0131) folds to
 * itself (it upper-cases to `I`), and Cherokee folds to its upper case. Checked against Python's
 * `str.casefold()` (Unicode 14) for every assigned code point: the same key for each. Working per code point also makes `Σ` fold to `σ` wherever it
 * stands. Default-ignorable code points are dropped, as NFKC_Casefold does.
 *
 * Folding is for comparing values that are already trusted to be what they say. A value that is an
 * identifier (a username or email a login may be linked by) must also be stable under NFKC
 * ({@link isNfkcStable}): otherwise `\u212Aate` and `kate` would be one name to jit-sso and two to
 * the IdP.
 * @module
 */

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const DEFAULT_IGNORABLE_TEST = /\p{Default_Ignorable_Code_Point}/u;
const DOTLESS_I = '\u0131';
// Cherokee folds to its upper case (the lower case letters came later, in Unicode 8).
const CHEROKEE = /^[\u13a0-\u13f5\u13f8-\u13fd\uab70-\uabbf]$/;
// Whole runs of code points whose folding is their lower-casing: ASCII and the common Latin range.
const SIMPLE = /^[\u0000-\u00ac\u00ae-\u00b4\u00b6-\u00de\u00e0-\u00ff]*$/;

function foldCodePoint(c: string): string {
  if (c === DOTLESS_I) return c;
  if (CHEROKEE.test(c)) return c.toUpperCase();
  const lower = c.toLowerCase();
  return lower.toUpperCase().toLowerCase();
}

/**
 * The canonical comparison key of `value`: NFKC + full case folding, default ignorables removed;
 * `undefined` is `''`.
 * @example
 * canonicalKey('Straße') === canonicalKey('STRASSE'); // true
 * canonicalKey('\u212Aate');                          // 'kate' (refuse such a name as an identifier: see isNfkcStable)
 * canonicalKey('ΌΣΟΣ') === canonicalKey('όσος');      // true (final sigma)
 */
export function canonicalKey(value: string | undefined): string {
  const text = (value ?? '').normalize('NFKC');
  if (SIMPLE.test(text)) return text.toLowerCase();
  let folded = '';
  for (const c of text.replace(DEFAULT_IGNORABLE, '')) folded += foldCodePoint(c);
  return folded.normalize('NFKC');
}

/**
 * True when `value` is its own NFKC form and holds no default-ignorable code point (zero-width
 * space, joiners, soft hyphen, variation selectors, …): a name that {@link canonicalKey} changes only
 * in case. Identifiers that fail it are refused, never folded onto another name.
 * @example
 * isNfkcStable('kate');        // true
 * isNfkcStable('\u212Aate');   // false (Kelvin sign)
 * isNfkcStable('ｋａｔｅ');      // false (fullwidth)
 */
export function isNfkcStable(value: string): boolean {
  return value.normalize('NFKC') === value && !DEFAULT_IGNORABLE_TEST.test(value);
}
