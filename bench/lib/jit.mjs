// The package under test: the built jit-sso (dist/, through the package's exports), or — to measure
// a candidate change side by side — another build of it: JIT_SSO_BENCH_DIST=<dir holding index.js
// and sql.js> (a folder inside the repository, so that its imports resolve to node_modules/).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.JIT_SSO_BENCH_DIST ? path.resolve(process.env.JIT_SSO_BENCH_DIST) : undefined;
const core = dir ? await import(pathToFileURL(path.join(dir, 'index.js')).href) : await import('jit-sso');

export const { jitSso, jitProvision, samlProvider, requireAuth, currentUser, MemoryUserStore, memoryCache, silentLogger } = core;

/** jit-sso/sql of the same build. */
export const importSql = () => (dir ? import(pathToFileURL(path.join(dir, 'sql.js')).href) : import('jit-sso/sql'));

/** The sql.js file of a JIT_SSO_BENCH_DIST build, or undefined for the package's own. */
export const altSqlFile = dir ? path.join(dir, 'sql.js') : undefined;
export const altDist = dir;

