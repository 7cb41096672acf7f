import { seededSqlite, seededPostgres } from './lib/seed.mjs';
import { APP_ROLES, DATA_DIR } from './lib/common.mjs';
const n = Number(process.argv[2]);
if (process.argv[3] !== 'pg') await seededSqlite(`${DATA_DIR}/scale-${n}.sqlite`, n, APP_ROLES);
else await seededPostgres('postgres://postgres@127.0.0.1:5432/test', `jsb_scale_${n}_`, n, APP_ROLES);
