// Transcoding PCMU ⇄ G722 through rtpengine on a real call: the PBX side speaks only PCMU, the
// UC trunk only G722; each side receives its own codec (see support/transcode.ts).
import t from 'tap';
import { transcodedCall } from './support/transcode.js';
import { CODECS } from './support/rtp.js';

t.test('PCMU ⇄ G722: each side receives its own codec, both directions', async (t) => {
  await transcodedCall(t, 2, CODECS.G722);
});
