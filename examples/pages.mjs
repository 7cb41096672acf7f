// Plain server-rendered pages for the example app.
const esc = (v) => String(v ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
const when = (d) => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f6f8;color:#1f2328}
header{background:#24292f;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;font-size:.9rem}
main{max-width:64rem;margin:1.5rem auto;padding:0 1rem}
section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:1.2rem 1.5rem;margin-bottom:1.2rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
.btn{display:inline-block;background:#1f6feb;color:#fff;border:0;border-radius:6px;padding:.5rem 1rem;font:inherit;cursor:pointer;text-decoration:none}
.btn.secondary{background:#6e7781}.btn.small{padding:.2rem .6rem;font-size:.85rem}
.tag{display:inline-block;border-radius:999px;padding:0 .5rem;font-size:.8rem;background:#ddf4ff;margin:0 .2rem .2rem 0}
.tag.manual{background:#fff8c5}.tag.default{background:#eaeef2}.tag.pending{background:#ffebe9}
.muted{color:#656d76;font-size:.9rem}form.inline{display:inline}input,select{font:inherit;padding:.25rem}`;

export function layout(title, user, body) {
  const who = user ? `${esc(user.displayName || user.username)} · <form class="inline" method="post" action="/auth/logout"><button class="btn small secondary">Sign out</button></form>` : '<a href="/">Sign in</a>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · jit-sso example</title><style>${STYLE}</style></head><body>
<header><a href="/"><strong>jit-sso example</strong></a><a href="/me">My account</a><a href="/admin">Admin</a><a href="/idp-directory">IdP directory</a><span class="who">${who}</span></header>
<main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

const roleTags = (roles) => roles.map((r) => `<span class="tag ${esc(r.source)}" title="source: ${esc(r.source)}${r.provider ? ` (${esc(r.provider)})` : ''}">${esc(r.role)} · ${esc(r.source)}</span>`).join('') || '<span class="muted">none</span>';

export function homePage(user, sync, samlUsers, oidcUsers) {
  const style = sync === 'every-login' ? 'Creatio style — profile and roles follow the IdP at every login' : 'Bizagi style — set at the first login, then left alone';
  return layout('Sign in', user, `
<section><h2>Single sign-on with just-in-time provisioning</h2>
<p>Sign in through either local identity provider. The first time, your account is created in this app from what the IdP says about you.</p>
<p><a class="btn" id="login-saml" href="/auth/saml/login?returnTo=/me">Sign in with SAML</a>
<a class="btn" id="login-oidc" href="/auth/oidc/login?returnTo=/me">Sign in with OpenID Connect</a></p>
<p class="muted">Sync mode: <strong id="sync-mode">${esc(sync)}</strong> — ${esc(style)}. Change it on the <a href="/admin">admin page</a> (sign in as Erin Existing, who is an admin).</p></section>
<section><h2>Who is in the identity providers</h2><table><tr><th>SAML user</th><th>groups</th><th>roles</th><th>what happens</th></tr>
${samlUsers.map((u) => `<tr><td>${esc(u.displayName)}<div class="muted">${esc(u.username)}</div></td><td>${esc((u.groups ?? []).join(', '))}</td><td>${esc((u.roles ?? []).join(', '))}</td><td class="muted">${esc(u.note)}</td></tr>`).join('')}
</table><table><tr><th>OpenID Connect user</th><th>groups</th></tr>
${oidcUsers.map((u) => `<tr><td>${esc(u.displayName)}<div class="muted">${esc(u.username)}</div></td><td>${esc((u.groups ?? []).join(', '))}</td></tr>`).join('')}
</table></section>`);
}

export function mePage(user) {
  const rows = [['Username', user.username], ['Domain', user.domain], ['Email', user.email], ['Display name', user.displayName], ['First name', user.firstName], ['Last name', user.lastName], ['User type', user.userType], ['Status', user.status], ['Created', when(user.createdAt)], ['Last login', when(user.lastLoginAt)]];
  return layout('My account', user, `
<section><h2>Profile</h2><table id="profile">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td data-field="${esc(k)}">${esc(v ?? '—')}</td></tr>`).join('')}</table></section>
<section><h2>Roles</h2><p id="roles">${roleTags(user.roles)}</p>
<p class="muted">Source <em>idp</em>: given by the identity provider (a sync may remove it). <em>default</em>: given to every new user. <em>manual</em>: granted by an admin in this app (a sync never removes it).</p></section>`);
}

export function adminPage(user, { users, roles, events, sync }) {
  const roleOptions = roles.map((r) => `<option>${esc(r)}</option>`).join('');
  const userRows = users.map((u) => `<tr data-user="${esc(u.username)}"><td>${esc(u.username)}<div class="muted">${esc(u.domain ?? '')} · ${esc(u.userType)}</div></td>
<td>${u.status === 'pending' ? '<span class="tag pending">pending</span>' : esc(u.status)}</td><td>${roleTags(u.roles)}</td><td>${esc(when(u.lastLoginAt))}</td>
<td>${u.status === 'pending' ? `<form class="inline" method="post" action="/admin/users/${esc(u.id)}/activate"><button class="btn small" name="activate">Activate</button></form>` : ''}
${u.status === 'active' && u.id !== user.id ? `<form class="inline" method="post" action="/admin/users/${esc(u.id)}/disable"><button class="btn small secondary">Disable</button></form>` : ''}
<form class="inline" method="post" action="/admin/users/${esc(u.id)}/grant"><select name="role">${roleOptions}</select><button class="btn small">Grant</button></form>
${u.roles.filter((r) => r.source === 'manual').map((r) => `<form class="inline" method="post" action="/admin/users/${esc(u.id)}/revoke"><input type="hidden" name="role" value="${esc(r.role)}"><button class="btn small secondary">Revoke ${esc(r.role)}</button></form>`).join('')}</td></tr>`).join('');
  const eventRows = events.map((e) => {
    const c = e.changes;
    const parts = c ? [c.created ? 'created' : '', c.fields.length ? `fields: ${c.fields.map((f) => `${f.field} ${f.before ?? '—'} → ${f.after ?? '—'}`).join('; ')}` : '', c.rolesAdded.length ? `roles added: ${c.rolesAdded.join(', ')}` : '', c.rolesRemoved.length ? `roles removed: ${c.rolesRemoved.join(', ')}` : '', c.rolesSkipped.length ? `roles skipped (not in the app): ${c.rolesSkipped.join(', ')}` : ''].filter(Boolean) : [];
    return `<tr class="audit" data-subtype="${esc(e.subType)}"><td>${esc(when(e.at))}</td><td>${esc(e.type)} / <strong>${esc(e.subType)}</strong></td><td>${esc(e.provider)}</td><td>${esc(e.subject)}</td><td>${esc([e.code, e.reason].filter(Boolean).join(': '))}${parts.map((p) => `<div>${esc(p)}</div>`).join('')}</td></tr>`;
  }).join('');
  return layout('Administration', user, `
<section><h2>Provisioning style</h2><form method="post" action="/admin/sync">
<label><input type="radio" name="sync" value="every-login" ${sync === 'every-login' ? 'checked' : ''}> Creatio style (<code>every-login</code>): profile and roles synced at every login</label><br>
<label><input type="radio" name="sync" value="first-login" ${sync === 'first-login' ? 'checked' : ''}> Bizagi style (<code>first-login</code>): set at the first login only</label><br>
<button class="btn small" id="save-sync">Save</button></form></section>
<section><h2>Users</h2><table id="users"><tr><th>user</th><th>status</th><th>roles</th><th>last login</th><th></th></tr>${userRows}</table></section>
<section><h2>Roles</h2><p>${roles.map((r) => `<span class="tag">${esc(r)}</span>`).join('')}</p>
<form method="post" action="/admin/roles"><input name="name" placeholder="New role name" required> <button class="btn small">Create role</button></form>
<p class="muted">A role the IdP sends that the app lacks is skipped (see the audit log) and given at the next every-login sync once you create it.</p></section>
<section><h2>Audit log</h2><table id="audit"><tr><th>when</th><th>event</th><th>provider</th><th>subject</th><th>details</th></tr>${eventRows}</table></section>`);
}

export function directoryPage(user, samlUsers) {
  return layout('IdP directory (demo)', user, `
<section><p class="muted">The local SAML IdP's directory. Change someone's groups here, then sign in again: in every-login mode their roles follow.</p>
<table id="directory"><tr><th>user</th><th>groups (comma-separated)</th><th>IdP roles</th><th></th></tr>
${samlUsers.map((u) => `<tr data-idp-user="${esc(u.id)}"><td>${esc(u.displayName)}<div class="muted">${esc(u.username)}</div></td>
<td colspan="3"><form method="post" action="/idp-directory/${esc(u.id)}"><input name="groups" size="30" value="${esc((u.groups ?? []).join(', '))}"> <input name="roles" size="20" value="${esc((u.roles ?? []).join(', '))}"> <button class="btn small">Save</button></form></td></tr>`).join('')}
</table></section>`);
}
