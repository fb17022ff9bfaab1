// Media direction in an SDP a transfer hands on: the transferor usually put the parties on
// hold (a=sendonly/recvonly) before it asked, and their last description says so. Offering
// that as it is would keep them held after they are connected, so a transfer resumes them.
// Line-based on purpose: the call core only needs this one edit, not an SDP parser.

/** `sdp` with every a=sendonly, a=recvonly and a=inactive line turned into a=sendrecv. */
export function resumed(sdp: string): string {
  return sdp.replace(/^a=(?:sendonly|recvonly|inactive)[ \t]*(?=\r?$)/gm, 'a=sendrecv');
}
