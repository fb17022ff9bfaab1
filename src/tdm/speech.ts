// Speech for the PSTN simulator: espeak-ng writes a WAV file (`espeak-ng -w`), sox turns it
// into 8 kHz mono 16-bit linear PCM with its peak at a given level. This module is the only
// user of the two programs (Debian packages espeak-ng and sox, listed in scripts/setup.sh).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MediaError } from '../errors.js';

const run = promisify(execFile);

export interface SpeechOptions {
  /** espeak-ng voice (default "en"). */
  voice?: string;
  /** Words per minute (default 160). */
  wpm?: number;
  /** Peak level, dBFS (default -6: speech then averages about -20 dBm0). */
  peakDbfs?: number;
  timeoutMs?: number;
}

const MAX_TEXT = 2000;

/** Synthesises `text` as 8 kHz linear PCM. */
export async function synthesize(text: string, o: SpeechOptions = {}): Promise<Int16Array> {
  if (text.trim() === '' || text.length > MAX_TEXT) throw new MediaError(`speech text must be 1-${MAX_TEXT} characters`);
  const voice = o.voice ?? 'en';
  if (!/^[A-Za-z0-9_+-]{1,32}$/.test(voice)) throw new MediaError(`bad espeak-ng voice ${JSON.stringify(voice)}`);
  const dir = await mkdtemp(join(tmpdir(), 'spangate-say-'));
  const wav = join(dir, 'say.wav');
  const timeout = o.timeoutMs ?? 30_000;
  try {
    // `--` ends the options: the text may start with a dash.
    await run('espeak-ng', ['-v', voice, '-s', String(o.wpm ?? 160), '-w', wav, '--', text], { timeout }).catch((e: Error) => {
      throw new MediaError(`espeak-ng failed: ${e.message}`, { cause: e });
    });
    const { stdout } = await run(
      'sox', [wav, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-c', '1', '-r', '8000', '-L', '-', 'gain', '-n', String(o.peakDbfs ?? -6)],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout },
    ).catch((e: Error) => {
      throw new MediaError(`sox failed: ${e.message}`, { cause: e });
    });
    const buf = stdout as Buffer;
    const pcm = new Int16Array(buf.length >> 1);
    for (let i = 0; i < pcm.length; i++) pcm[i] = buf.readInt16LE(i * 2);
    if (pcm.length === 0) throw new MediaError('espeak-ng produced no audio');
    return pcm;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
