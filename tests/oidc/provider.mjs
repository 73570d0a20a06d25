// A real OpenID Provider (panva/oidc-provider) on loopback for the SSO tests.
// Usage: node provider.mjs <port> <redirect_uri> [<redirect_uri> ...]
// Prints "READY <issuer>" once it listens. Any login name is accepted with any password
// (devInteractions); the account's claims are derived from the login name:
//   "alice"            -> preferred_username alice, email alice@example.test, name "Test alice"
//   "mail:bob@corp.kr" -> no preferred_username, email bob@corp.kr, name "<Name> 김"
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const redirectUris = process.argv.slice(3);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test-key' };

function claimsFor(id) {
  if (id.startsWith('mail:')) {
    const email = id.slice(5);
    return { sub: id, email, email_verified: true, name: `${email.split('@')[0][0].toUpperCase()}${email.split('@')[0].slice(1)} 김` };
  }
  return { sub: id, email: `${id}@example.test`, email_verified: true, name: `Test ${id}`, preferred_username: id };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'messenger',
    client_secret: 'messenger-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['test-only-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return claimsFor(id); } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
