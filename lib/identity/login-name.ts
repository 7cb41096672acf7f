/**
 * Splitting a login name (UPN, `DOMAIN\user`, Entra guest UPN, bare username) into username and domain.
 * @module
 */

/** A login split into its parts. */
export interface ParsedLogin {
  /** The name without its domain: `john.doe` from `john.doe@contoso.com` or `CONTOSO\john.doe`. */
  username: string;
  /** The domain exactly as sent (`contoso.com`, `CONTOSO`); absent when the login has none. */
  domain?: string;
}

const GUEST_MARKER = /#EXT#@/i;

/**
 * Undoes Entra's guest encoding: `bob_fabrikam.com#EXT#@contoso.onmicrosoft.com` is the home-tenant
 * address `bob@fabrikam.com` (everything from `#EXT#@` is dropped and the **last** `_` becomes `@`).
 * Any other login is returned unchanged. The marker is matched case-insensitively.
 *
 * Only the `#EXT#` form is decoded; the `_EXT_` spelling of Entra's `upn_without_hash` is left alone.
 * @example
 * decodeGuestLogin('bob_fabrikam.com#EXT#@contoso.onmicrosoft.com'); // 'bob@fabrikam.com'
 * decodeGuestLogin('alice@contoso.com');                              // 'alice@contoso.com'
 * @see https://learn.microsoft.com/en-us/entra/external-id/user-properties
 */
export function decodeGuestLogin(login: string): string {
  const marker = login.search(GUEST_MARKER);
  if (marker < 0) return login;
  const home = login.slice(0, marker);
  const underscore = home.lastIndexOf('_');
  return underscore < 0 ? home : `${home.slice(0, underscore)}@${home.slice(underscore + 1)}`;
}

/**
 * Splits a login into `username` and `domain`:
 *
 * 1. an Entra guest UPN is first decoded with {@link decodeGuestLogin};
 * 2. `DOMAIN\user` gives `username = user`, `domain = DOMAIN` (split at the first `\`);
 * 3. `local@domain` is split at the **last** `@`;
 * 4. anything else is all username, with no domain (Keycloak's `preferred_username`).
 *
 * Surrounding whitespace is trimmed; the parts keep their case. A split that would leave the username
 * empty (`@contoso.com`) keeps the whole login as the username instead; an empty domain is absent.
 * @example
 * parseLogin('john.doe@contoso.com');  // { username: 'john.doe', domain: 'contoso.com' }
 * parseLogin('CONTOSO\\jdoe');         // { username: 'jdoe', domain: 'CONTOSO' }
 * parseLogin('bob_fabrikam.com#EXT#@contoso.onmicrosoft.com'); // { username: 'bob', domain: 'fabrikam.com' }
 * parseLogin('jdevries');              // { username: 'jdevries' }
 */
export function parseLogin(login: string): ParsedLogin {
  const decoded = decodeGuestLogin(login.trim());
  const backslash = decoded.indexOf('\\');
  if (backslash >= 0) return parts(decoded, decoded.slice(backslash + 1), decoded.slice(0, backslash));
  const at = decoded.lastIndexOf('@');
  if (at >= 0) return parts(decoded, decoded.slice(0, at), decoded.slice(at + 1));
  return { username: decoded };
}

function parts(login: string, username: string, domain: string): ParsedLogin {
  if (username === '') return { username: login };
  return domain === '' ? { username } : { username, domain };
}
