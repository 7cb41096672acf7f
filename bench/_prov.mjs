import { jitProvision, silentLogger } from 'jit-sso';
import { openStore } from './lib/apps.mjs';
import { APP_ROLES, TENANT, oid, DATA_DIR } from './lib/common.mjs';
import { removeSqlite } from './lib/sql.mjs';
const MS = 'http://schemas.microsoft.com/identity/claims/';
const XS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
const f = `${DATA_DIR}/tmp/prov.sqlite`; removeSqlite(f);
const spec = process.env.STORE === 'memory' ? { type: 'memory' } : process.env.STORE === 'postgres' ? { type: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', prefix: 'jsb_prov_' } : { type: 'sqlite', filename: f };
const { store, close } = await openStore(spec, APP_ROLES);
const p = jitProvision({ store, provider: 'entra', preset: 'entra-saml', provisioning: { createUsers: true, sync: 'every-login' }, logger: silentLogger });
const raw = (i) => { const r = Object.create(null); Object.assign(r, { issuer: 'x', nameID: `user${i}@contoso.com`, nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', [`${MS}objectidentifier`]: oid(i), [`${MS}tenantid`]: TENANT, [`${XS}upn`]: `user${i}@contoso.com`, [`${XS}emailaddress`]: `user${i}@contoso.com`, [`${XS}givenname`]: 'User', [`${XS}surname`]: String(i), 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': ['Invoice.Reader', 'Employee'] }); return r; };
for (let i = 0; i < 300; i++) { const r = await p.provisionClaims(raw(i), {}); if (r.error) throw r.error; }
const N = Number(process.env.N ?? 3000);
const c = process.cpuUsage(); const t = performance.now();
for (let i = 0; i < N; i++) { const r = await p.provisionClaims(raw(i % 300), {}); if (r.error) throw r.error; }
const cpu = process.cpuUsage(c);
console.log(process.env.STORE ?? 'sqlite', 'wall ms/login', ((performance.now() - t) / N).toFixed(3), 'cpu ms/login', ((cpu.user + cpu.system) / 1000 / N).toFixed(3), 'user', (cpu.user/1000/N).toFixed(3), 'sys', (cpu.system/1000/N).toFixed(3));
await close();
