// The jit-sso example app: `npm run example`, then open http://localhost:3000.
// Everything runs in this one process: the app (SQLite store in examples/.data/), a local SAML IdP
// mounted at /idp, and a local OpenID provider on 127.0.0.1. The local IdPs are test tools: never
// use them in production.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import session from 'express-session';
import { currentUser, jitSso, oidcProvider, requireAuth, requireRole, samlProvider } from 'jit-sso';
import { SqlUserStore } from 'jit-sso/sql';
import { createTestOidcProvider, createTestSamlIdp } from 'jit-sso/testing';
import { adminPage, directoryPage, homePage, layout, mePage } from './pages.mjs';
import { OIDC_USERS, SAML_USERS, provisioning, seedStore } from './seed.mjs';

const PORT = Number(process.env.PORT ?? 3000);
const BASE = process.env.BASE_URL ?? `http://localhost:${PORT}`;
const dataDir = fileURLToPath(new URL(process.env.DATA_DIR ?? './.data/', import.meta.url));
mkdirSync(dataDir, { recursive: true });
const settingsFile = `${dataDir}/settings.json`;
const settings = existsSync(settingsFile) ? JSON.parse(readFileSync(settingsFile, 'utf8')) : { sync: 'first-login' };

const store = await SqlUserStore.open({ dialect: 'sqlite', filename: `${dataDir}/users.sqlite` });
await seedStore(store);

const idp = await createTestSamlIdp({ users: SAML_USERS, preset: 'entra-saml', baseUrl: `${BASE}/idp` });
const op = createTestOidcProvider({
  users: OIDC_USERS,
  clients: [{ clientId: 'example-app', clientSecret: 'example-secret', redirectUris: [`${BASE}/auth/oidc/callback`] }],
});
await op.start();

/** jitSso with both IdPs and the current sync mode; rebuilt when an admin switches the mode. */
function buildSso() {
  return jitSso({
    store,
    providers: [
      samlProvider({
        id: 'saml',
        preset: 'entra-saml',
        entryPoint: idp.entryPoint,
        idpIssuer: idp.issuer,
        idpCert: idp.certificate,
        spEntityId: `${BASE}/saml`,
        callbackUrl: `${BASE}/auth/saml/callback`,
      }),
      oidcProvider({
        id: 'oidc',
        preset: 'generic-oidc',
        issuer: op.issuer,
        clientId: 'example-app',
        clientSecret: 'example-secret',
        callbackUrl: `${BASE}/auth/oidc/callback`,
        allowInsecureRequests: true, // WARNING: only because the local OpenID provider speaks plain http
      }),
    ],
    provisioning: provisioning(settings.sync),
    onAudit: (e) => console.log(`[audit] ${e.type}/${e.subType} ${e.provider} ${e.subject}${e.code ? ` ${e.code}` : ''}`),
  });
}
let sso = buildSso();

const app = express();
app.use('/idp', idp.router());
app.use(session({ secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false, cookie: { sameSite: 'lax', httpOnly: true } }));
app.use((req, res, next) => sso(req, res, next));
const form = express.urlencoded({ extended: false, limit: '8kb' });

const NOTES = {
  'oid-erin': 'has an app account from before SSO (an admin): linked on first login',
  'oid-alice': 'new: auto-provisioned',
  'oid-gary': 'in Finance-Users, mapped to the Accountant role',
  'oid-rita': 'IdP role Invoice.Approver does not exist in the app: skipped, see the audit log',
  'oid-pat': 'from a partner organisation: created pending, an admin must activate',
  'oid-bob': 'an Entra guest (#EXT#): username bob, domain fabrikam.com',
};

app.get('/', (req, res) => res.send(homePage(currentUser(req), settings.sync, idp.listUsers().map((u) => ({ ...u, note: NOTES[u.id] ?? '' })), op.listUsers())));
app.get('/me', requireAuth(), (req, res) => res.send(mePage(currentUser(req))));

app.get('/admin', requireRole('Admin'), async (req, res) => {
  const [users, roles, events] = await Promise.all([store.listUsers({ limit: 200 }), store.listRoles(), store.listAuditEvents({ limit: 50 })]);
  res.send(adminPage(currentUser(req), { users, roles, events, sync: settings.sync }));
});
const admin = (action) => [requireRole('Admin'), form, async (req, res, next) => {
  try {
    await action(req);
    if (req.params.id) sso.invalidateUser(req.params.id);
    res.redirect(303, '/admin');
  } catch (err) {
    next(err);
  }
}];
app.post('/admin/users/:id/activate', ...admin((req) => store.setStatus(req.params.id, 'active')));
app.post('/admin/users/:id/disable', ...admin((req) => store.setStatus(req.params.id, 'disabled')));
app.post('/admin/users/:id/grant', ...admin((req) => store.grantRole(req.params.id, String(req.body.role))));
app.post('/admin/users/:id/revoke', ...admin((req) => store.revokeRole(req.params.id, String(req.body.role))));
app.post('/admin/roles', ...admin((req) => store.createRole(String(req.body.name).trim())));
app.post('/admin/sync', ...admin(async (req) => {
  settings.sync = req.body.sync === 'every-login' ? 'every-login' : 'first-login';
  writeFileSync(settingsFile, JSON.stringify(settings));
  sso = buildSso();
}));

// The local IdP's directory: a demo page to change someone's groups between logins.
app.get('/idp-directory', (req, res) => res.send(directoryPage(currentUser(req), idp.listUsers())));
app.post('/idp-directory/:id', form, (req, res) => {
  const list = (v) => String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (idp.getUser(req.params.id)) idp.updateUser(req.params.id, { groups: list(req.body.groups), roles: list(req.body.roles) });
  res.redirect(303, '/idp-directory');
});

app.use((err, req, res, _next) => {
  console.error(err);
  res.status(500).send(layout('Something went wrong', currentUser(req), '<p>Please try again.</p>'));
});

const server = app.listen(PORT, () => {
  console.log(`jit-sso example on ${BASE}  (users in ${dataDir}users.sqlite, sync: ${settings.sync})`);
  console.log(`  local SAML IdP at ${BASE}/idp, local OpenID provider at ${op.issuer}`);
});
const stop = async () => {
  server.close();
  await op.close();
  await store.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
