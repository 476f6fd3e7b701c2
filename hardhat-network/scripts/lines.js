// Streamed reading of a JSON-lines file, one line at a time, with each line's byte offsets.
//
// The journal grows for as long as the chain lives; Node cannot hold a string longer than
// ~512 MiB, so the file is never read whole: it is read in fixed chunks and split on "\n",
// keeping only the current chunk and the one unfinished line in memory.
const fs = require("node:fs");

const CHUNK = 1 << 20; // 1 MiB
const NEWLINE = 0x0a;

/**
 * Yields `{ text, start, end, terminated }` for every line of `file`: `start`/`end` are the
 * byte offsets of the line (end excludes its "\n"), `terminated` is false only for a last
 * line that has no "\n" (a write cut short by a crash).
 */
function* readLines(file, { chunkSize = CHUNK } = {}) {
  const fd = fs.openSync(file, "r");
  try {
    const chunk = Buffer.allocUnsafe(chunkSize);
    let pending = []; // pieces of the unfinished line, as Buffers
    let pendingStart = 0;
    let position = 0;
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunkSize, position);
      if (read === 0) break;
      let lineFrom = 0;
      for (let i = chunk.indexOf(NEWLINE, 0); i !== -1 && i < read; i = chunk.indexOf(NEWLINE, i + 1)) {
        let text;
        if (pending.length === 0) {
          text = chunk.toString("utf8", lineFrom, i); // the common case: no copy
        } else {
          pending.push(chunk.subarray(lineFrom, i));
          text = Buffer.concat(pending).toString("utf8");
        }
        const end = position + i;
        yield { text, start: pendingStart, end, terminated: true };
        pending = [];
        lineFrom = i + 1;
        pendingStart = end + 1;
      }
      if (lineFrom < read) pending.push(Buffer.from(chunk.subarray(lineFrom, read)));
      position += read;
    }
    if (pending.length) {
      yield { text: Buffer.concat(pending).toString("utf8"), start: pendingStart, end: position, terminated: false };
    }
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { readLines };
