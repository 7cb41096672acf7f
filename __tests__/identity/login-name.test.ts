import { describe, it, expect } from '@jest/globals';
import { decodeGuestLogin, parseLogin } from '../../lib/identity/index.js';

describe('parseLogin', () => {
  it('splits a UPN into username and domain', () => {
    expect(parseLogin('john.doe@contoso.com')).toEqual({ username: 'john.doe', domain: 'contoso.com' });
  });

  it('splits at the last @ when the local part contains one', () => {
    expect(parseLogin('"odd@name"@contoso.com')).toEqual({ username: '"odd@name"', domain: 'contoso.com' });
  });

  it('reads DOMAIN\\user as the NetBIOS domain and the account name, keeping their case', () => {
    expect(parseLogin('CONTOSO\\JDoe')).toEqual({ username: 'JDoe', domain: 'CONTOSO' });
  });

  it('decodes an Entra guest UPN to the home-tenant address before splitting', () => {
    expect(parseLogin('bob_fabrikam.com#EXT#@contoso.onmicrosoft.com')).toEqual({
      username: 'bob',
      domain: 'fabrikam.com',
    });
  });

  it('turns only the last underscore of a guest UPN into @', () => {
    expect(parseLogin('first_last_fabrikam.com#EXT#@contoso.onmicrosoft.com')).toEqual({
      username: 'first_last',
      domain: 'fabrikam.com',
    });
  });

  it('keeps a login without separator whole, with no domain (Keycloak preferred_username)', () => {
    expect(parseLogin('jdevries')).toEqual({ username: 'jdevries' });
  });

  it('keeps the whole login as username when the split would leave it empty', () => {
    expect(parseLogin('@contoso.com')).toEqual({ username: '@contoso.com' });
  });

  it('drops an empty domain instead of returning ""', () => {
    expect(parseLogin('jdoe@')).toEqual({ username: 'jdoe' });
  });

  it('trims surrounding whitespace', () => {
    expect(parseLogin('  jdoe@contoso.com\n')).toEqual({ username: 'jdoe', domain: 'contoso.com' });
  });
});

describe('decodeGuestLogin', () => {
  it('recognises the #EXT# marker in any case', () => {
    expect(decodeGuestLogin('bob_fabrikam.com#ext#@contoso.onmicrosoft.com')).toBe('bob@fabrikam.com');
  });

  it('leaves a member UPN unchanged', () => {
    expect(decodeGuestLogin('alice_smith@contoso.com')).toBe('alice_smith@contoso.com');
  });
});
