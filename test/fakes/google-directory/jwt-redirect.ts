/**
 * google-auth-library 11.3.4 (the installed version) hard-codes Google's token URL in its gtoken
 * code (`https://oauth2.googleapis.com/token`, in both the request and the JWT `aud`): there is no
 * `GOOGLE_TOKEN_URL` environment variable and no `tokenUrl` option. A `JWT` client sends the token
 * request through its own `transporter` (a Gaxios instance), so a request interceptor on that
 * transporter can send it to the emulator instead. The emulator accepts Google's URL as `aud`.
 */
import { GOOGLE_TOKEN_URL } from './token-endpoint.ts';

/** The part of an auth client (e.g. google-auth-library's `JWT`) this helper uses. */
export interface InterceptableClient {
  transporter: {
    interceptors: {
      request: {
        add(interceptor: { resolved?: <T extends { url: URL }>(config: T) => Promise<T> }): unknown;
      };
    };
  };
}

/** Sends the client's token requests to `tokenUrl` (e.g. the emulator's `tokenUrl`) instead of Google. */
export function redirectTokenRequests(client: InterceptableClient, tokenUrl: string): void {
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (config.url.href === GOOGLE_TOKEN_URL) config.url = new URL(tokenUrl);
      return config;
    },
  });
}
