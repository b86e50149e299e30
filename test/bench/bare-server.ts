// The baseline: a bare node:http server that reads the body and answers 200. Prints its URL.
import { answer, servePeer } from './peer-server.ts';

servePeer((_req, res, body) => answer(res, 200, `{"ok":true,"bytes":${body.length}}`));
