// A complete FAPI 2.0 integration with Renkei in JavaScript (Node 20+), with oauth4webapi.
//
// The steps an app's backend takes, in order: discovery; a pushed authorization request (PAR)
// with PKCE S256, private_key_jwt and DPoP; the customer on the bank's screens; the callback's
// iss and state checked; the code exchanged for DPoP-bound tokens; the bank API called with
// them; a refresh; revocation (連携を解除する).
//
// What the libraries need for Renkei:
// - discovery with { algorithm: 'oauth2' }: Renkei is an OAuth 2.0 authorization server
//   (RFC 8414, /.well-known/oauth-authorization-server), not an OpenID Provider. In
//   openid-client 6 the same option goes to client.discovery(server, clientId, metadata,
//   clientAuth, { algorithm: 'oauth2' }); openid-client's default client authentication,
//   client_secret_post, is accepted for sandbox apps only: fapi2 apps pass
//   client.PrivateKeyJwt(key).
// - private_key_jwt's aud is the issuer string: oauth4webapi (and so openid-client) does
//   this already.
// - allowInsecureRequests only against a development Renkei on http://127.0.0.1; never in
//   production, where the issuer is https.
//
// Run it (the bank registered the app with the public half of CLIENT_KEY_FILE, a private JWK):
//   npm ci && RENKEI_ISSUER=https://renkei.example-bank.jp CLIENT_ID=app-… CLIENT_KEY_FILE=key.json \
//     REDIRECT_URI=https://app.example.jp/callback BANK_API_URL=https://api.example-bank.jp node fapi2.mjs
// It prints the URL to open in the customer's browser, reads the URL the browser was sent
// back to (in an app: the request your redirect URI receives) from standard input, and prints
// what the bank API said. tests/examples/test_js_example.py runs it against a real server.

import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import * as oauth from 'oauth4webapi'

const env = process.env
const issuer = new URL(env.RENKEI_ISSUER)
const redirectUri = env.REDIRECT_URI
const scope = 'accounts:read transactions:read'
const http = { [oauth.allowInsecureRequests]: issuer.protocol === 'http:' } // development only

// The app's key (private_key_jwt): on the backend only, never in the mobile app.
const jwk = JSON.parse(await readFile(env.CLIENT_KEY_FILE, 'utf8'))
const clientKey = await crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d },
  { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
const client = { client_id: env.CLIENT_ID }
const clientAuth = oauth.PrivateKeyJwt({ key: clientKey, kid: jwk.kid })

// 1. Discovery (RFC 8414).
const as = await oauth.processDiscoveryResponse(issuer,
  await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...http }))

// This link's DPoP key: the tokens will be bound to it. oauth4webapi remembers DPoP-Nonce.
const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))

// Once more with the server's nonce if it asks for one (RFC 9449 §8).
async function withDPoPNonce (request, processResponse) {
  try {
    return await processResponse(await request())
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err
    return await processResponse(await request())
  }
}

// 2. PAR with PKCE S256 (RFC 9126, RFC 7636).
const codeVerifier = oauth.generateRandomCodeVerifier()
const state = oauth.generateRandomState()
const authorizationRequest = new URLSearchParams({
  response_type: 'code', redirect_uri: redirectUri, scope, state,
  code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256'
})
const { request_uri: requestUri } = await withDPoPNonce(
  () => oauth.pushedAuthorizationRequest(as, client, clientAuth, authorizationRequest, { DPoP, ...http }),
  (response) => oauth.processPushedAuthorizationResponse(as, client, response))
const authorizationUrl = new URL(as.authorization_endpoint)
authorizationUrl.searchParams.set('client_id', client.client_id)
authorizationUrl.searchParams.set('request_uri', requestUri)
console.log(authorizationUrl.href)

// 3. The browser comes back: validateAuthResponse checks iss (RFC 9207) and state, and
//    throws for error=access_denied and the like.
const lines = createInterface({ input: process.stdin })
const callbackUrl = new URL((await lines[Symbol.asyncIterator]().next()).value)
lines.close()
const callbackParams = oauth.validateAuthResponse(as, client, callbackUrl, state)

// 4. The code for DPoP-bound tokens; keep them on the backend.
const tokens = await withDPoPNonce(
  () => oauth.authorizationCodeGrantRequest(as, client, clientAuth, callbackParams, redirectUri, codeVerifier, { DPoP, ...http }),
  (response) => oauth.processAuthorizationCodeResponse(as, client, response))
const result = { token_type: tokens.token_type, scope: tokens.scope }

// 5. The bank API: Authorization: DPoP, and a proof naming this request and the token (ath).
if (env.BANK_API_URL) {
  for (const path of ['/accounts/me', '/accounts/me/transactions']) {
    const response = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(env.BANK_API_URL + path),
      undefined, undefined, { DPoP, ...http })
    if (!response.ok) throw new Error(`${path}: ${response.status} ${response.headers.get('www-authenticate')}`)
    result[path] = await response.json()
  }
}

// 6. A new access token when the old one expires; the refresh token stays (FAPI 2.0).
const refreshed = await withDPoPNonce(
  () => oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, { DPoP, ...http }),
  (response) => oauth.processRefreshTokenResponse(as, client, response))
result.refresh_token_kept = (refreshed.refresh_token ?? tokens.refresh_token) === tokens.refresh_token

// 7. 連携を解除する: revoking the refresh token ends the link at the bank.
await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, clientAuth, tokens.refresh_token,
  { additionalParameters: { token_type_hint: 'refresh_token' }, ...http }))
console.log(JSON.stringify(result))
