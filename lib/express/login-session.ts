/**
 * jit-sso's own record of a signed-in user in the app's session, `req.session.jitSso`, beside
 * (never inside) the `req.session.passport` of an app that uses Passport for logins of its own.
 * Passport 0.7 has no public option for the session key its `req.login()` writes, so jit-sso keeps
 * the record itself, with the same semantics: a new session id at login and at logout.
 * @module
 */
import type { Request } from 'express';
import type { SsoSessionInfo } from '../providers/types.js';
import type { StoredUser } from '../store/user-store.js';

/** Who is signed in, and what single logout needs to know about the login. */
export type LoginRecord = SsoSessionInfo & { userId: string };

type Done = (err?: unknown) => void;

/** express-session's session (typed loosely: the app, not jit-sso, depends on its types). */
interface LoginSession {
  jitSso?: LoginRecord;
  regenerate(done: Done): void;
  save(done: Done): void;
}

export function loginSessionOf(req: Request): LoginSession | undefined {
  return (req as unknown as { session?: LoginSession }).session;
}

/** Signs `user` in: a new session (against session fixation) holding only the login record. */
export function signIn(req: Request, user: StoredUser, info: SsoSessionInfo, done: Done): void {
  loginSessionOf(req)!.regenerate((err) => {
    if (err) return done(err);
    loginSessionOf(req)!.jitSso = { ...info, userId: user.id };
    loginSessionOf(req)!.save((saveError) => {
      if (!saveError) req.user = user as unknown as Express.User;
      done(saveError);
    });
  });
}

/** Signs out: the record is removed and saved first, so the old session id holds no user even if regenerating fails. */
export function signOut(req: Request, done: Done): void {
  const session = loginSessionOf(req)!;
  delete session.jitSso;
  req.user = undefined;
  session.save((err) => (err ? done(err) : session.regenerate(done)));
}
