// Counts tape assertions from a TAP stream on stdin: prints "<pass> <fail>".
// A file that ends without its plan line ("1..N") adds one failure.
let pass = 0; let fail = 0; let plan = false;
let buf = '';
process.stdin.on('data', (d) => { buf += d; });
process.stdin.on('end', () => {
  for (const line of buf.split('\n')) {
    if (/^ok \d+/.test(line)) pass++;
    else if (/^not ok \d+/.test(line)) fail++;
    else if (/^1\.\.\d+/.test(line)) plan = true;
  }
  if (!plan) fail++;
  console.log(`${pass} ${fail}`);
});
