// A certified OpenID provider (panva/oidc-provider, OpenID Foundation certified) for the
// eID tests, on 127.0.0.1 with an ephemeral port. Configuration comes from the environment:
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI  one confidential web client
//   OIDC_ACCOUNTS  JSON {"<login>": {claims...}}            who can sign in (any password)
// Prints one JSON line {"issuer": "..."} on stdout once it listens. Its quick-start
// development interactions are plain HTML forms (login, then consent), so a test can play
// the browser with an HTTP client and a cookie jar. Everything else is the library's default:
// claims for the requested scopes come only from UserInfo (conformIdTokenClaims), and a login
// session is kept in a cookie, so a second authorisation request is answered without asking.
import http from 'node:http';

import Provider from 'oidc-provider';

const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      eid: ['serialNumber'],
    },
    cookies: { keys: ['rightsdesk-test-cookie-key-0123456789'] },
    async findAccount(ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
